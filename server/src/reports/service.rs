//! Filing a report (受理前的登记), corroborating an open case ("me too"),
//! finding open cases nearby, and the reporter's view of a case.

use super::idempotency::{self, IdempotencyKey};
use super::input::{NewReport, RawReport};
use crate::cases::{Deadlines, version};
use crate::categories;
use crate::db::entities::{
    area, case, case_event, category, department, photo, report, reporter_identity,
};
use crate::digest::sha256_hex;
use crate::disclosure::service::{REPORTER_ACTOR, public_point};
use crate::error::{AppError, is_unique_violation};
use crate::photos::{PhotoError, PhotoPipeline, ProcessedPhoto};
use crate::privacy::PiiCipher;
use crate::storage::{PhotoKind, PhotoStore};
use crate::{outbox, routing};
use axum::http::StatusCode;
use chrono::{DateTime, Duration, Utc};
use rand::RngCore;
use rand::rngs::OsRng;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};
use sha2::{Digest, Sha256};
use shared::FieldErrorCode;
use shared::case::CaseState;
use shared::geo::{self, LatLon};
use shared::report::{
    DepartmentRef, NearbyCase, PhotoRef, ReporterAction, SubmitReceipt, TimelineEntry, TrackView,
};

/// Corroborations that make a case high priority: several residents
/// bothered by one source is worth an earlier visit.
const HIGH_PRIORITY_AT: i32 = 2;

pub struct Reports<'a> {
    pub db: &'a DatabaseConnection,
    pub pii: &'a PiiCipher,
    pub pipeline: &'a PhotoPipeline,
    pub store: &'a dyn PhotoStore,
    pub deadlines: Deadlines,
}

/// 128 random bits, URL-safe: the reporter's key to the case.
fn new_secret() -> String {
    use base64::Engine;
    let mut b = [0u8; 16];
    OsRng.fill_bytes(&mut b);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

fn new_tracking_code() -> String {
    let mut indices = [0u8; 8];
    for i in &mut indices {
        // Rejection sampling keeps every character equally likely.
        loop {
            let mut b = [0u8; 1];
            OsRng.fill_bytes(&mut b);
            if b[0] < 248 {
                *i = b[0] % 31;
                break;
            }
        }
    }
    shared::report::tracking_code::format(indices)
}

fn photo_error(index: usize, e: PhotoError) -> AppError {
    if let PhotoError::Busy = e {
        let message = format!("photo {}: {e}", index + 1);
        return AppError::Busy {
            retry_after_secs: super::upload::RETRY_AFTER_SECS,
            message,
        };
    }
    let status = match e {
        PhotoError::UnsupportedFormat => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        PhotoError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    };
    AppError::Rejected {
        status,
        code: e.code(),
        message: format!("photo {}: {e}", index + 1),
    }
}

impl<'a> Reports<'a> {
    /// The service as every front door (the JSON API, Open311) uses it.
    pub fn of(state: &'a crate::state::AppState) -> Self {
        Reports {
            db: &state.db,
            pii: &state.pii,
            pipeline: &state.pipeline,
            store: state.photos.as_ref(),
            deadlines: state.settings.deadlines,
        }
    }
}

impl Reports<'_> {
    /// Files a report. With an idempotency key, a retry of the same request
    /// returns the first receipt and creates nothing.
    pub async fn submit(
        &self,
        raw: RawReport,
        idempotency_key: Option<IdempotencyKey>,
    ) -> Result<SubmitReceipt, AppError> {
        let now = Utc::now();
        let request_hash = request_hash(&raw);
        if let Some(key) = &idempotency_key
            && let Some(receipt) = idempotency::replay(self.db, key, &request_hash, now).await?
        {
            return Ok(receipt);
        }
        let new = raw.parse(now)?;
        let category = categories::service::find_active(self.db, &new.category)
            .await?
            .ok_or_else(|| {
                AppError::field(
                    "category",
                    FieldErrorCode::NotFound,
                    "no such category; see GET /api/v1/categories",
                )
            })?;
        let answers =
            categories::answers::check(&categories::service::questions(&category), &new.answers)
                .map_err(AppError::Validation)?;

        // Photos first, outside any transaction: decoding is the slow part.
        let mut processed = Vec::with_capacity(new.photos.len());
        let jobs = new
            .photos
            .iter()
            .cloned()
            .map(|bytes| self.pipeline.process(bytes));
        for (i, result) in futures::future::join_all(jobs)
            .await
            .into_iter()
            .enumerate()
        {
            processed.push(result.map_err(|e| photo_error(i, e))?);
        }

        let (location, location_source) = match new.location {
            Some(p) => (p, "device"),
            None => match processed.iter().find_map(|p| p.exif_location.as_ref()) {
                Some(g) => (
                    LatLon {
                        lat: g.lat,
                        lon: g.lon,
                    },
                    "exif",
                ),
                None => {
                    return Err(AppError::field(
                        "lat",
                        FieldErrorCode::Required,
                        "give the location (lat, lon), or a photo that carries one",
                    ));
                }
            },
        };
        let area = locate(self.db, location).await?;
        if area.is_none() && !geo::in_bbox(location, geo::BANAN_BBOX) {
            return Err(AppError::field(
                "lat",
                FieldErrorCode::OutOfArea,
                "the location is outside Banan District",
            ));
        }

        // Content-addressed, so a retry stores nothing twice; a failed
        // transaction below leaves files no row points to, never the reverse.
        let mut stored = Vec::with_capacity(processed.len());
        for (bytes, p) in new.photos.iter().zip(&processed) {
            let original = self.store.put(PhotoKind::Original, bytes.clone()).await?;
            let display = self
                .store
                .put(PhotoKind::Display, p.display.clone().into())
                .await?;
            let thumbnail = self
                .store
                .put(PhotoKind::Thumbnail, p.thumbnail.clone().into())
                .await?;
            stored.push((original, display, thumbnail, bytes.len()));
        }

        let secret = new_secret();
        let txn = crate::db::begin_write(self.db).await?;
        let identity_id = match &new.identity {
            None => None,
            Some(id) => Some(
                reporter_identity::ActiveModel {
                    name_enc: Set(self.pii.encrypt(&id.name)),
                    phone_enc: Set(self.pii.encrypt(&id.phone)),
                    phone_index: Set(self.pii.blind_index(&id.phone)),
                    created_at: Set(now),
                    ..Default::default()
                }
                .insert(&txn)
                .await?
                .id,
            ),
        };

        let (case_row, kind) = match &new.corroborates {
            Some(code) => (
                corroborate(&txn, code, &category, location, now).await?,
                "corroboration",
            ),
            None => (
                open_case(
                    &txn,
                    &new,
                    &category,
                    location,
                    area.as_ref(),
                    now,
                    &self.deadlines,
                )
                .await?,
                "original",
            ),
        };

        let report_row = report::ActiveModel {
            case_id: Set(case_row.id),
            kind: Set(kind.to_owned()),
            secret_hash: Set(sha256_hex(secret.as_bytes())),
            description: Set(new.description.clone()),
            answers: Set(serde_json::Value::Object(answers).to_string()),
            lat: Set(location.lat),
            lon: Set(location.lon),
            accuracy_m: Set(new.accuracy_m),
            coord_system: Set(new.coord_system.as_str().to_owned()),
            location_source: Set(location_source.to_owned()),
            occurred_at: Set(new.occurred_at),
            submitted_at: Set(now),
            identity_id: Set(identity_id),
            ..Default::default()
        }
        .insert(&txn)
        .await?;

        for (p, (original, display, thumbnail, size)) in processed.iter().zip(stored) {
            insert_photo(
                &txn,
                &report_row,
                p,
                original,
                display,
                thumbnail,
                size,
                now,
            )
            .await?;
        }

        let receipt = SubmitReceipt {
            track_url: format!("/track#code={}&secret={}", case_row.code, secret),
            tracking_code: case_row.code.clone(),
            secret,
            state: case_row.state.clone(),
            corroborated: kind == "corroboration",
            photos: processed.len() as u32,
            location_source: location_source.to_owned(),
        };
        if let Some(key) = idempotency_key
            && let Err(e) = idempotency::remember(&txn, &key, &request_hash, &receipt, now).await
        {
            // A twin request committed first: answer what it answered.
            if is_unique_violation(&e) {
                txn.rollback().await?;
                return idempotency::replay(self.db, &key, &request_hash, now)
                    .await?
                    .ok_or_else(|| e.into());
            }
            return Err(e.into());
        }
        txn.commit().await?;
        tracing::info!(case = %receipt.tracking_code, kind, photos = receipt.photos, "report filed");
        Ok(receipt)
    }
}

/// A fingerprint of the request, photos included, for idempotency.
fn request_hash(raw: &RawReport) -> String {
    let mut h = Sha256::new();
    for field in [
        &raw.category,
        &raw.description,
        &raw.lat,
        &raw.lon,
        &raw.coord_system,
        &raw.accuracy,
        &raw.occurred_at,
        &raw.answers,
        &raw.name,
        &raw.phone,
        &raw.corroborates,
    ] {
        h.update(field.as_deref().unwrap_or("\u{0}").as_bytes());
        h.update([0xff]);
    }
    for p in &raw.photos {
        h.update(Sha256::digest(p));
    }
    hex::encode(h.finalize())
}

/// The 街道/镇 that contains the point, if any area polygons are loaded.
pub async fn locate(db: &impl ConnectionTrait, p: LatLon) -> Result<Option<area::Model>, DbErr> {
    let candidates = area::Entity::find()
        .filter(area::Column::MinLon.lte(p.lon))
        .filter(area::Column::MaxLon.gte(p.lon))
        .filter(area::Column::MinLat.lte(p.lat))
        .filter(area::Column::MaxLat.gte(p.lat))
        .all(db)
        .await?;
    Ok(candidates.into_iter().find(|a| area_contains(a, p)))
}

fn area_contains(a: &area::Model, p: LatLon) -> bool {
    let Ok(geometry) = serde_json::from_str::<serde_json::Value>(&a.geometry) else {
        return false;
    };
    let polygons: Vec<Vec<Vec<[f64; 2]>>> = match geometry["type"].as_str() {
        Some("Polygon") => serde_json::from_value(geometry["coordinates"].clone())
            .map(|p| vec![p])
            .unwrap_or_default(),
        Some("MultiPolygon") => {
            serde_json::from_value(geometry["coordinates"].clone()).unwrap_or_default()
        }
        _ => Vec::new(),
    };
    polygons.iter().any(|rings| geo::in_polygon(p, rings))
}

async fn open_case(
    txn: &impl ConnectionTrait,
    new: &NewReport,
    category: &category::Model,
    location: LatLon,
    area: Option<&area::Model>,
    now: DateTime<Utc>,
    deadlines: &Deadlines,
) -> Result<case::Model, AppError> {
    // Routed by when the problem happened (night-time construction noise
    // reported the next morning is still night-time noise).
    let happened = new.occurred_at.filter(|t| *t <= now).unwrap_or(now);
    let route = routing::service::route(txn, category, area.map(|a| a.id), happened).await?;
    let accept_due = deadlines.accept_due(now);
    // A collision among 31^8 codes is rare; try again rather than fail.
    let mut attempt = 0;
    let row = loop {
        attempt += 1;
        let inserted = case::ActiveModel {
            code: Set(new_tracking_code()),
            category_id: Set(category.id),
            group_code: Set(category.group_code.clone()),
            state: Set("submitted".to_owned()),
            priority: Set(route.priority.as_str().to_owned()),
            lat: Set(location.lat),
            lon: Set(location.lon),
            accuracy_m: Set(new.accuracy_m),
            area_id: Set(area.map(|a| a.id)),
            department_id: Set(route.department_id),
            co_department_id: Set(route.co_department_id),
            rule_id: Set(route.rule_id),
            description: Set(new.description.clone()),
            occurred_at: Set(new.occurred_at),
            submitted_at: Set(now),
            updated_at: Set(now),
            corroboration_count: Set(0),
            version: Set(0),
            accept_due_at: Set(Some(accept_due)),
            close_due_at: Set(Some(deadlines.close_due(now))),
            due_at: Set(Some(accept_due)),
            extended_days: Set(0),
            contested: Set(false),
            ..Default::default()
        }
        .insert(txn)
        .await;
        match inserted {
            Ok(row) => break row,
            Err(e) if attempt < 5 && is_unique_violation(&e) => {
                continue;
            }
            Err(e) => return Err(e.into()),
        }
    };
    let note = route.quiet_period.as_ref().map(|q| format!("{q}: urgent"));
    event(txn, row.id, now, "submitted", None, Some("submitted"), note).await?;
    // Tell the departments, in this same transaction (the outbox sends it).
    for id in [route.department_id, route.co_department_id]
        .into_iter()
        .flatten()
    {
        if let Some(d) = department::Entity::find_by_id(id).one(txn).await? {
            outbox::enqueue(txn, &d, &row, "case.routed", now).await?;
        }
    }
    Ok(row)
}

/// Adds a "me too" to an open case of the same group: more priority and more
/// evidence, not a second case competing for the reward.
async fn corroborate(
    txn: &impl ConnectionTrait,
    code: &str,
    category: &category::Model,
    location: LatLon,
    now: DateTime<Utc>,
) -> Result<case::Model, AppError> {
    let target = case::Entity::find()
        .filter(case::Column::Code.eq(code))
        .one(txn)
        .await?
        .ok_or_else(|| {
            AppError::field(
                "corroborates",
                FieldErrorCode::NotFound,
                "no case with this number",
            )
        })?;
    if !target.state().is_open() {
        return Err(AppError::Conflict(format!(
            "case {code} is no longer open; file a new report"
        )));
    }
    if target.group_code != category.group_code {
        return Err(AppError::validation(
            "corroborates",
            "that case is about another kind of problem",
        ));
    }
    // A "me too" is from someone near the problem: as far as `nearby`
    // offers cases, measured the same way (to the published place).
    if geo::distance_m(location, public_point(&target)) > NEARBY_MAX_RADIUS_M {
        return Err(AppError::validation(
            "corroborates",
            "that case is too far from this report's place; file a new report",
        ));
    }
    let count = target.corroboration_count + 1;
    let priority = if count >= HIGH_PRIORITY_AT && target.priority == "normal" {
        "high"
    } else {
        target.priority.as_str()
    };
    // Bump in SQL so two concurrent "me too"s both count.
    use sea_orm::sea_query::ExprTrait;
    case::Entity::update_many()
        .col_expr(
            case::Column::CorroborationCount,
            Expr::col(case::Column::CorroborationCount).add(1),
        )
        .col_expr(
            case::Column::Version,
            Expr::col(case::Column::Version).add(1),
        )
        .col_expr(case::Column::Priority, Expr::value(priority))
        .col_expr(case::Column::UpdatedAt, Expr::value(now))
        .filter(case::Column::Id.eq(target.id))
        .exec(txn)
        .await?;
    event(
        txn,
        target.id,
        now,
        "corroborated",
        None,
        None,
        Some("another resident reported the same problem".to_owned()),
    )
    .await?;
    Ok(target)
}

/// A timeline entry for something the reporter did, shown to them. A note
/// here is the reporter's own text or the system's, never public (see
/// `disclosure::service::public_note`).
async fn event(
    txn: &impl ConnectionTrait,
    case_id: i64,
    at: DateTime<Utc>,
    action: &str,
    from: Option<&str>,
    to: Option<&str>,
    note: Option<String>,
) -> Result<(), DbErr> {
    case_event::ActiveModel {
        case_id: Set(case_id),
        at: Set(at),
        actor: Set(REPORTER_ACTOR.to_owned()),
        action: Set(action.to_owned()),
        from_state: Set(from.map(str::to_owned)),
        to_state: Set(to.map(str::to_owned)),
        note: Set(note),
        public: Set(true),
        ..Default::default()
    }
    .insert(txn)
    .await
    .map(|_| ())
}

#[allow(clippy::too_many_arguments)]
async fn insert_photo(
    txn: &impl ConnectionTrait,
    report: &report::Model,
    p: &ProcessedPhoto,
    original: String,
    display: String,
    thumbnail: String,
    size: usize,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    photo::ActiveModel {
        report_id: Set(report.id),
        case_id: Set(report.case_id),
        original_key: Set(original),
        original_sha256: Set(p.original_sha256.clone()),
        original_format: Set(p.original_format.mime().to_owned()),
        original_bytes: Set(size as i64),
        display_key: Set(display),
        thumbnail_key: Set(thumbnail),
        width: Set(p.width as i32),
        height: Set(p.height as i32),
        exif_lat: Set(p.exif_location.as_ref().map(|g| g.lat)),
        exif_lon: Set(p.exif_location.as_ref().map(|g| g.lon)),
        exif_taken_at: Set(p.exif_taken_at.clone()),
        received_at: Set(now),
        public: Set(false),
        ..Default::default()
    }
    .insert(txn)
    .await
    .map(|_| ())
}

/// The widest radius `/api/v1/reports/nearby` searches, and so the furthest
/// a "me too" may be from the case it joins.
pub const NEARBY_MAX_RADIUS_M: f64 = 2000.0;

/// The radius the report form asks for: a case not yet disclosed is placed
/// at the centre of its cell of about 1 km, so a smaller radius would miss
/// a case across the street.
pub const NEARBY_DEFAULT_RADIUS_M: f64 = 1000.0;

/// Open cases of the category's group within `radius_m` metres, filed in the
/// last `days` days, nearest first. Nothing personal is returned.
///
/// Distances, and the radius itself, are measured to each case's published
/// place ([`public_point`]), never to the exact one: a stranger who asks
/// from three places, or narrows the radius until a case drops out, learns
/// the public record's point (about 1 km for a case not yet disclosed) and
/// nothing finer.
pub async fn nearby(
    db: &DatabaseConnection,
    category_code: &str,
    at: LatLon,
    radius_m: f64,
    days: i64,
) -> Result<Vec<NearbyCase>, AppError> {
    let category = categories::service::find_active(db, category_code)
        .await?
        .ok_or_else(|| AppError::validation("category", "no such category"))?;
    // A published point is the centre of its grid cell, at most half a cell
    // (the coarsest precision's) from the exact one on each axis: widen the
    // exact-point box by that much, then decide on the published point.
    let slack = shared::disclosure::Precision::Area.half_step();
    let d_lat = radius_m / 111_320.0 + slack;
    let d_lon = radius_m / (111_320.0 * at.lat.to_radians().cos().max(0.01)) + slack;
    let since = Utc::now() - Duration::days(days);
    let rows = case::Entity::find()
        .filter(case::Column::GroupCode.eq(category.group_code.as_str()))
        .filter(case::Column::State.is_in(CaseState::open_names()))
        .filter(case::Column::Lat.between(at.lat - d_lat, at.lat + d_lat))
        .filter(case::Column::Lon.between(at.lon - d_lon, at.lon + d_lon))
        .filter(case::Column::SubmittedAt.gte(since))
        .order_by_desc(case::Column::SubmittedAt)
        .limit(200)
        .all(db)
        .await?;
    let names = category_names(db).await?;
    let mut found: Vec<NearbyCase> = rows
        .into_iter()
        .filter_map(|c| {
            let distance = geo::distance_m(at, public_point(&c));
            (distance <= radius_m).then(|| {
                let (code, zh, en) = names
                    .iter()
                    .find(|n| n.0 == c.category_id)
                    .map(|n| (n.1.clone(), n.2.clone(), n.3.clone()))
                    .unwrap_or_default();
                NearbyCase {
                    tracking_code: c.code,
                    category: code,
                    category_name: zh,
                    category_name_en: en,
                    state: c.state,
                    distance_m: distance.round() as u32,
                    submitted_at: c.submitted_at.to_rfc3339(),
                    corroborations: u32::try_from(c.corroboration_count).unwrap_or(0),
                }
            })
        })
        .collect();
    found.sort_by_key(|c| c.distance_m);
    found.truncate(10);
    Ok(found)
}

async fn category_names(
    db: &impl ConnectionTrait,
) -> Result<Vec<(i64, String, String, String)>, DbErr> {
    Ok(category::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c.code, c.name_zh, c.name_en))
        .collect())
}

/// The reporter's view. An unknown code and a wrong secret are the same
/// answer, so neither can be probed.
///
/// A secret opens only what its holder wrote, plus what is public. The
/// original reporter (the one the case was opened for) also reads the
/// department's reply and the timeline's notes, and may contest; a "me too"
/// reporter reads their own report and the case's public record — the
/// reply can name people and places the public record leaves out.
pub async fn track(
    db: &DatabaseConnection,
    code: &str,
    secret: &str,
    deadlines: &Deadlines,
) -> Result<TrackView, AppError> {
    let (c, r) = authenticate(db, code, secret).await?;
    let original = is_original(&r);
    let category = category::Entity::find_by_id(c.category_id).one(db).await?;
    // The reply is shown once approved, and stays shown while contested.
    let reply_shown = original && (c.state == "closed" || c.contested);
    // What a "me too" reporter reads instead: the public record's texts.
    let disclosed = c.disclosed_at.is_some();
    let public_finding = (disclosed && c.state == "closed")
        .then(|| c.finding.clone())
        .flatten();
    let public_actions = disclosed.then(|| c.public_actions.clone()).flatten();
    let merged_into = match c.merged_into_id {
        Some(id) => case::Entity::find_by_id(id).one(db).await?.map(|m| m.code),
        None => None,
    };
    let department = match c.department_id {
        Some(id) => department::Entity::find_by_id(id).one(db).await?,
        None => None,
    };
    let area = match c.area_id {
        Some(id) => area::Entity::find_by_id(id).one(db).await?,
        None => None,
    };
    let timeline = if original {
        case_event::Entity::find()
            .filter(case_event::Column::CaseId.eq(c.id))
            .filter(case_event::Column::Public.eq(true))
            .order_by_asc(case_event::Column::At)
            .order_by_asc(case_event::Column::Id)
            .all(db)
            .await?
            .into_iter()
            .map(|e| TimelineEntry {
                at: e.at.to_rfc3339(),
                action: e.action,
                state: e.to_state,
                note: e.note,
            })
            .collect()
    } else {
        crate::disclosure::service::public_timeline(db, &c).await?
    };
    let photos = photo::Entity::find()
        .filter(photo::Column::ReportId.eq(r.id))
        .order_by_asc(photo::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|p| PhotoRef {
            display_url: format!("/photos/display/{}.jpg", p.display_key),
            thumbnail_url: format!("/photos/thumb/{}.jpg", p.thumbnail_key),
            width: u32::try_from(p.width).unwrap_or(0),
            height: u32::try_from(p.height).unwrap_or(0),
        })
        .collect();
    let can_contest = original && can_contest(&c, deadlines, Utc::now());
    // The reward is shown to the reporter it is meant for, once approved
    // (a proposal still under review, or refused, stays internal; one
    // withdrawn after approval is shown withdrawn).
    let reward = match crate::rewards::service::for_case(db, c.id).await? {
        Some(w) if w.report_id == r.id && crate::rewards::service::told_to_reporter(&w) => {
            let paid = crate::db::entities::reward_payment::Entity::find()
                .filter(crate::db::entities::reward_payment::Column::RewardId.eq(w.id))
                .one(db)
                .await?
                .map(|p| p.paid_at);
            Some(crate::rewards::service::reporter_view(&w, paid, Utc::now()))
        }
        _ => None,
    };
    Ok(TrackView {
        tracking_code: c.code,
        state: c.state,
        category: category
            .as_ref()
            .map(|x| x.code.clone())
            .unwrap_or_default(),
        category_name: category
            .as_ref()
            .map(|x| x.name_zh.clone())
            .unwrap_or_default(),
        category_name_en: category
            .as_ref()
            .map(|x| x.name_en.clone())
            .unwrap_or_default(),
        submitted_at: c.submitted_at.to_rfc3339(),
        updated_at: c.updated_at.to_rfc3339(),
        department: department.map(|d| DepartmentRef {
            code: d.code,
            name: d.name_zh,
            name_en: d.name_en,
        }),
        area_en: area.as_ref().map(|a| a.name_en.clone()),
        area: area.map(|a| a.name_zh),
        description: r.description,
        lat: r.lat,
        lon: r.lon,
        corroborations: u32::try_from(c.corroboration_count).unwrap_or(0),
        your_report: r.kind,
        anonymous: r.identity_id.is_none(),
        photos,
        timeline,
        reply: reply_shown.then(|| c.reply.clone()).flatten(),
        finding: if original {
            reply_shown.then(|| c.finding.clone()).flatten()
        } else {
            public_finding
        },
        actions_taken: if original {
            reply_shown.then(|| c.actions_taken.clone()).flatten()
        } else {
            public_actions
        },
        deadline: c.due_at.map(|d| d.to_rfc3339()),
        can_contest,
        contested: c.contested,
        merged_into,
        reward,
    })
}

/// The case and the reporter's own report, if the secret belongs to one of
/// the case's reports. An unknown code and a wrong secret are one answer.
async fn authenticate(
    conn: &impl ConnectionTrait,
    code: &str,
    secret: &str,
) -> Result<(case::Model, report::Model), AppError> {
    let code = shared::report::tracking_code::normalize(code).ok_or(AppError::NotFound)?;
    let case_row = case::Entity::find()
        .filter(case::Column::Code.eq(code.as_str()))
        .one(conn)
        .await?;
    let secret_hash = sha256_hex(secret.trim().as_bytes());
    let report_row = match &case_row {
        Some(c) => {
            report::Entity::find()
                .filter(report::Column::CaseId.eq(c.id))
                .filter(report::Column::SecretHash.eq(secret_hash.as_str()))
                .one(conn)
                .await?
        }
        None => None,
    };
    match (case_row, report_row) {
        (Some(c), Some(r)) => Ok((c, r)),
        _ => Err(AppError::NotFound),
    }
}

/// Whether the report is the one its case was opened for (not a "me too").
fn is_original(r: &report::Model) -> bool {
    r.kind == "original"
}

/// A closed case's reply may be contested once, within `contest_days`.
fn can_contest(c: &case::Model, deadlines: &Deadlines, now: DateTime<Utc>) -> bool {
    c.state == "closed"
        && c.reply.is_some()
        && !c.contested
        && c.closed_at
            .is_some_and(|t| now < t + Duration::days(deadlines.contest_days))
}

/// The reporter's actions on their case (`POST /api/v1/track/{code}/actions`).
/// A reporter's reward step in the timeline and the audit log (the payout
/// account is in neither).
async fn reward_event(
    txn: &impl ConnectionTrait,
    c: &case::Model,
    r: &report::Model,
    action: &str,
    from: shared::reward::RewardState,
    to: shared::reward::RewardState,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    version::bump_version(txn, c, version::no_changes(), now).await?;
    event(txn, c.id, now, action, None, None, None).await?;
    crate::audit::record(
        txn,
        crate::audit::Entry {
            actor: REPORTER_ACTOR,
            action: &format!("reward.{}", action.trim_end_matches("_reward")),
            object_type: "case",
            object_id: &c.code,
            detail: Some(format!(
                "report {}: reward {} → {}",
                r.id,
                from.as_str(),
                to.as_str()
            )),
        },
    )
    .await?;
    Ok(())
}

pub async fn reporter_action(
    db: &DatabaseConnection,
    pii: &PiiCipher,
    code: &str,
    secret: &str,
    action: ReporterAction,
    deadlines: &Deadlines,
) -> Result<TrackView, AppError> {
    let now = Utc::now();
    crate::rewards::service::expire_due(db, now).await?;
    let txn = crate::db::begin_write(db).await?;
    let (c, r) = authenticate(&txn, code, secret).await?;
    match action {
        ReporterAction::ClaimReward { payout_account } => {
            let (from, to) = crate::rewards::service::reporter_step(
                &txn,
                pii,
                &c,
                &r,
                Some(payout_account),
                now,
            )
            .await?;
            reward_event(&txn, &c, &r, "claim_reward", from, to, now).await?;
        }
        ReporterAction::DeclineReward => {
            let (from, to) =
                crate::rewards::service::reporter_step(&txn, pii, &c, &r, None, now).await?;
            reward_event(&txn, &c, &r, "decline_reward", from, to, now).await?;
        }
        ReporterAction::Contest { reason } => {
            // The reply was written to the original reporter; a "me too"
            // cannot reopen the case, nor spend the reporter's one contest.
            if !is_original(&r) {
                return Err(AppError::Forbidden(
                    "only the resident who filed the case can contest its reply".to_owned(),
                ));
            }
            let reason = reason.trim().to_owned();
            if reason.is_empty() || reason.chars().count() > 2000 {
                return Err(AppError::validation(
                    "reason",
                    "say in 1 to 2000 characters why the reply is wrong",
                ));
            }
            if c.contested {
                return Err(AppError::Conflict(
                    "the reply was already contested once".to_owned(),
                ));
            }
            if !can_contest(&c, deadlines, now) {
                return Err(AppError::Conflict(
                    "only a closed case's reply can be contested, within the contest window"
                        .to_owned(),
                ));
            }
            // Back to review, with time for the reviewers to look again.
            let due = now + Duration::days(deadlines.contest_days);
            let reopen = case::Entity::update_many()
                .col_expr(
                    case::Column::State,
                    Expr::value(CaseState::ReplyReview.as_str()),
                )
                .col_expr(case::Column::Contested, Expr::value(true))
                .col_expr(case::Column::DueAt, Expr::value(Some(due)))
                .col_expr(case::Column::ClosedAt, Expr::value(None::<DateTime<Utc>>))
                .col_expr(case::Column::ReplyApprovedBy, Expr::value(None::<i64>));
            version::bump_version(&txn, &c, reopen, now).await?;
            event(
                &txn,
                c.id,
                now,
                "contested",
                Some("closed"),
                Some("reply_review"),
                Some(reason),
            )
            .await?;
            crate::rewards::service::hold(&txn, &c, now).await?;
            crate::audit::record(
                &txn,
                crate::audit::Entry {
                    actor: REPORTER_ACTOR,
                    action: "case.contest",
                    object_type: "case",
                    object_id: &c.code,
                    detail: Some(format!("report {}", r.id)),
                },
            )
            .await?;
        }
    }
    txn.commit().await?;
    track(db, code, secret, deadlines).await
}

//! Filing a report (受理前的登记), corroborating an open case ("me too"),
//! finding open cases nearby, and the reporter's view of a case.

use super::idempotency::{self, IdempotencyKey};
use super::input::{NewReport, RawReport};
use crate::audit;
use crate::cases::deadlines::Deadlines;
use crate::cases::effects::{
    Event, Named, Request, came_back_window_open, contest_window_open, effects,
};
use crate::cases::service as cases_service;
use crate::cases::service::{Applier, By};
use crate::cases::timeline::record_event;
use crate::cases::workflow::{self, Action, Actor, Reporter};
use crate::categories::service as categories_service;
use crate::clock::Clock;
use crate::db::entities::{
    api_key, area, case, case_event, category, department, photo, report, reporter_identity,
};
use crate::digest::sha256_hex;
use crate::disclosure::service::{REPORTER_ACTOR, public_point};
use crate::error::{AppError, is_unique_violation};
use crate::evidence::documents;
use crate::outbox;
use crate::photos::{PhotoError, PhotoPipeline, ProcessedPhoto};
use crate::privacy::PiiCipher;
use crate::routing::service as routing_service;
use crate::storage::{PhotoKind, PhotoStore};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use rand::RngCore;
use rand::rngs::OsRng;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, QueryOrder, Set,
};
use sha2::{Digest, Sha256};
use shared::FieldErrorCode;
use shared::case::CaseState;
use shared::geo::{self, LatLon};
use shared::report::{
    Channel, DepartmentRef, PhotoRef, ReporterAction, SubmitReceipt, TimelineEntry, TrackView,
};
use shared::roles::Role;

/// The error code of a work order handed off twice at once.
pub const ORDER_EXISTS: &str = "order_exists";

/// Corroborations that make a case high priority: several residents
/// bothered by one source is worth an earlier visit.
const HIGH_PRIORITY_AT: i32 = 2;

pub struct Reports<'a> {
    pub db: &'a DatabaseConnection,
    pub pii: &'a PiiCipher,
    pub pipeline: &'a PhotoPipeline,
    pub store: &'a dyn PhotoStore,
    pub deadlines: Deadlines,
    pub clock: &'a Clock,
}

/// 128 random bits, URL-safe: the reporter's key to the case.
pub(crate) fn new_secret() -> String {
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

/// A photo the pipeline refused, as the client is told (photo `index` from 0).
/// Decodes and checks photos through the pipeline (in parallel, outside
/// any transaction: decoding is the slow part); the first refusal, by the
/// photo's place, is the answer. Residents' reports and answers, and staff's
/// evidence, all go through it.
pub async fn process_photos(
    pipeline: &PhotoPipeline,
    photos: &[bytes::Bytes],
) -> Result<Vec<ProcessedPhoto>, AppError> {
    let jobs = photos.iter().cloned().map(|bytes| pipeline.process(bytes));
    let mut processed = Vec::with_capacity(photos.len());
    for (i, result) in futures::future::join_all(jobs)
        .await
        .into_iter()
        .enumerate()
    {
        processed.push(result.map_err(|e| photo_error(i, e))?);
    }
    Ok(processed)
}

/// A photo's stored copies: the keys of its original, display copy and
/// thumbnail.
pub struct PhotoKeys {
    pub original: String,
    pub display: String,
    pub thumbnail: String,
}

/// Stores a photo's original (as received, private) and its two copies.
/// Content-addressed, so storing again stores nothing twice.
pub async fn store_copies(
    store: &dyn PhotoStore,
    original: bytes::Bytes,
    p: &ProcessedPhoto,
) -> Result<PhotoKeys, AppError> {
    Ok(PhotoKeys {
        original: store.put(PhotoKind::Original, original).await?,
        display: store
            .put(PhotoKind::Display, p.display.clone().into())
            .await?,
        thumbnail: store
            .put(PhotoKind::Thumbnail, p.thumbnail.clone().into())
            .await?,
    })
}

pub fn photo_error(index: usize, e: PhotoError) -> AppError {
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

/// Who files a report and by which road (受理渠道): a resident themself,
/// by the web form or an Open311 app, a member of staff on a caller's
/// behalf (代录) by one of [`Channel::FOR_CALLER`], or the 12345 platform
/// handing off a work order (平台转办). Built only through its
/// constructors, so a resident's report never carries a staff road, a
/// report filed for a caller always names who filed it, and a hand-off
/// always carries its platform key and order number.
#[derive(Debug, Clone, Copy)]
pub struct Intake<'a> {
    channel: Channel,
    by: Filer<'a>,
    /// Documents brought in with a report filed for a caller (代录),
    /// already checked and stored, and who brought them in (user id).
    documents: Option<(i64, &'a [documents::Stored])>,
    /// Invented by `shanshui demo` (演示数据): the case is marked so in the
    /// filing's own transaction, and nobody is texted about it.
    demo: bool,
}

#[derive(Debug, Clone, Copy)]
enum Filer<'a> {
    Resident,
    /// Through an API key: an Open311 app (its user's own report), or the
    /// 12345 platform with its work-order number.
    Client {
        key: &'a api_key::Model,
        order_no: Option<&'a str>,
    },
    /// A member of staff (by name, for the audit log).
    Staff(&'a str),
}

impl<'a> Intake<'a> {
    /// The resident's own report form.
    pub const WEB: Intake<'static> = Intake {
        channel: Channel::Web,
        by: Filer::Resident,
        documents: None,
        demo: false,
    };
    /// A resident's report through an Open311 app, by its key (a callback
    /// on the key hears of the case's changes).
    pub fn open311(key: &'a api_key::Model) -> Self {
        Intake {
            channel: Channel::Open311,
            by: Filer::Client {
                key,
                order_no: None,
            },
            documents: None,
            demo: false,
        }
    }

    /// An Open311 report with no key behind it: the demo's invented ones.
    pub const OPEN311_UNKEYED: Intake<'static> = Intake {
        channel: Channel::Open311,
        by: Filer::Resident,
        documents: None,
        demo: false,
    };

    /// The 12345 platform's work order `order_no`, handed off with a key of
    /// scope `platform_12345` (the caller checked the key and signature).
    pub fn handoff(key: &'a api_key::Model, order_no: &'a str) -> Self {
        Intake {
            channel: Channel::Platform12345,
            by: Filer::Client {
                key,
                order_no: Some(order_no),
            },
            documents: None,
            demo: false,
        }
    }

    /// A report filed by `staff` for a caller, a letter or a visitor, or
    /// found on an inspection. Dispatchers and admins file by every such
    /// road; a handler only what they found themselves (`inspection`).
    pub fn for_caller(channel: Channel, staff: &'a str, role: Role) -> Result<Self, AppError> {
        if !channel.is_for_caller() {
            return Err(AppError::field(
                "channel",
                FieldErrorCode::Invalid,
                format!(
                    "`{}` is a resident's own road; staff file by one of: {}",
                    channel.as_str(),
                    Channel::FOR_CALLER.map(Channel::as_str).join(", ")
                ),
            ));
        }
        let allowed = match role {
            Role::Dispatcher | Role::Admin => true,
            Role::Handler => channel == Channel::Inspection,
            _ => false,
        };
        if !allowed {
            return Err(AppError::Forbidden(match role {
                Role::Handler => {
                    "a handler files only what they found on an inspection (channel `inspection`)"
                        .to_owned()
                }
                _ => "only dispatchers and admins file reports for callers".to_owned(),
            }));
        }
        Ok(Intake {
            channel,
            by: Filer::Staff(staff),
            documents: None,
            demo: false,
        })
    }

    /// With the documents the caller brought in, stored, as filed by staff
    /// member `by` (user id). Only a filing for a caller carries documents.
    pub fn with_documents(self, by: i64, documents: &'a [documents::Stored]) -> Self {
        match self.by {
            Filer::Staff(_) if !documents.is_empty() => Intake {
                documents: Some((by, documents)),
                ..self
            },
            _ => self,
        }
    }

    pub fn channel(&self) -> Channel {
        self.channel
    }

    /// The same road, for a report `shanshui demo` invents.
    pub fn invented(self) -> Self {
        Intake { demo: true, ..self }
    }
}

/// A photo's stored copies: original, display and thumbnail keys, and the
/// original's size.
type StoredPhoto = (String, String, String, usize);

impl Reports<'_> {
    /// Stores each photo's original and copies. Content-addressed, so a
    /// retry stores nothing twice; a failed transaction afterwards leaves
    /// files no row points to, never the reverse.
    async fn store_photos(
        &self,
        photos: &[bytes::Bytes],
        processed: &[ProcessedPhoto],
    ) -> Result<Vec<StoredPhoto>, AppError> {
        let mut stored = Vec::with_capacity(processed.len());
        for (bytes, p) in photos.iter().zip(processed) {
            let keys = store_copies(self.store, bytes.clone(), p).await?;
            stored.push((keys.original, keys.display, keys.thumbnail, bytes.len()));
        }
        Ok(stored)
    }

    /// `answer_info` with photos (补充材料): up to three, through the
    /// photo pipeline and limits of a report, kept with the reporter's own
    /// report as evidence that can never be published.
    pub async fn answer_with_photos(
        &self,
        code: &str,
        secret: &str,
        answer: String,
        photos: Vec<bytes::Bytes>,
    ) -> Result<TrackView, AppError> {
        let max = shared::followup::MAX_ANSWER_PHOTOS;
        if photos.len() > max {
            return Err(AppError::field(
                "photo",
                FieldErrorCode::TooMany,
                format!("at most {max} photos with an answer"),
            ));
        }
        let now = self.clock.now();
        // Who asks, and whether a question waits, before any photo is
        // decoded or stored: a stranger costs nothing.
        {
            let (c, r) = authenticate(self.db, code, secret).await?;
            workflow::check(&reporter(&r), &cases_service::facts(&c), Action::AnswerInfo)
                .map_err(crate::cases::effects::refused)?;
        }
        let processed = process_photos(self.pipeline, &photos).await?;
        let stored = self.store_photos(&photos, &processed).await?;
        let txn = crate::db::begin_write(self.db).await?;
        let (c, r) = authenticate(&txn, code, secret).await?;
        let change = effects(
            &reporter(&r),
            &cases_service::facts(&c),
            Request::Reporter(ReporterAction::AnswerInfo { answer }),
            &Named::default(),
            &self.deadlines,
            now,
        )?;
        let applier = Applier {
            pii: self.pii,
            deadlines: &self.deadlines,
        };
        cases_service::apply(&txn, &applier, &c, By::Reporter(&r), change, now).await?;
        for (p, (original, display, thumbnail, size)) in processed.iter().zip(stored) {
            insert_photo(&txn, &r, p, original, display, thumbnail, size, now, true).await?;
        }
        txn.commit().await?;
        crate::notify::wake();
        track(self.db, self.pii, code, secret, &self.deadlines, now).await
    }

    /// Files a report. With an idempotency key, a retry of the same request
    /// returns the first receipt and creates nothing.
    pub async fn submit(
        &self,
        raw: RawReport,
        intake: Intake<'_>,
        idempotency_key: Option<IdempotencyKey>,
    ) -> Result<SubmitReceipt, AppError> {
        let now = self.clock.now();
        let channel = intake.channel;
        let request_hash = request_hash(&raw, intake);
        if let Some(key) = &idempotency_key
            && let Some(receipt) = idempotency::replay(self.db, key, &request_hash, now).await?
        {
            return Ok(receipt);
        }
        let new = raw.parse(now)?;
        let category = categories_service::find_active(self.db, &new.category)
            .await?
            .ok_or_else(|| {
                AppError::field(
                    "category",
                    FieldErrorCode::NotFound,
                    "no such category; see GET /api/v1/categories",
                )
            })?;
        let answers = crate::categories::answers::check(
            &categories_service::questions(&category),
            &new.answers,
        )
        .map_err(AppError::Validation)?;

        // Photos first, outside any transaction: decoding is the slow part.
        let processed = process_photos(self.pipeline, &new.photos).await?;

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

        let stored = self.store_photos(&new.photos, &processed).await?;

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
                    Opening {
                        new: &new,
                        channel,
                        client: match intake.by {
                            Filer::Client { key, order_no } => Some((key.id, order_no)),
                            _ => None,
                        },
                        category: &category,
                        location,
                        area: area.as_ref(),
                    },
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
            category_id: Set(Some(category.id)),
            category_version: Set(category.version),
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
                false,
            )
            .await?;
        }
        let brought = match (intake.documents, intake.by) {
            (Some((by, list)), Filer::Staff(staff)) => {
                documents::insert(&txn, case_row.id, None, by, list, now).await?;
                // Staff only: the papers are evidence, never published.
                let note = Some(documents::summary(list));
                record_event(
                    &txn,
                    case_row.id,
                    now,
                    staff,
                    &Event::aside("add_evidence", note, false),
                )
                .await?;
                format!("; {}", documents::summary(list))
            }
            _ => String::new(),
        };

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
        if let Filer::Client {
            key,
            order_no: Some(order_no),
        } = intake.by
        {
            audit::record(
                &txn,
                audit::Entry {
                    actor: &format!("api-key:{}", key.prefix),
                    action: "report.handed_off",
                    object_type: "case",
                    object_id: &case_row.code,
                    detail: Some(format!(
                        "order {order_no}; {} photos; {}",
                        processed.len(),
                        if identity_id.is_some() {
                            "named"
                        } else {
                            "anonymous"
                        }
                    )),
                },
            )
            .await?;
        }
        if intake.demo {
            case::Entity::update_many()
                .col_expr(case::Column::Demo, sea_orm::sea_query::Expr::value(true))
                .filter(case::Column::Id.eq(case_row.id))
                .exec(&txn)
                .await?;
        }
        if let (Filer::Staff(_), Some(caller), false) = (&intake.by, &new.identity, intake.demo) {
            // The caller who gave a phone gets the tracking code by SMS
            // (the secret was read out to them, and 找回 gives a new one).
            crate::notify::enqueue_to_phone(
                &txn,
                self.pii,
                &caller.phone,
                Some(case_row.id),
                crate::notify::sms::Template::Receipt,
                vec![case_row.code.clone()],
                now,
            )
            .await?;
        }
        if let Filer::Staff(staff) = intake.by {
            // Who keyed it in, and by which road: never the caller's words
            // or identity, which stay in the report (encrypted).
            audit::record(
                &txn,
                audit::Entry {
                    actor: staff,
                    action: "report.filed_for_caller",
                    object_type: "case",
                    object_id: &case_row.code,
                    detail: Some(format!(
                        "channel {}; {kind}; {} photos; {}{brought}",
                        channel.as_str(),
                        processed.len(),
                        if identity_id.is_some() {
                            "named"
                        } else {
                            "anonymous"
                        }
                    )),
                },
            )
            .await?;
        }
        txn.commit().await?;
        crate::notify::wake();
        tracing::info!(case = %receipt.tracking_code, kind, channel = channel.as_str(), photos = receipt.photos, "report filed");
        Ok(receipt)
    }
}

/// A fingerprint of the request, photos included, for idempotency. A
/// report filed for a caller also fingerprints its road, so the same words
/// keyed in again as a letter are a different request.
fn request_hash(raw: &RawReport, intake: Intake<'_>) -> String {
    let mut h = Sha256::new();
    if matches!(intake.by, Filer::Staff(_)) {
        h.update(intake.channel.as_str().as_bytes());
        h.update([0xfe]);
    }
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
    for d in intake.documents.map(|(_, list)| list).unwrap_or_default() {
        h.update(b"document");
        h.update(d.checked.file_name.as_bytes());
        h.update([0xff]);
        h.update(d.checked.sha256.as_bytes());
    }
    hex::encode(h.finalize())
}

/// The 街道/镇 that contains the point (see `directory::geo::locate`).
pub use crate::directory::geo::locate;

/// What a new case opens with: the report, the road it came by, its
/// category and place.
struct Opening<'a> {
    new: &'a NewReport,
    channel: Channel,
    /// The API key it came through and the platform's order number.
    client: Option<(i64, Option<&'a str>)>,
    category: &'a category::Model,
    location: LatLon,
    area: Option<&'a area::Model>,
}

async fn open_case(
    txn: &impl ConnectionTrait,
    opening: Opening<'_>,
    now: DateTime<Utc>,
    deadlines: &Deadlines,
) -> Result<case::Model, AppError> {
    let Opening {
        new,
        channel,
        client,
        category,
        location,
        area,
    } = opening;
    // Routed by when the problem happened (night-time construction noise
    // reported the next morning is still night-time noise).
    let happened = new.occurred_at.filter(|t| *t <= now).unwrap_or(now);
    let route = routing_service::route(txn, category, area.map(|a| a.id), happened).await?;
    let accept_due = deadlines.accept_due(now);
    // A collision among 31^8 codes is rare; try again rather than fail.
    let mut attempt = 0;
    let row = loop {
        attempt += 1;
        let inserted = case::ActiveModel {
            code: Set(new_tracking_code()),
            category_id: Set(category.id),
            category_version: Set(category.version),
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
            channel: Set(channel.as_str().to_owned()),
            api_key_id: Set(client.map(|(key, _)| key)),
            external_ref: Set(client.and_then(|(_, order)| order).map(str::to_owned)),
            ..Default::default()
        }
        .insert(txn)
        .await;
        match inserted {
            Ok(row) => break row,
            // The platform's order is a case already (a twin request
            // committed first): the caller answers with that case.
            Err(e) if client.is_some_and(|(_, o)| o.is_some()) && is_unique_violation(&e) => {
                return Err(AppError::Rejected {
                    status: StatusCode::CONFLICT,
                    code: ORDER_EXISTS,
                    message: "this work order has already been handed off".to_owned(),
                });
            }
            Err(e) if attempt < 5 && is_unique_violation(&e) => {
                continue;
            }
            Err(e) => return Err(e.into()),
        }
    };
    let note = route.quiet_period.as_ref().map(|q| format!("{q}: urgent"));
    let submitted = Event {
        to: Some(CaseState::Submitted),
        ..Event::aside("submitted", note, true)
    };
    record_event(txn, row.id, now, REPORTER_ACTOR, &submitted).await?;
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
    let note = "another resident reported the same problem".to_owned();
    let corroborated = Event::aside("corroborated", Some(note), true);
    record_event(txn, target.id, now, REPORTER_ACTOR, &corroborated).await?;
    Ok(target)
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
    answer: bool,
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
        answer: Set(answer),
        ..Default::default()
    }
    .insert(txn)
    .await
    .map(|_| ())
}

/// The widest radius `/api/v1/reports/nearby` searches, and so the furthest
/// a "me too" may be from the case it joins.
pub const NEARBY_MAX_RADIUS_M: f64 = 2000.0;

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
    pii: &PiiCipher,
    code: &str,
    secret: &str,
    deadlines: &Deadlines,
    now: DateTime<Utc>,
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
        crate::disclosure::service::public_timeline(db, c.id, c.disclosed_at.is_some()).await?
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
    let f = cases_service::facts(&c);
    let me = reporter(&r);
    let may = |action: Action| workflow::check(&me, &f, action).is_ok();
    let can_contest = may(Action::Contest) && contest_window_open(&f, deadlines, now);
    // The loop after filing is the original reporter's: a "me too" reporter
    // reads neither the questions nor the rating.
    let (info_requests, rating) = if original {
        (
            crate::cases::followup::questions(db, c.id).await?,
            crate::cases::followup::rating(db, c.id).await?,
        )
    } else {
        (Vec::new(), None)
    };
    let can_come_back = may(Action::CameBack) && came_back_window_open(&f, now);
    let (came_back_from, came_back_as) = crate::cases::followup::links(db, &c).await?;
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
            Some(crate::rewards::service::reporter_view(&w, paid, now))
        }
        _ => None,
    };
    let notify = crate::notify::contacts::status(db, pii, &r).await?;
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
        info_requests,
        can_answer: may(Action::AnswerInfo),
        rating,
        can_rate: may(Action::Rate),
        can_come_back,
        came_back_as,
        came_back_from,
        new_case: None,
        notify,
    })
}

/// The case and the reporter's own report, if the secret belongs to one of
/// the case's reports. An unknown code and a wrong secret are one answer.
pub(crate) async fn authenticate(
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

/// Who the secret's holder is, to the workflow.
fn reporter(r: &report::Model) -> Actor {
    Actor::Reporter(Reporter {
        report_id: r.id,
        original: is_original(r),
    })
}

/// The reporter's actions on their case (`POST /api/v1/track/{code}/actions`):
/// workflow actions like the staff's, applied the same way.
pub async fn reporter_action(
    db: &DatabaseConnection,
    pii: &PiiCipher,
    code: &str,
    secret: &str,
    action: ReporterAction,
    deadlines: &Deadlines,
    now: DateTime<Utc>,
) -> Result<TrackView, AppError> {
    reporter_action_keyed(db, pii, code, secret, action, None, deadlines, now).await
}

/// A reporter's action with the client's `Idempotency-Key`: a `came_back`
/// sent again with the same key (its answer lost on a weak network) answers
/// the new case's receipt again instead of a 409 that would lose its
/// secret for good. Other actions need no key: a second try is a 409 that
/// loses nothing.
#[allow(clippy::too_many_arguments)]
pub async fn reporter_action_keyed(
    db: &DatabaseConnection,
    pii: &PiiCipher,
    code: &str,
    secret: &str,
    action: ReporterAction,
    key: Option<&str>,
    deadlines: &Deadlines,
    now: DateTime<Utc>,
) -> Result<TrackView, AppError> {
    let keyed = match (key, &action) {
        (Some(key), ReporterAction::CameBack { .. }) => {
            let (_, r) = authenticate(db, code, secret).await?;
            let key = IdempotencyKey::new(idempotency::KeyScope::Reporter(r.id), key);
            let hash = sha256_hex(
                serde_json::to_string(&action)
                    .unwrap_or_default()
                    .as_bytes(),
            );
            if let Some(receipt) =
                idempotency::replay::<SubmitReceipt>(db, &key, &hash, now).await?
            {
                let mut view = track(db, pii, code, secret, deadlines, now).await?;
                view.new_case = Some(receipt);
                return Ok(view);
            }
            Some((key, hash))
        }
        _ => None,
    };
    crate::rewards::service::expire_due(db, now).await?;
    let txn = crate::db::begin_write(db).await?;
    let (c, r) = authenticate(&txn, code, secret).await?;
    let facts = cases_service::facts(&c);
    let change = effects(
        &reporter(&r),
        &facts,
        Request::Reporter(action.clone()),
        &Named::default(),
        deadlines,
        now,
    )?;
    let applier = Applier { pii, deadlines };
    cases_service::apply(&txn, &applier, &c, By::Reporter(&r), change, now).await?;
    let new_case = match &action {
        ReporterAction::CameBack {
            description,
            keep_name,
        } => Some(
            open_came_back(&txn, &c, &r, description.trim(), *keep_name, deadlines, now).await?,
        ),
        _ => None,
    };
    if let (Some((key, hash)), Some(receipt)) = (&keyed, &new_case) {
        idempotency::remember(&txn, key, hash, receipt, now).await?;
    }
    txn.commit().await?;
    crate::notify::wake();
    let mut view = track(db, pii, code, secret, deadlines, now).await?;
    view.new_case = new_case;
    Ok(view)
}

/// "The problem came back" (问题反弹): a new case for the same problem at
/// the same place, linked to the closed one, routed by today's rules, with
/// a code and secret of its own. Anonymous unless the reporter chose to
/// keep their name (their identity, so the new case is theirs for a reward
/// of its own): the new case may go to another department, whose staff
/// would then read it. The reporter's answers travel with it, read by the
/// questions they were asked. The link is staff-only.
async fn open_came_back(
    txn: &impl ConnectionTrait,
    old: &case::Model,
    by: &report::Model,
    description: &str,
    keep_name: bool,
    deadlines: &Deadlines,
    now: DateTime<Utc>,
) -> Result<SubmitReceipt, AppError> {
    let category = category::Entity::find_by_id(old.category_id)
        .one(txn)
        .await?
        .ok_or(AppError::NotFound)?;
    let area = match old.area_id {
        Some(id) => area::Entity::find_by_id(id).one(txn).await?,
        None => None,
    };
    let location = LatLon {
        lat: old.lat,
        lon: old.lon,
    };
    let new = NewReport {
        category: category.code.clone(),
        description: description.to_owned(),
        location: Some(location),
        coord_system: super::input::CoordSystem::Wgs84,
        accuracy_m: old.accuracy_m,
        occurred_at: None,
        answers: serde_json::Map::new(),
        identity: None,
        corroborates: None,
        photos: Vec::new(),
    };
    let opening = Opening {
        new: &new,
        channel: Channel::Web,
        client: None,
        category: &category,
        location,
        area: area.as_ref(),
    };
    let row = open_case(txn, opening, now, deadlines).await?;
    case::Entity::update_many()
        .col_expr(case::Column::CameBackFromId, Expr::value(Some(old.id)))
        .filter(case::Column::Id.eq(row.id))
        .exec(txn)
        .await?;
    let secret = new_secret();
    report::ActiveModel {
        case_id: Set(row.id),
        kind: Set("original".to_owned()),
        secret_hash: Set(sha256_hex(secret.as_bytes())),
        description: Set(description.to_owned()),
        answers: Set(by.answers.clone()),
        lat: Set(old.lat),
        lon: Set(old.lon),
        accuracy_m: Set(old.accuracy_m),
        coord_system: Set("wgs84".to_owned()),
        location_source: Set(by.location_source.clone()),
        occurred_at: Set(None),
        submitted_at: Set(now),
        identity_id: Set(by.identity_id.filter(|_| keep_name)),
        category_id: Set(by.category_id.or(Some(category.id))),
        category_version: Set(by.category_version),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    record_event(
        txn,
        row.id,
        now,
        REPORTER_ACTOR,
        &Event::aside("came_back_from", Some(old.code.clone()), false),
    )
    .await?;
    audit::record(
        txn,
        audit::Entry {
            actor: REPORTER_ACTOR,
            action: "report.came_back",
            object_type: "case",
            object_id: &row.code,
            detail: Some(format!("from {}", old.code)),
        },
    )
    .await?;
    Ok(SubmitReceipt {
        track_url: format!("/track#code={}&secret={}", row.code, secret),
        tracking_code: row.code.clone(),
        secret,
        state: row.state.clone(),
        corroborated: false,
        photos: 0,
        location_source: by.location_source.clone(),
    })
}

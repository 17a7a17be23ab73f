//! Open cases near a place ("is this already reported?", and the staff's
//! possible duplicates), measured to their published places only.

use crate::categories::service as categories_service;
use crate::db::entities::{case, category};
use crate::disclosure::service::public_point;
use crate::error::AppError;
use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use shared::FieldErrorCode;
use shared::case::CaseState;
use shared::geo::{self, LatLon};
use shared::report::NearbyCase;

/// Open cases of the category's group within `radius_m` metres (by default
/// the category's duplicate-search radius), filed in the last `days` days,
/// nearest first. Nothing personal is returned.
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
    radius_m: Option<f64>,
    days: i64,
    now: DateTime<Utc>,
) -> Result<Vec<NearbyCase>, AppError> {
    let category = categories_service::find_active(db, category_code)
        .await?
        .ok_or_else(|| AppError::field("category", FieldErrorCode::NotFound, "no such category"))?;
    let radius_m = radius_m.unwrap_or(f64::from(category.duplicate_radius_m));
    // A published point is the centre of its grid cell, at most half a cell
    // (the coarsest precision's) from the exact one on each axis: widen the
    // exact-point box by that much, then decide on the published point.
    let slack = shared::disclosure::Precision::Area.half_step();
    let d_lat = radius_m / 111_320.0 + slack;
    let d_lon = radius_m / (111_320.0 * at.lat.to_radians().cos().max(0.01)) + slack;
    let since = now - Duration::days(days);
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

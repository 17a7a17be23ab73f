//! Site inspections (现场检查): checked (`check`, pure: two officers or
//! more, each measurement in its kind's unit and range, its limit from the
//! standard's table), written beside the case in the action's transaction
//! (`apply`) and read for the case page (`on_case`, with the photos and
//! documents attached to each: `crate::evidence`).

use super::texts::text;
use crate::db::entities::inspection;
use crate::error::AppError;
use crate::evidence::listing::Listing;
use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use shared::FieldErrorCode as Code;
use shared::inspection::{Inspection, InspectionInput, Measurement, Officer, limit};

/// 执法人员不少于两人 (administrative enforcement needs two officers).
pub const MIN_OFFICERS: usize = 2;
const MAX_OFFICERS: usize = 10;
const MAX_MEASUREMENTS: usize = 50;

/// An inspection as it will be stored: checked, limits computed.
#[derive(Debug, Clone, PartialEq)]
pub struct Checked {
    pub inspected_at: DateTime<Utc>,
    pub place: String,
    pub officers: Vec<Officer>,
    pub found: String,
    pub measurements: Vec<Measurement>,
}

/// Checks an inspection as typed; every refusal names its field.
pub fn check(input: InspectionInput, now: DateTime<Utc>) -> Result<Checked, AppError> {
    let inspected_at = DateTime::parse_from_rfc3339(input.inspected_at.trim())
        .map_err(|_| AppError::field("inspected_at", Code::Invalid, "a time, RFC 3339"))?
        .with_timezone(&Utc);
    if inspected_at > now + Duration::minutes(5) {
        return Err(AppError::field(
            "inspected_at",
            Code::InFuture,
            "an inspection cannot be in the future",
        ));
    }
    if inspected_at < now - Duration::days(366) {
        return Err(AppError::field(
            "inspected_at",
            Code::TooOld,
            "more than a year ago",
        ));
    }
    let place = text("place", &input.place)?;
    if place.chars().count() > 200 {
        return Err(AppError::field(
            "place",
            Code::TooLong,
            "at most 200 characters",
        ));
    }
    let found = text("found", &input.found)?;
    let mut officers = Vec::new();
    for (i, o) in input.officers.into_iter().enumerate() {
        let name = text(&format!("officers.{i}.name"), &o.name)?;
        let badge = text(&format!("officers.{i}.badge"), &o.badge)?;
        if name.chars().count() > 50 || badge.chars().count() > 30 {
            return Err(AppError::field(
                &format!("officers.{i}"),
                Code::TooLong,
                "a name of at most 50 characters, a badge number of at most 30",
            ));
        }
        if officers.iter().any(|x: &Officer| x.badge == badge) {
            return Err(AppError::field(
                &format!("officers.{i}.badge"),
                Code::Invalid,
                "the same badge number twice",
            ));
        }
        officers.push(Officer { name, badge });
    }
    if officers.len() < MIN_OFFICERS {
        return Err(AppError::field(
            "officers",
            Code::Required,
            "at least two officers with their badge numbers (执法人员不少于两人)",
        ));
    }
    if officers.len() > MAX_OFFICERS {
        return Err(AppError::field(
            "officers",
            Code::TooMany,
            format!("at most {MAX_OFFICERS} officers"),
        ));
    }
    if input.measurements.len() > MAX_MEASUREMENTS {
        return Err(AppError::field(
            "measurements",
            Code::TooMany,
            format!("at most {MAX_MEASUREMENTS} measurements"),
        ));
    }
    let mut measurements = Vec::new();
    for (i, m) in input.measurements.into_iter().enumerate() {
        let field = |name: &str| format!("measurements.{i}.{name}");
        if m.unit.trim() != m.kind.unit() {
            return Err(AppError::field(
                &field("unit"),
                Code::Invalid,
                format!("a {} is measured in {}", m.kind.name_en(), m.kind.unit()),
            ));
        }
        if !m.value.is_finite() || !m.kind.plausible().contains(&m.value) {
            let range = m.kind.plausible();
            return Err(AppError::field(
                &field("value"),
                Code::OutOfRange,
                format!(
                    "from {} to {} {}",
                    range.start(),
                    range.end(),
                    m.kind.unit()
                ),
            ));
        }
        let zone = m
            .zone
            .map(|z| z.trim().to_owned())
            .filter(|z| !z.is_empty());
        let l = limit(m.kind, m.standard, zone.as_deref(), m.period).map_err(|e| {
            AppError::field(
                &field("standard"),
                Code::Invalid,
                format!("{}: {e}", m.standard.as_str()),
            )
        })?;
        measurements.push(Measurement {
            kind: m.kind,
            value: m.value,
            unit: m.kind.unit().to_owned(),
            standard: m.standard,
            zone,
            period: m.period,
            over_by: l.over_by(m.value),
            limit: l,
        });
    }
    Ok(Checked {
        inspected_at,
        place,
        officers,
        found,
        measurements,
    })
}

/// Writes an inspection of case `case_id`.
pub async fn apply(
    txn: &impl ConnectionTrait,
    case_id: i64,
    user_id: i64,
    checked: Checked,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    inspection::ActiveModel {
        case_id: Set(case_id),
        inspected_at: Set(checked.inspected_at),
        place: Set(checked.place),
        officers: Set(to_json(&checked.officers)),
        found: Set(checked.found),
        measurements: Set(to_json(&checked.measurements)),
        recorded_by: Set(user_id),
        recorded_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    Ok(())
}

/// A JSON column's text (a list of plain structs cannot fail to serialise).
fn to_json(v: &impl serde::Serialize) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "[]".to_owned())
}

/// The case's inspections, the earliest first, each with its photos and
/// documents taken out of `evidence`.
pub async fn on_case(
    conn: &impl ConnectionTrait,
    case_id: i64,
    evidence: &mut Listing,
) -> Result<Vec<Inspection>, AppError> {
    let rows = inspection::Entity::find()
        .filter(inspection::Column::CaseId.eq(case_id))
        .order_by_asc(inspection::Column::InspectedAt)
        .order_by_asc(inspection::Column::Id)
        .all(conn)
        .await?;
    let names = super::access::usernames(conn, rows.iter().map(|r| r.recorded_by)).await?;
    Ok(rows
        .into_iter()
        .map(|i| Inspection {
            id: i.id,
            photos: evidence.photos.remove(&i.id).unwrap_or_default(),
            documents: evidence.documents.remove(&Some(i.id)).unwrap_or_default(),
            inspected_at: i.inspected_at.to_rfc3339(),
            place: i.place,
            officers: serde_json::from_str(&i.officers).unwrap_or_default(),
            found: i.found,
            measurements: serde_json::from_str(&i.measurements).unwrap_or_default(),
            recorded_by: names.get(&i.recorded_by).cloned().unwrap_or_default(),
            recorded_at: i.recorded_at.to_rfc3339(),
        })
        .collect())
}

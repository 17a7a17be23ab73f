//! The figures behind `/stats`: cases per category, area and month, time to
//! accept and to close, timeliness per department, how many reports proved
//! true, rewards paid, and the plan's targets beside the values staff enter.
//! Most figures are a GROUP BY over every case, so making them costs more
//! as the district's record grows (60 ms at 10,000 cases on SQLite): the
//! API holds what it made until something the public reads changes, or for
//! as long as the micro-cache keeps a page (`stats::held`).

use crate::db::entities::{case, indicator, reward_payment};
use crate::directory::calendar;
use crate::directory::lookups::Lookups;
use crate::error::AppError;
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::sea_query::ExprTrait;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use shared::case::CaseState;
use shared::info::{Count, DepartmentTimeliness, Indicator, IndicatorValue, Stats};
use shared::report::Channel;
use std::collections::BTreeMap;

/// Medians are of the latest this many cases: recent enough to say how the
/// district does now, bounded so the page stays cheap.
const MEDIAN_SAMPLE: u64 = 1000;

fn open_states() -> Vec<&'static str> {
    CaseState::ALL
        .into_iter()
        .filter(|s| s.is_open())
        .map(CaseState::as_str)
        .collect()
}

async fn count_by(
    db: &DatabaseConnection,
    column: case::Column,
) -> Result<Vec<(Option<i64>, i64)>, AppError> {
    Ok(case::Entity::find()
        .select_only()
        .column(column)
        .column_as(case::Column::Id.count(), "n")
        .group_by(column)
        .into_tuple::<(Option<i64>, i64)>()
        .all(db)
        .await?)
}

/// The first day of the month `back` months before `now`'s, Chongqing time.
fn month_start(now: DateTime<Utc>, back: i32) -> (String, DateTime<Utc>) {
    let local = calendar::local(now);
    let months = local.year() * 12 + local.month0() as i32 - back;
    let (y, m) = (months.div_euclid(12), months.rem_euclid(12) as u32 + 1);
    let first = NaiveDate::from_ymd_opt(y, m, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .unwrap_or_default();
    (format!("{y:04}-{m:02}"), calendar::from_local(first))
}

fn median(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    let m = if v.len().is_multiple_of(2) {
        (v[mid - 1] + v[mid]) / 2.0
    } else {
        v[mid]
    };
    Some((m * 10.0).round() / 10.0)
}

/// Days from report to `until` for the latest cases that have it.
async fn days_to(db: &DatabaseConnection, until: case::Column) -> Result<Option<f64>, AppError> {
    let rows: Vec<(DateTime<Utc>, DateTime<Utc>)> = case::Entity::find()
        .select_only()
        .column(case::Column::SubmittedAt)
        .column(until)
        .filter(until.is_not_null())
        .order_by_desc(until)
        .limit(MEDIAN_SAMPLE)
        .into_tuple()
        .all(db)
        .await?;
    Ok(median(
        rows.into_iter()
            .map(|(from, to)| (to - from).num_minutes() as f64 / 1440.0)
            .collect(),
    ))
}

pub(crate) async fn stats(
    db: &DatabaseConnection,
    lookups: &Lookups,
    now: DateTime<Utc>,
) -> Result<Stats, AppError> {
    let by_state: Vec<(String, i64)> = case::Entity::find()
        .select_only()
        .column(case::Column::State)
        .column_as(case::Column::Id.count(), "n")
        .group_by(case::Column::State)
        .into_tuple()
        .all(db)
        .await?;
    let n = |v: i64| u64::try_from(v).unwrap_or(0);
    let total: u64 = by_state.iter().map(|(_, c)| n(*c)).sum();
    let open: u64 = by_state
        .iter()
        .filter(|(s, _)| CaseState::parse(s).is_some_and(CaseState::is_open))
        .map(|(_, c)| n(*c))
        .sum();

    let mut by_category: Vec<Count> = count_by(db, case::Column::CategoryId)
        .await?
        .into_iter()
        .filter_map(|(id, c)| {
            let r = lookups.category(id?);
            Some(Count {
                key: r.code,
                label: r.name,
                label_en: r.name_en,
                value: n(c),
            })
        })
        .collect();
    by_category.sort_by(|a, b| b.value.cmp(&a.value).then(a.key.cmp(&b.key)));
    let channels: Vec<(String, i64)> = case::Entity::find()
        .select_only()
        .column(case::Column::Channel)
        .column_as(case::Column::Id.count(), "n")
        .group_by(case::Column::Channel)
        .into_tuple()
        .all(db)
        .await?;
    let mut by_channel: Vec<Count> = channels
        .into_iter()
        .filter_map(|(name, c)| {
            let channel = Channel::parse(&name)?;
            Some(Count {
                key: channel.as_str().to_owned(),
                label: channel.name_zh().to_owned(),
                label_en: channel.name_en().to_owned(),
                value: n(c),
            })
        })
        .collect();
    by_channel.sort_by(|a, b| b.value.cmp(&a.value).then(a.key.cmp(&b.key)));
    let mut by_area: Vec<Count> = count_by(db, case::Column::AreaId)
        .await?
        .into_iter()
        .map(|(id, c)| match lookups.area(id) {
            Some(r) => Count {
                key: r.code,
                label: r.name,
                label_en: r.name_en,
                value: n(c),
            },
            None => Count {
                key: String::new(),
                label: "区外或未定位".into(),
                label_en: "Unplaced".into(),
                value: n(c),
            },
        })
        .collect();
    by_area.sort_by(|a, b| b.value.cmp(&a.value).then(a.key.cmp(&b.key)));

    let mut by_month = Vec::with_capacity(12);
    for back in (0..12).rev() {
        let (key, from) = month_start(now, back);
        let (_, to) = month_start(now, back - 1);
        let c = case::Entity::find()
            .filter(case::Column::SubmittedAt.gte(from))
            .filter(case::Column::SubmittedAt.lt(to))
            .count(db)
            .await?;
        by_month.push(Count {
            label: key.clone(),
            label_en: key.clone(),
            key,
            value: c,
        });
    }

    // Timeliness: closed (or refused) cases by whether they met their
    // deadline, and open cases already past it.
    let on_time_sql = "SUM(CASE WHEN closed_at <= close_due_at THEN 1 ELSE 0 END)";
    let closed_rows: Vec<(Option<i64>, i64, Option<i64>)> = case::Entity::find()
        .select_only()
        .column(case::Column::DepartmentId)
        .column_as(case::Column::Id.count(), "n")
        .column_as(Expr::cust(on_time_sql), "on_time")
        .filter(case::Column::ClosedAt.is_not_null())
        .filter(
            case::Column::State.is_in([CaseState::Closed.as_str(), CaseState::Rejected.as_str()]),
        )
        .group_by(case::Column::DepartmentId)
        .into_tuple()
        .all(db)
        .await?;
    let overdue_rows: Vec<(Option<i64>, i64)> = case::Entity::find()
        .select_only()
        .column(case::Column::DepartmentId)
        .column_as(case::Column::Id.count(), "n")
        .filter(case::Column::State.is_in(open_states()))
        .filter(case::Column::DueAt.lt(now))
        .group_by(case::Column::DepartmentId)
        .into_tuple()
        .all(db)
        .await?;
    let mut departments: BTreeMap<i64, DepartmentTimeliness> = BTreeMap::new();
    fn entry<'m>(
        map: &'m mut BTreeMap<i64, DepartmentTimeliness>,
        lookups: &Lookups,
        id: Option<i64>,
    ) -> Option<&'m mut DepartmentTimeliness> {
        let id = id?;
        let d = lookups.department(Some(id))?;
        Some(map.entry(id).or_insert_with(|| DepartmentTimeliness {
            code: d.code,
            name: d.name,
            name_en: d.name_en,
            closed: 0,
            on_time: 0,
            overdue_open: 0,
        }))
    }
    for (id, c, on_time) in closed_rows {
        if let Some(d) = entry(&mut departments, lookups, id) {
            d.closed += n(c);
            d.on_time += n(on_time.unwrap_or(0));
        }
    }
    for (id, c) in overdue_rows {
        if let Some(d) = entry(&mut departments, lookups, id) {
            d.overdue_open += n(c);
        }
    }
    let mut departments: Vec<DepartmentTimeliness> = departments.into_values().collect();
    departments.sort_by(|a, b| {
        (b.closed + b.overdue_open)
            .cmp(&(a.closed + a.overdue_open))
            .then(a.code.cmp(&b.code))
    });

    let findings: Vec<(Option<String>, i64)> = case::Entity::find()
        .select_only()
        .column(case::Column::Finding)
        .column_as(case::Column::Id.count(), "n")
        .filter(case::Column::State.eq(CaseState::Closed.as_str()))
        .filter(case::Column::Finding.is_not_null())
        .group_by(case::Column::Finding)
        .into_tuple()
        .all(db)
        .await?;
    let with_finding = findings.iter().map(|(_, c)| n(*c)).sum();
    let substantiated = findings
        .iter()
        .filter(|(f, _)| matches!(f.as_deref(), Some("substantiated" | "partly_substantiated")))
        .map(|(_, c)| n(*c))
        .sum();

    let (rewards_paid, rewards_paid_fen): (i64, Option<i64>) = reward_payment::Entity::find()
        .select_only()
        .column_as(reward_payment::Column::Id.count(), "n")
        // PostgreSQL sums a BIGINT as NUMERIC; cast back so both databases
        // answer an integer.
        .column_as(
            reward_payment::Column::AmountFen
                .sum()
                .cast_as(sea_orm::sea_query::Alias::new("BIGINT")),
            "fen",
        )
        .into_tuple()
        .one(db)
        .await?
        .unwrap_or((0, None));

    Ok(Stats {
        total,
        open,
        closed: total - open,
        by_category,
        by_area,
        by_channel,
        satisfaction: crate::cases::followup::satisfaction(db).await?,
        by_month,
        median_days_to_accept: days_to(db, case::Column::AcceptedAt).await?,
        median_days_to_close: days_to(db, case::Column::ClosedAt).await?,
        departments,
        with_finding,
        substantiated,
        rewards_paid: n(rewards_paid),
        rewards_paid_fen: rewards_paid_fen.unwrap_or(0),
        indicators: indicators(db).await?,
        generated_at: now.to_rfc3339(),
    })
}

fn to_indicator(m: indicator::Model) -> Indicator {
    let met = m.value.map(|v| {
        if m.comparison == "at_most" {
            v <= m.target
        } else {
            v >= m.target
        }
    });
    Indicator {
        code: m.code,
        name: m.name_zh,
        name_en: m.name_en,
        unit: m.unit,
        comparison: m.comparison,
        target: m.target,
        year: m.year,
        value: m.value,
        value_note: m.value_note,
        updated_at: m.updated_at.map(|t| t.to_rfc3339()),
        met,
    }
}

pub async fn indicators(db: &impl ConnectionTrait) -> Result<Vec<Indicator>, AppError> {
    Ok(indicator::Entity::find()
        .order_by_asc(indicator::Column::SortOrder)
        .all(db)
        .await?
        .into_iter()
        .map(to_indicator)
        .collect())
}

/// Records the value measured for a target (an admin's entry, audited).
pub async fn set_indicator(
    db: &DatabaseConnection,
    actor: &str,
    code: &str,
    input: IndicatorValue,
    now: DateTime<Utc>,
) -> Result<Indicator, AppError> {
    if !input.value.is_finite() || input.value < 0.0 {
        return Err(AppError::validation("value", "a number, zero or more"));
    }
    let note = crate::cases::effects::optional_text("note", input.note)?;
    let txn = crate::db::begin_write(db).await?;
    let row = indicator::Entity::find_by_id(code.to_owned())
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut active: indicator::ActiveModel = row.into();
    active.value = Set(Some(input.value));
    active.value_note = Set(note);
    active.updated_by = Set(Some(actor.to_owned()));
    active.updated_at = Set(Some(now));
    let saved = active.update(&txn).await?;
    crate::audit::record(
        &txn,
        crate::audit::Entry {
            actor,
            action: "indicator.set",
            object_type: "indicator",
            object_id: code,
            detail: Some(format!("{} {}", input.value, saved.unit)),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(to_indicator(saved))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn months_step_back_across_a_year() {
        let now = Utc.with_ymd_and_hms(2026, 1, 15, 0, 0, 0).unwrap();
        assert_eq!(month_start(now, 0).0, "2026-01");
        assert_eq!(month_start(now, 1).0, "2025-12");
        assert_eq!(month_start(now, -1).0, "2026-02");
        // Chongqing midnight of 1 January is 16:00 UTC on 31 December.
        assert_eq!(
            month_start(now, 0).1,
            Utc.with_ymd_and_hms(2025, 12, 31, 16, 0, 0).unwrap()
        );
    }

    #[test]
    fn medians() {
        assert_eq!(median(vec![]), None);
        assert_eq!(median(vec![3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(vec![1.0, 2.0, 3.0, 4.0]), Some(2.5));
    }
}

//! The figures behind `/stats`: cases per category, area and month, time to
//! accept and to close, timeliness per department, how many reports proved
//! true, rewards paid, and the plan's targets beside the values staff enter.
//! The counts come from tallies the database keeps as cases change
//! (`figures`, and the console's `cases::tally`), so making them costs
//! about the same at 1,000 cases and at 1,000,000; only the open cases
//! already late, the medians' latest cases and the rewards paid are read
//! from their tables, each through an index. The API still holds what it
//! made until something the public reads changes, or for as long as the
//! micro-cache keeps a page (`stats::held`).

use super::figures::{Figure, Figures};
use crate::cases::workflow::Scope;
use crate::db::entities::{case, indicator, reward_payment};
use crate::directory::calendar;
use crate::directory::lookups::Lookups;
use crate::error::AppError;
use chrono::{DateTime, Datelike, Utc};
use sea_orm::sea_query::ExprTrait;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use shared::case::CaseState;
use shared::info::{Count, DepartmentTimeliness, Indicator, IndicatorValue, Stats};
use shared::report::Channel;
use std::collections::BTreeMap;

/// Medians are of the latest this many cases: recent enough to say how the
/// district does now, bounded so the page stays cheap.
const MEDIAN_SAMPLE: u64 = 1000;

/// The month `back` months before `now`'s, Chongqing time, as the tally
/// keys it (`2026-12`).
fn month_key(now: DateTime<Utc>, back: i32) -> String {
    let local = calendar::local(now);
    let months = local.year() * 12 + local.month0() as i32 - back;
    let (y, m) = (months.div_euclid(12), months.rem_euclid(12) + 1);
    format!("{y:04}-{m:02}")
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

/// The statistics made afresh, with the directory read for them: what the
/// held copy loads, for the tests and the benchmarks.
pub async fn made_now(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<Stats, AppError> {
    let lookups = Lookups::load(db).await?;
    stats(db, &lookups, now).await
}

pub(crate) async fn stats(
    db: &DatabaseConnection,
    lookups: &Lookups,
    now: DateTime<Utc>,
) -> Result<Stats, AppError> {
    // Counts from the tallies the database keeps, not from the cases.
    let by_state = crate::cases::tally::by_state(db, Scope::All).await?;
    let figures = Figures::read(db).await?;
    let n = |v: i64| u64::try_from(v).unwrap_or(0);
    let total: u64 = by_state.iter().map(|(_, c)| n(*c)).sum();
    let open: u64 = by_state
        .iter()
        .filter(|(s, _)| CaseState::parse(s).is_some_and(CaseState::is_open))
        .map(|(_, c)| n(*c))
        .sum();

    let mut by_category: Vec<Count> = figures
        .by_id(Figure::Category)
        .filter_map(|(id, value)| {
            let r = lookups.category(id?);
            Some(Count {
                key: r.code,
                label: r.name,
                label_en: r.name_en,
                value,
            })
        })
        .collect();
    by_category.sort_by(|a, b| b.value.cmp(&a.value).then(a.key.cmp(&b.key)));
    let mut by_channel: Vec<Count> = figures
        .of(Figure::Channel)
        .filter_map(|(name, value)| {
            let channel = Channel::parse(name)?;
            Some(Count {
                key: channel.as_str().to_owned(),
                label: channel.name_zh().to_owned(),
                label_en: channel.name_en().to_owned(),
                value,
            })
        })
        .collect();
    by_channel.sort_by(|a, b| b.value.cmp(&a.value).then(a.key.cmp(&b.key)));
    // Cases outside every area (or in one since removed) are one row.
    let mut unplaced = 0;
    let mut by_area: Vec<Count> = Vec::new();
    for (id, value) in figures.by_id(Figure::Area) {
        match lookups.area(id) {
            Some(r) => by_area.push(Count {
                key: r.code,
                label: r.name,
                label_en: r.name_en,
                value,
            }),
            None => unplaced += value,
        }
    }
    if unplaced > 0 {
        by_area.push(Count {
            key: String::new(),
            label: "区外或未定位".into(),
            label_en: "Unplaced".into(),
            value: unplaced,
        });
    }
    by_area.sort_by(|a, b| b.value.cmp(&a.value).then(a.key.cmp(&b.key)));

    let by_month = (0..12)
        .rev()
        .map(|back| {
            let key = month_key(now, back);
            Count {
                label: key.clone(),
                label_en: key.clone(),
                value: figures.get(Figure::Month, &key),
                key,
            }
        })
        .collect();

    // Timeliness: closed (or refused) cases by whether they met their
    // deadline, from the tally; open cases already past it, from the
    // deadline's index (only open cases have one), as the console's are.
    let overdue_rows: Vec<(Option<i64>, i64)> = case::Entity::find()
        .select_only()
        .column(case::Column::DepartmentId)
        .column_as(case::Column::Id.count(), "n")
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
    for (id, c) in figures.by_id(Figure::Closed) {
        if let Some(d) = entry(&mut departments, lookups, id) {
            d.closed += c;
        }
    }
    for (id, c) in figures.by_id(Figure::OnTime) {
        if let Some(d) = entry(&mut departments, lookups, id) {
            d.on_time += c;
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

    let with_finding = figures.of(Figure::Finding).map(|(_, c)| c).sum();
    let substantiated = figures
        .of(Figure::Finding)
        .filter(|(f, _)| matches!(*f, "substantiated" | "partly_substantiated"))
        .map(|(_, c)| c)
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
        satisfaction: crate::cases::followup::satisfaction(db, figures.by_id(Figure::Replied))
            .await?,
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
        assert_eq!(month_key(now, 0), "2026-01");
        assert_eq!(month_key(now, 1), "2025-12");
        assert_eq!(month_key(now, -1), "2026-02");
        // Chongqing midnight of 1 January is 16:00 UTC on 31 December.
        let midnight = Utc.with_ymd_and_hms(2025, 12, 31, 16, 0, 0).unwrap();
        assert_eq!(month_key(midnight, 0), "2026-01");
        assert_eq!(
            month_key(midnight - chrono::Duration::seconds(1), 0),
            "2025-12"
        );
    }

    #[test]
    fn medians() {
        assert_eq!(median(vec![]), None);
        assert_eq!(median(vec![3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(vec![1.0, 2.0, 3.0, 4.0]), Some(2.5));
    }
}

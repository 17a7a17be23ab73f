//! The public statistics (统计) come from the tally the database keeps by
//! triggers (migration 000024), not from counting every case: they must
//! agree with the same figures counted from the cases themselves after a
//! year of cases played through the workflow, after corrections,
//! transfers and merges, after the tally is folded, and after the
//! migration builds it again from the cases already there.

use chrono::{DateTime, Datelike, Utc};
use sea_orm::EntityTrait;
use serde_json::json;
use server::db::entities::{area, case, category, department};
use shanshui_tests::{TestApp, demo_cases, file_report};
use shared::Role;
use shared::case::CaseState;
use shared::info::{Count, Stats};
use std::collections::BTreeMap;

type Tally = BTreeMap<String, u64>;

/// A department's (closed, on time, open and late).
type Timeliness = BTreeMap<String, (u64, u64, u64)>;

/// What the statistics count, counted from the cases one by one.
#[derive(Debug, Default, PartialEq)]
struct Figures {
    total: u64,
    open: u64,
    by_category: Tally,
    by_area: Tally,
    by_channel: Tally,
    by_month: Tally,
    departments: Timeliness,
    with_finding: u64,
    substantiated: u64,
    /// Closed with a reply, by department: the satisfaction survey's base.
    replied: Tally,
}

fn tally(counts: &[Count]) -> Tally {
    counts.iter().map(|c| (c.key.clone(), c.value)).collect()
}

/// The statistics as published, in the same shape.
fn published(stats: &Stats) -> Figures {
    Figures {
        total: stats.total,
        open: stats.open,
        by_category: tally(&stats.by_category),
        by_area: tally(&stats.by_area),
        by_channel: tally(&stats.by_channel),
        by_month: tally(&stats.by_month),
        departments: stats
            .departments
            .iter()
            .map(|d| (d.code.clone(), (d.closed, d.on_time, d.overdue_open)))
            .collect(),
        with_finding: stats.with_finding,
        substantiated: stats.substantiated,
        replied: stats
            .satisfaction
            .iter()
            .filter(|s| s.closed > 0)
            .map(|s| (s.department.clone(), s.closed))
            .collect(),
    }
}

/// A directory table's codes by id.
fn codes<M>(
    rows: Result<Vec<M>, sea_orm::DbErr>,
    code: impl Fn(M) -> (i64, String),
) -> BTreeMap<i64, String> {
    rows.unwrap().into_iter().map(code).collect()
}

/// The same figures from every case.
async fn counted(app: &TestApp, now: DateTime<Utc>) -> Figures {
    let categories = codes(category::Entity::find().all(&app.db).await, |c| {
        (c.id, c.code)
    });
    let areas = codes(area::Entity::find().all(&app.db).await, |a| (a.id, a.code));
    let departments = codes(department::Entity::find().all(&app.db).await, |d| {
        (d.id, d.code)
    });
    let department = |id: Option<i64>| id.and_then(|id| departments.get(&id).cloned());
    let mut f = Figures::default();
    // The twelve months up to now's, Chongqing time.
    let local = (now + chrono::Duration::hours(8)).date_naive();
    let month0 = local.year() * 12 + local.month0() as i32;
    for m in month0 - 11..=month0 {
        let key = format!("{:04}-{:02}", m.div_euclid(12), m.rem_euclid(12) + 1);
        f.by_month.insert(key, 0);
    }
    for c in case::Entity::find().all(&app.db).await.unwrap() {
        let state = c.state();
        f.total += 1;
        if state.is_open() {
            f.open += 1;
        }
        *f.by_category
            .entry(categories[&c.category_id].clone())
            .or_default() += 1;
        let area = c.area_id.and_then(|id| areas.get(&id).cloned());
        *f.by_area.entry(area.unwrap_or_default()).or_default() += 1;
        *f.by_channel.entry(c.channel.clone()).or_default() += 1;
        let month = (c.submitted_at + chrono::Duration::hours(8))
            .format("%Y-%m")
            .to_string();
        if let Some(n) = f.by_month.get_mut(&month) {
            *n += 1;
        }
        let finished =
            matches!(state, CaseState::Closed | CaseState::Rejected) && c.closed_at.is_some();
        let on_time = finished && c.close_due_at.is_some_and(|due| c.closed_at <= Some(due));
        let late = state.is_open() && c.due_at.is_some_and(|due| due < now);
        if let Some(d) = department(c.department_id)
            && (finished || late)
        {
            let entry = f.departments.entry(d).or_default();
            entry.0 += u64::from(finished);
            entry.1 += u64::from(on_time);
            entry.2 += u64::from(late);
        }
        if state == CaseState::Closed {
            if let Some(finding) = &c.finding {
                f.with_finding += 1;
                if matches!(finding.as_str(), "substantiated" | "partly_substantiated") {
                    f.substantiated += 1;
                }
            }
            if c.reply.is_some()
                && let Some(d) = department(c.department_id)
            {
                *f.replied.entry(d).or_default() += 1;
            }
        }
    }
    f
}

/// The statistics made now agree with the cases.
async fn agree(app: &TestApp, when: &str) -> Stats {
    let now = app.clock.now();
    let stats = server::stats::service::made_now(&app.db, now)
        .await
        .unwrap();
    assert_eq!(published(&stats), counted(app, now).await, "{when}");
    stats
}

const YUDONG: (f64, f64) = (29.3752, 106.5101);

async fn the_statistics_follow_every_change_of_a_case(app: &TestApp) {
    demo_cases(app, 150, 3).await;
    let stats = agree(app, "a year of demo cases").await;
    // The demo reaches every figure, so agreeing is not agreeing on zeros.
    let f = published(&stats);
    assert!(f.total == 150 && f.open > 0, "{f:?}");
    assert!(
        f.by_month.values().filter(|n| **n > 0).count() >= 10,
        "{f:?}"
    );
    assert!(
        f.departments.values().any(|d| d.1 > 0 && d.1 < d.0),
        "{f:?}"
    );
    assert!(f.departments.values().any(|d| d.2 > 0), "{f:?}");
    assert!(
        f.substantiated > 0 && f.substantiated < f.with_finding,
        "{f:?}"
    );
    assert!(!f.replied.is_empty() && f.by_channel.len() > 1, "{f:?}");

    let dispatcher = app.staff("fen.pai", Role::Dispatcher, None).await;
    let mut codes = Vec::new();
    for category in ["odour", "water_outfall", "noise_traffic", "odour"] {
        codes.push(file_report(app, category, YUDONG.0, YUDONG.1, &[]).await.0);
    }
    agree(app, "filed").await;
    dispatcher
        .act_ok(
            &codes[2],
            json!({ "action": "recategorize", "category": "noise_construction",
                "reason": "现场核实为工地夜间施工" }),
        )
        .await;
    dispatcher
        .act_ok(
            &codes[2],
            json!({ "action": "transfer", "department": "housing_construction",
                "reason": "按更正后的类别转办" }),
        )
        .await;
    dispatcher
        .act_ok(
            &codes[0],
            json!({ "action": "relocate", "lat": 29.4012, "lon": 106.5402,
                "reason": "举报人所指地点在河对岸" }),
        )
        .await;
    dispatcher
        .act_ok(
            &codes[3],
            json!({ "action": "merge", "into": codes[0].clone() }),
        )
        .await;
    dispatcher
        .act_ok(
            &codes[1],
            json!({ "action": "reject", "reason": "不属于环境污染举报" }),
        )
        .await;
    agree(app, "corrected, transferred, merged and refused").await;
    // Deadlines pass: open cases become late without any write.
    app.clock.advance(chrono::Duration::days(40));
    agree(app, "forty days on").await;

    // A report a millisecond before a month begins in Chongqing (16:00
    // UTC on the last day) counts in the month before; one at that moment,
    // in the new one.
    app.clock.stop();
    let now = app.clock.now();
    let local = (now + chrono::Duration::hours(8)).date_naive();
    let first_of_next = chrono::NaiveDate::from_ymd_opt(
        local.year() + i32::from(local.month() == 12),
        local.month() % 12 + 1,
        1,
    )
    .unwrap();
    let boundary =
        first_of_next.and_hms_opt(0, 0, 0).unwrap().and_utc() - chrono::Duration::hours(8);
    app.clock
        .advance(boundary - now - chrono::Duration::milliseconds(1));
    file_report(app, "odour", YUDONG.0, YUDONG.1, &[]).await;
    app.clock.advance(chrono::Duration::milliseconds(1));
    file_report(app, "odour", YUDONG.0, YUDONG.1, &[]).await;
    let stats = agree(app, "either side of a month's start").await;
    let months = tally(&stats.by_month);
    let new_month = first_of_next.format("%Y-%m").to_string();
    assert_eq!(months.get(&new_month), Some(&1), "{months:?}");

    let distinct = |f: &Figures| {
        [&f.by_category, &f.by_area, &f.by_channel, &f.replied]
            .iter()
            .map(|t| t.len())
            .sum::<usize>()
    };
    server::stats::figures::compact(&app.db).await.unwrap();
    let folded = published(&agree(app, "folded").await);
    server::stats::figures::compact(&app.db).await.unwrap();
    agree(app, "folded twice").await;
    // Folded, the tally is one row per figure and key that counts anything.
    let rows = server::db::entities::case_figure::Entity::find()
        .all(&app.db)
        .await
        .unwrap();
    let keys = |figure: &str| rows.iter().filter(|r| r.figure == figure).count();
    assert!(rows.iter().all(|r| r.n > 0), "{rows:?}");
    assert_eq!(
        keys("category") + keys("area") + keys("channel") + keys("replied"),
        distinct(&folded),
        "{rows:?}"
    );

    // The migration builds the tally from the cases already there: roll
    // back to before it (it and any after it), then forward again.
    use migrations::MigratorTrait as _;
    let after_figures = migrations::Migrator::migrations()
        .iter()
        .rev()
        .position(|m| m.name() == "m20261206_000024_case_figures")
        .unwrap();
    let steps = u32::try_from(after_figures + 1).unwrap();
    migrations::Migrator::down(&app.db, Some(steps))
        .await
        .unwrap();
    migrations::Migrator::up(&app.db, None).await.unwrap();
    agree(app, "built again").await;
    // Signed in afresh: the forty days outlasted the first session.
    let dispatcher = app.staff("fen.pai2", Role::Dispatcher, None).await;
    dispatcher
        .act_ok(&codes[0], json!({ "action": "accept" }))
        .await;
    agree(app, "after the rebuild").await;
}
shanshui_tests::demo_test!(the_statistics_follow_every_change_of_a_case);

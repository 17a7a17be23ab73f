//! How the staff queue and the case page grow with the number of cases:
//! fills a database to 10 000, 100 000 and 1 000 000 cases, and after each
//! step times, through the same service code the API uses:
//!   - the dispatcher's queue (open cases, first page, by deadline),
//!   - a handler's queue (their department's open cases, same),
//!   - the overdue filter,
//!   - a case page (the case, its reports, photos, timeline),
//!   - the per-state counts from the tally (issue 16), against the
//!     `GROUP BY state` they replaced, measured in the same run.
//!
//! The fill comes from the demo's generator (`demo::synth::plan`, the year
//! of Banan's complaints that `shanshui demo` plays through the services),
//! one plan per step written oldest first, in batches of 500, so ids grow
//! with time as real cases' do: its categories by season and hour, its points
//! in the 街道 and 镇 (each case in the area whose polygon holds it), its
//! channels and its descriptions, and each case's course played against
//! now — refused, or accepted, assigned, extended, drafted, returned,
//! approved, contested and disclosed, as far as its steps have come — so
//! the open share, the deadlines and the public records are the demo's.
//! Each case is routed by the demo's routing rules (`routing::rules`). The
//! rows are written in bulk (a case, its report and its first timeline
//! entry each), not through the services: at the demo's pace a million
//! cases would take days.
//!
//!   case_bench sqlite DIR | case_bench postgres URL     (URL: a server; a fresh database is made)
//!
//! With `--fill-only N` after either, it fills to N cases, times nothing,
//! and prints one line to stdout, `database-url URL`: the database it
//! leaves, for the caller to serve (and on PostgreSQL to drop afterwards).

use chrono::{DateTime, Duration as Days, Utc};
use rand::{Rng, SeedableRng};
use sea_orm::{ActiveValue::Set, ConnectionTrait, Database, DatabaseConnection, EntityTrait};
use server::auth::session::StaffUser;
use server::cases::Deadlines;
use server::cases::service::{Cases, QueueFilter};
use server::db::entities::{
    area, case, case_event, category, department, quiet_period, report, routing_rule,
};
use server::demo::synth::{self, Course, Place, Planned};
use server::routing::rules::{self, Priority, Rule, Subject};
use shared::Role;
use shared::case::Finding;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

const STEPS: [u64; 3] = [10_000, 100_000, 1_000_000];
const SAMPLES: usize = 200;
const BATCH: usize = 500;
/// The generator's seed for the first step; step i is planned with
/// `SEED + i`, so a fill can be repeated.
const SEED: u64 = 2026;

/// A valid tracking code for the k-th benchmark case; codes sort as k does
/// (the alphabet is in ASCII order).
fn code(k: u64) -> String {
    let mut digits = [0u8; 8];
    let mut rest = k;
    for d in digits.iter_mut().rev() {
        *d = (rest % 31) as u8;
        rest /= 31;
    }
    shared::report::tracking_code::format(digits)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

async fn time<F: AsyncFnMut(usize)>(mut f: F) -> (f64, f64) {
    for i in 0..10 {
        f(i).await;
    }
    let mut ms = Vec::with_capacity(SAMPLES);
    for i in 0..SAMPLES {
        let t = Instant::now();
        f(i).await;
        ms.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    ms.sort_by(|a, b| a.total_cmp(b));
    (percentile(&ms, 0.5), percentile(&ms, 0.99))
}

/// One step of a planned case, as `demo::cases` takes it.
#[derive(Debug, Clone, Copy)]
enum Step {
    Reject,
    Accept,
    Assign,
    Extend(i64),
    Draft(Finding),
    Return,
    Approve,
    Contest,
    Disclose,
}

/// A planned case's steps, each at its time, in order: the delays
/// `demo::cases` waits between them (a returned draft comes back three days
/// later, a contested reply is approved again four days after the contest,
/// and the public record follows the last approval).
fn course(p: &Planned) -> Vec<(DateTime<Utc>, Step)> {
    let mut t = p.at;
    let h = match &p.course {
        Course::Rejected { after } => return vec![(t + *after, Step::Reject)],
        Course::Handled(h) => h,
    };
    let mut out = Vec::with_capacity(10);
    t += h.accept_after;
    out.push((t, Step::Accept));
    t += h.assign_after;
    out.push((t, Step::Assign));
    if let Some((after, days)) = h.extension
        && after < h.draft_after
    {
        out.push((t + after, Step::Extend(days)));
    }
    t += h.draft_after;
    out.push((t, Step::Draft(h.finding)));
    if h.returned {
        t += h.approve_after;
        out.push((t, Step::Return));
        t += Days::days(3);
        out.push((t, Step::Draft(h.finding)));
    }
    t += h.approve_after;
    out.push((t, Step::Approve));
    if let Some(after) = h.contest_after {
        t += after;
        out.push((t, Step::Contest));
        t += Days::days(4);
        out.push((t, Step::Approve));
    }
    if let Some(after) = h.disclose_after {
        out.push((t + after, Step::Disclose));
    }
    out
}

/// A case's row once the steps of its course that are past have been taken,
/// with the fields each step sets in `cases::effects`.
#[derive(Debug)]
struct Outcome {
    state: &'static str,
    steps: i32,
    updated_at: DateTime<Utc>,
    accepted_at: Option<DateTime<Utc>>,
    closed_at: Option<DateTime<Utc>>,
    due_at: Option<DateTime<Utc>>,
    close_due_at: DateTime<Utc>,
    extended_days: i64,
    finding: Option<Finding>,
    contested: bool,
    disclosed_at: Option<DateTime<Utc>>,
}

fn outcome(p: &Planned, deadlines: &Deadlines, now: DateTime<Utc>) -> Outcome {
    let mut o = Outcome {
        state: "submitted",
        steps: 0,
        updated_at: p.at,
        accepted_at: None,
        closed_at: None,
        due_at: Some(deadlines.accept_due(p.at)),
        close_due_at: deadlines.close_due(p.at),
        extended_days: 0,
        finding: None,
        contested: false,
        disclosed_at: None,
    };
    for (t, step) in course(p) {
        if t > now {
            break;
        }
        match step {
            Step::Reject => {
                o.state = "rejected";
                o.closed_at = Some(t);
                o.due_at = None;
            }
            Step::Accept => {
                o.state = "accepted";
                o.accepted_at = Some(t);
                o.due_at = Some(o.close_due_at);
            }
            Step::Assign | Step::Return => {
                o.state = "investigating";
                o.due_at = Some(o.close_due_at);
            }
            Step::Extend(days) => {
                o.extended_days = days;
                o.close_due_at += Days::days(days);
                o.due_at = Some(o.close_due_at);
            }
            Step::Draft(finding) => {
                o.state = "reply_review";
                o.finding = Some(finding);
            }
            Step::Approve => {
                o.state = "closed";
                o.closed_at = Some(t);
                o.due_at = None;
            }
            Step::Contest => {
                o.state = "reply_review";
                o.contested = true;
                o.closed_at = None;
                o.due_at = Some(t + Days::days(deadlines.contest_days));
            }
            Step::Disclose => o.disclosed_at = Some(t),
        }
        o.steps += 1;
        o.updated_at = t;
    }
    o
}

/// The benchmark's fill: the demo's generator, one plan per batch, written
/// in bulk.
struct Fill {
    /// The 街道 and 镇 to place cases in, and their area ids alongside.
    places: Vec<Place>,
    area_ids: Vec<i64>,
    /// Category code → (id, group code).
    categories: BTreeMap<String, (i64, String)>,
    rules: Vec<Rule>,
    /// Where a case goes when no rule matches (the environment bureau).
    fallback_department: Option<i64>,
    /// (group, starts, ends): noise in these periods is urgent.
    quiet: Vec<(String, DateTime<Utc>, DateTime<Utc>)>,
    deadlines: Deadlines,
    /// Planned categories the catalogue lacks (their cases are left out).
    missing: BTreeSet<&'static str>,
    /// Cases whose point lies in no area's polygon (given the place they
    /// were drawn in).
    strays: u64,
    batch: u64,
    next: u64,
}

impl Fill {
    async fn load(db: &DatabaseConnection) -> anyhow::Result<Fill> {
        use sea_orm::{ColumnTrait, QueryFilter, QueryOrder};
        let areas = area::Entity::find()
            .order_by_asc(area::Column::Id)
            .all(db)
            .await?;
        Ok(Fill {
            places: areas
                .iter()
                .map(|a| {
                    Place::new(
                        &a.geometry,
                        [a.min_lon, a.min_lat, a.max_lon, a.max_lat],
                        a.kind == "jiedao",
                    )
                })
                .collect(),
            area_ids: areas.iter().map(|a| a.id).collect(),
            categories: category::Entity::find()
                .all(db)
                .await?
                .into_iter()
                .map(|c| (c.code, (c.id, c.group_code)))
                .collect(),
            rules: routing_rule::Entity::find()
                .filter(routing_rule::Column::Active.eq(true))
                .all(db)
                .await?
                .iter()
                .map(server::routing::service::to_rule)
                .collect(),
            fallback_department: department::Entity::find()
                .filter(department::Column::Code.eq("environment"))
                .one(db)
                .await?
                .map(|d| d.id),
            quiet: quiet_period::Entity::find()
                .all(db)
                .await?
                .into_iter()
                .map(|q| (q.group_code, q.starts_at, q.ends_at))
                .collect(),
            deadlines: Deadlines::default(),
            missing: BTreeSet::new(),
            strays: 0,
            batch: 0,
            next: 0,
        })
    }

    /// The area whose polygon holds the point; else the place it was
    /// drawn in.
    fn area(&mut self, p: &Planned) -> i64 {
        let found = self.places.iter().position(|place| {
            shared::geo::in_bbox(p.point, place.bbox)
                && place
                    .polygons
                    .iter()
                    .any(|rings| shared::geo::in_polygon(p.point, rings))
        });
        if found.is_none() {
            self.strays += 1;
        }
        self.area_ids[found.unwrap_or(p.place)]
    }

    /// The case row of the k-th case, planned as `p`; `None` when the
    /// catalogue lacks its category.
    fn case(&mut self, k: u64, p: &Planned, now: DateTime<Utc>) -> Option<case::ActiveModel> {
        let Some((category_id, group)) = self.categories.get(p.category).cloned() else {
            if self.missing.insert(p.category) {
                eprintln!(
                    "no category `{}` in the catalogue: its planned cases are left out",
                    p.category
                );
            }
            return None;
        };
        let area_id = self.area(p);
        // Routed by when it happened, as intake does (the demo files each
        // report 20 minutes after).
        let happened = p.at - Days::minutes(20);
        let rule = rules::choose(
            &self.rules,
            &Subject {
                category: p.category,
                group: &group,
                area_id: Some(area_id),
                minute: rules::local_minute(happened),
            },
        );
        let quiet = self
            .quiet
            .iter()
            .any(|(g, starts, ends)| *g == group && *starts <= happened && happened < *ends);
        let priority = if quiet {
            Priority::Urgent
        } else {
            rule.and_then(|r| r.priority).unwrap_or(Priority::Normal)
        };
        let o = outcome(p, &self.deadlines, now);
        let tracking = code(k);
        let words = server::demo::cases::category_words(p.category);
        let disclosed = o.disclosed_at.is_some();
        let substantiated = o.finding.is_some_and(|f| f != Finding::Unsubstantiated);
        Some(case::ActiveModel {
            category_id: Set(category_id),
            group_code: Set(group),
            state: Set(o.state.to_owned()),
            priority: Set(priority.as_str().to_owned()),
            lat: Set(p.point.lat),
            lon: Set(p.point.lon),
            accuracy_m: Set(Some(20.0)),
            area_id: Set(Some(area_id)),
            department_id: Set(rule.map(|r| r.department_id).or(self.fallback_department)),
            co_department_id: Set(rule.and_then(|r| r.co_department_id)),
            rule_id: Set(rule.map(|r| r.id)),
            description: Set(p.description.clone()),
            occurred_at: Set(Some(happened)),
            submitted_at: Set(p.at),
            updated_at: Set(o.updated_at),
            corroboration_count: Set(0),
            version: Set(o.steps),
            assignee_id: Set(None),
            accept_due_at: Set(Some(self.deadlines.accept_due(p.at))),
            close_due_at: Set(Some(o.close_due_at)),
            due_at: Set(o.due_at),
            extended_days: Set(i32::try_from(o.extended_days).unwrap_or(0)),
            accepted_at: Set(o.accepted_at),
            closed_at: Set(o.closed_at),
            finding: Set(o.finding.map(|f| f.as_str().to_owned())),
            reply: Set(o.finding.map(|_| {
                format!(
                    "您好，您反映的{words}问题（{tracking}），我单位已组织现场核查并依法处理。感谢您的监督。"
                )
            })),
            actions_taken: Set(o.finding.map(|_| "现场检查，责令整改".to_owned())),
            reply_drafted_by: Set(None),
            reply_approved_by: Set(None),
            merged_into_id: Set(None),
            contested: Set(o.contested),
            // The reviewer's public record, as the demo writes it.
            disclosed_at: Set(o.disclosed_at),
            public_summary: Set(disclosed.then(|| format!("群众反映{words}问题"))),
            public_investigation: Set(disclosed.then(|| {
                match o.finding {
                    Some(Finding::Substantiated) => "经现场核查，反映情况属实。",
                    Some(Finding::PartlySubstantiated) => "经现场核查，反映情况部分属实。",
                    _ => "经现场核查，未发现反映的情况。",
                }
                .to_owned()
            })),
            public_actions: Set((disclosed && substantiated)
                .then(|| "已责令相关单位立即整改，并安排复查。".to_owned())),
            public_precision: Set(disclosed.then(|| "street".to_owned())),
            channel: Set(p.channel.as_str().to_owned()),
            code: Set(tracking),
            ..Default::default()
        })
    }

    async fn grow(&mut self, db: &DatabaseConnection, to: u64) -> anyhow::Result<()> {
        use sea_orm::{ColumnTrait, QueryFilter};
        let now = Utc::now();
        // One plan for the whole step, oldest first, written in that order:
        // as real cases are, so that a case's id grows with its time and
        // the newest cases — what the public pages read — sit together, not
        // scattered over the file (about 400 MB for a million plans).
        let plan = synth::plan(
            usize::try_from(to.saturating_sub(self.next))?,
            SEED + self.batch,
            now,
            &self.places,
        );
        self.batch += 1;
        for chunk in plan.chunks(BATCH) {
            let first = self.next;
            let mut cases = Vec::with_capacity(chunk.len());
            for p in chunk {
                let k = first + cases.len() as u64;
                if let Some(row) = self.case(k, p, now) {
                    cases.push(row);
                }
            }
            if cases.is_empty() {
                anyhow::bail!(
                    "the generator planned no case the database can hold (no areas, or none of its categories)"
                );
            }
            let written = cases.len() as u64;
            let txn = server::db::begin_write(db).await?;
            case::Entity::insert_many(cases).exec(&txn).await?;
            // The rows just written: codes are unique and sequential here.
            let rows = case::Entity::find()
                .filter(case::Column::Code.gte(code(first)))
                .filter(case::Column::Code.lt(code(first + written)))
                .all(&txn)
                .await?;
            let reports = rows.iter().map(|c| report::ActiveModel {
                case_id: Set(c.id),
                kind: Set("original".to_owned()),
                secret_hash: Set(format!("{:064x}", c.id)),
                description: Set(c.description.clone()),
                answers: Set("{}".to_owned()),
                lat: Set(c.lat),
                lon: Set(c.lon),
                accuracy_m: Set(c.accuracy_m),
                coord_system: Set("wgs84".to_owned()),
                location_source: Set("device".to_owned()),
                occurred_at: Set(c.occurred_at),
                submitted_at: Set(c.submitted_at),
                identity_id: Set(None),
                category_id: Set(Some(c.category_id)),
                ..Default::default()
            });
            report::Entity::insert_many(reports).exec(&txn).await?;
            let events = rows.iter().map(|c| case_event::ActiveModel {
                case_id: Set(c.id),
                at: Set(c.submitted_at),
                actor: Set("reporter".to_owned()),
                action: Set("submitted".to_owned()),
                from_state: Set(None),
                to_state: Set(Some("submitted".to_owned())),
                note: Set(None),
                public: Set(true),
                ..Default::default()
            });
            case_event::Entity::insert_many(events).exec(&txn).await?;
            txn.commit().await?;
            self.next += written;
        }
        Ok(())
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let usage = "usage: case_bench sqlite DIR | case_bench postgres URL, either with --fill-only N";
    let (kind, target) = match (args.get(1).map(String::as_str), args.get(2)) {
        (Some(k @ ("sqlite" | "postgres")), Some(t)) => (k.to_owned(), t.clone()),
        _ => anyhow::bail!(usage),
    };
    let fill_only: Option<u64> = match (args.get(3).map(String::as_str), args.get(4)) {
        (None, _) => None,
        (Some("--fill-only"), Some(n)) => Some(n.parse()?),
        _ => anyhow::bail!(usage),
    };
    let (url, cleanup) = if kind == "sqlite" {
        std::fs::create_dir_all(&target)?;
        let file = std::path::Path::new(&target).join("cases.db");
        let _ = std::fs::remove_file(&file);
        (format!("sqlite://{}?mode=rwc", file.display()), None)
    } else {
        let name = format!("shanshui_bench_{}", std::process::id());
        let admin = Database::connect(target.as_str()).await?;
        admin
            .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
            .await?;
        admin.close().await?;
        // The same server, the new database (and the same parameters).
        let (address, query) = match target.split_once('?') {
            Some((a, q)) => (a, format!("?{q}")),
            None => (target.as_str(), String::new()),
        };
        let base = address.rsplit_once('/').map_or(address, |(b, _)| b);
        (
            format!("{base}/{name}{query}"),
            Some((target.clone(), name)),
        )
    };
    let result = run(&kind, &url, fill_only).await;
    // A filled database is left for the caller, who is told where it is;
    // any other (the timing run's, or a fill that failed) is dropped here.
    if let Some((admin_url, name)) = cleanup
        && (fill_only.is_none() || result.is_err())
    {
        let admin = Database::connect(admin_url.as_str()).await?;
        admin
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
            .await?;
        admin.close().await?;
    }
    result?;
    if fill_only.is_some() {
        println!("database-url {url}");
    }
    Ok(())
}

async fn run(kind: &str, url: &str, fill_only: Option<u64>) -> anyhow::Result<()> {
    use sea_orm::{ColumnTrait, QueryFilter};
    let mut settings = server::config::Settings::try_from(clap_free_settings(url))?;
    settings.database_url = url.to_owned();
    let db = server::db::connect_and_migrate(&settings).await?;
    // Banan's areas, departments and routing rules, which the fill draws on.
    server::demo::load(&db, Utc::now()).await?;
    let mut fill = Fill::load(&db).await?;
    // `--fill-only N`: leave a database of N cases for a load test of the
    // running server (`cargo xtask bench-open-data`, `bench-ledger`).
    if let Some(n) = fill_only {
        let t = Instant::now();
        fill.grow(&db, n).await?;
        // What a running server and PostgreSQL's autovacuum do soon after a
        // change this large: fold the tally, and (PostgreSQL) vacuum, which
        // also sets the visibility map that index-only scans need.
        server::cases::tally::compact(&db).await?;
        server::stats::figures::compact(&db).await?;
        if db.get_database_backend() == sea_orm::DbBackend::Postgres {
            db.execute_unprepared("VACUUM ANALYZE").await?;
        } else {
            db.execute_unprepared("ANALYZE").await?;
        }
        eprintln!(
            "filled to {n} in {:.1} s ({} outside every area's polygon)",
            t.elapsed().as_secs_f64(),
            fill.strays
        );
        db.close().await?;
        return Ok(());
    }
    let handler_department = department::Entity::find()
        .filter(department::Column::Code.eq("housing_construction"))
        .one(&db)
        .await?
        .map(|d| d.id);
    let dispatcher = StaffUser {
        id: 1,
        username: "bench".into(),
        role: Role::Dispatcher,
        department_id: None,
        department: None,
    };
    let handler = StaffUser {
        id: 2,
        username: "bench2".into(),
        role: Role::Handler,
        department_id: handler_department,
        department: Some("housing_construction".into()),
    };
    let pii = server::privacy::PiiCipher::from_key([7; 32]);
    let clock = server::clock::Clock::system();
    let cases = Cases {
        db: &db,
        pii: &pii,
        deadlines: Deadlines::default(),
        clock: &clock,
    };

    println!("backend,cases,query,p50_ms,p99_ms");
    for step in STEPS {
        let t = Instant::now();
        fill.grow(&db, step).await?;
        db.execute_unprepared("ANALYZE").await?;
        eprintln!("filled to {step} in {:.1} s", t.elapsed().as_secs_f64());
        let open = QueueFilter::default;
        let report =
            |name: &str, (p50, p99): (f64, f64)| println!("{kind},{step},{name},{p50:.3},{p99:.3}");
        report(
            "queue_dispatcher",
            time(async |_| {
                cases.queue(&dispatcher, open()).await.map(|_| ()).ok();
            })
            .await,
        );
        report(
            "queue_handler",
            time(async |_| {
                cases.queue(&handler, open()).await.map(|_| ()).ok();
            })
            .await,
        );
        let overdue = || QueueFilter {
            overdue: Some(true),
            ..Default::default()
        };
        report(
            "queue_overdue",
            time(async |_| {
                cases.queue(&dispatcher, overdue()).await.map(|_| ()).ok();
            })
            .await,
        );
        let mut rng = rand::rngs::StdRng::seed_from_u64(step);
        let codes: Vec<String> = (0..SAMPLES + 10)
            .map(|_| code(rng.gen_range(0..step)))
            .collect();
        report(
            "case_page",
            time(async |i| {
                cases.detail(&dispatcher, &codes[i]).await.map(|_| ()).ok();
            })
            .await,
        );
        // The server folds the tallies every minute; the fill just wrote
        // rows for every case into them.
        server::cases::tally::compact(&db).await?;
        server::stats::figures::compact(&db).await?;
        // What autovacuum does soon after a change this large: without it
        // PostgreSQL still plans for the million rows the fill left dead.
        // (and the visibility map it sets, which lets the late cases be
        // counted from the deadline's index alone).
        if kind == "postgres" {
            db.execute_unprepared("VACUUM ANALYZE case_tally").await?;
            db.execute_unprepared("VACUUM ANALYZE case_figures").await?;
            db.execute_unprepared("VACUUM ANALYZE cases").await?;
        }
        report(
            "counts_dispatcher",
            time(async |_| {
                cases.counts(&dispatcher).await.map(|_| ()).ok();
            })
            .await,
        );
        report(
            "counts_handler",
            time(async |_| {
                cases.counts(&handler).await.map(|_| ()).ok();
            })
            .await,
        );
        // The public statistics made afresh, from their own tally: what
        // a reader of `/stats` waits for when the held copy has aged out.
        report(
            "stats_made",
            time(async |_| {
                server::stats::service::made_now(&db, Utc::now())
                    .await
                    .map(|_| ())
                    .ok();
            })
            .await,
        );
        // The reference, in the same run: the counts as they were read
        // before the tally, one GROUP BY over every case (the statistics
        // were a dozen of them).
        report(
            "counts_group_by_reference",
            time(async |_| {
                use sea_orm::{QuerySelect, prelude::*};
                let _: Vec<(String, i64)> = case::Entity::find()
                    .select_only()
                    .column(case::Column::State)
                    .column_as(case::Column::Id.count(), "n")
                    .group_by(case::Column::State)
                    .into_tuple()
                    .all(&db)
                    .await
                    .unwrap_or_default();
            })
            .await,
        );
    }
    db.close().await?;
    Ok(())
}

fn clap_free_settings(url: &str) -> server::cli::SettingsArgs {
    use clap::Parser;
    let cli = server::cli::Cli::parse_from([
        "shanshui",
        "--database-url",
        url,
        "--data-dir",
        "/tmp/shanshui-case-bench",
        "migrate",
    ]);
    cli.settings
}

//! How the staff queue and the case page grow with the number of cases:
//! fills a database to 10 000, 100 000 and 1 000 000 cases (5 % open, each
//! with a report and a timeline entry), and after each step times, through
//! the same service code the API uses:
//!   - the dispatcher's queue (open cases, first page, by deadline),
//!   - a handler's queue (their department's open cases, same),
//!   - the overdue filter,
//!   - a case page (the case, its reports, photos, timeline),
//!   - the per-state counts from the tally (issue 16), against the
//!     `GROUP BY state` they replaced, measured in the same run.
//!
//!   case_bench sqlite DIR | case_bench postgres URL     (URL: a server; a fresh database is made)

use chrono::{Duration as Days, Utc};
use rand::{Rng, SeedableRng};
use sea_orm::{ActiveValue::Set, ConnectionTrait, Database, DatabaseConnection, EntityTrait};
use server::auth::session::StaffUser;
use server::cases::Deadlines;
use server::cases::service::{Cases, QueueFilter};
use server::db::entities::{case, case_event, category, department, report};
use shared::Role;
use std::time::Instant;

const STEPS: [u64; 3] = [10_000, 100_000, 1_000_000];
const SAMPLES: usize = 200;
const BATCH: usize = 500;

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

struct Fill {
    rng: rand::rngs::StdRng,
    categories: Vec<(i64, String)>,
    departments: Vec<i64>,
    areas: Vec<i64>,
    next: u64,
}

impl Fill {
    async fn grow(&mut self, db: &DatabaseConnection, to: u64) -> anyhow::Result<()> {
        let now = Utc::now();
        while self.next < to {
            let n = (to - self.next).min(BATCH as u64);
            let first = self.next;
            let mut cases = Vec::with_capacity(n as usize);
            for i in 0..n {
                let k = first + i;
                let (category_id, group) =
                    self.categories[self.rng.gen_range(0..self.categories.len())].clone();
                let submitted = now - Days::minutes(self.rng.gen_range(0..60 * 24 * 400));
                let open = self.rng.gen_bool(0.05);
                let state = if open {
                    ["submitted", "accepted", "investigating", "reply_review"]
                        [self.rng.gen_range(0..4)]
                } else {
                    "closed"
                };
                let due = open
                    .then(|| submitted + Days::days(if state == "submitted" { 15 } else { 60 }));
                cases.push(case::ActiveModel {
                    code: Set(code(k)),
                    category_id: Set(category_id),
                    group_code: Set(group),
                    state: Set(state.to_owned()),
                    priority: Set("normal".to_owned()),
                    lat: Set(29.2 + self.rng.gen_range(0.0..0.4)),
                    lon: Set(106.5 + self.rng.gen_range(0.0..0.5)),
                    accuracy_m: Set(Some(15.0)),
                    area_id: Set(self
                        .areas
                        .get(self.rng.gen_range(0..self.areas.len().max(1)))
                        .copied()),
                    department_id: Set(Some(
                        self.departments[self.rng.gen_range(0..self.departments.len())],
                    )),
                    description: Set("工地夜间施工噪声扰民，持续到凌晨（基准数据）".to_owned()),
                    occurred_at: Set(None),
                    submitted_at: Set(submitted),
                    updated_at: Set(submitted),
                    corroboration_count: Set(0),
                    version: Set(0),
                    co_department_id: Set(None),
                    assignee_id: Set(None),
                    rule_id: Set(None),
                    accept_due_at: Set(Some(submitted + Days::days(15))),
                    close_due_at: Set(Some(submitted + Days::days(60))),
                    due_at: Set(due),
                    extended_days: Set(0),
                    accepted_at: Set(None),
                    closed_at: Set((!open).then_some(submitted + Days::days(20))),
                    finding: Set((!open).then(|| "substantiated".to_owned())),
                    reply: Set((!open).then(|| "属实，已整改。".to_owned())),
                    actions_taken: Set(None),
                    reply_drafted_by: Set(None),
                    reply_approved_by: Set(None),
                    merged_into_id: Set(None),
                    contested: Set(false),
                    // A third of the closed cases carry a reviewer's public record.
                    disclosed_at: Set(
                        (!open && k.is_multiple_of(3)).then_some(submitted + Days::days(21))
                    ),
                    public_summary: Set((!open && k.is_multiple_of(3))
                        .then(|| "某工地夜间施工噪声扰民(基准数据)".to_owned())),
                    public_investigation: Set(
                        (!open && k.is_multiple_of(3)).then(|| "经现场核查属实".to_owned())
                    ),
                    public_actions: Set(
                        (!open && k.is_multiple_of(3)).then(|| "已责令整改".to_owned())
                    ),
                    public_precision: Set(
                        (!open && k.is_multiple_of(3)).then(|| "street".to_owned())
                    ),
                    ..Default::default()
                });
            }
            let txn = server::db::begin_write(db).await?;
            case::Entity::insert_many(cases).exec(&txn).await?;
            // The ids just written: codes are unique and sequential here.
            let ids: Vec<(i64, chrono::DateTime<Utc>)> = case::Entity::find()
                .filter(sea_orm::ColumnTrait::gte(&case::Column::Code, code(first)))
                .filter(sea_orm::ColumnTrait::lt(
                    &case::Column::Code,
                    code(first + n),
                ))
                .all(&txn)
                .await?
                .into_iter()
                .map(|c| (c.id, c.submitted_at))
                .collect();
            let reports = ids.iter().map(|(id, at)| report::ActiveModel {
                case_id: Set(*id),
                kind: Set("original".to_owned()),
                secret_hash: Set(format!("{id:064x}")),
                description: Set("工地夜间施工噪声扰民".to_owned()),
                answers: Set("{}".to_owned()),
                lat: Set(29.3),
                lon: Set(106.6),
                accuracy_m: Set(None),
                coord_system: Set("wgs84".to_owned()),
                location_source: Set("device".to_owned()),
                occurred_at: Set(None),
                submitted_at: Set(*at),
                identity_id: Set(None),
                ..Default::default()
            });
            report::Entity::insert_many(reports).exec(&txn).await?;
            let events = ids.iter().map(|(id, at)| case_event::ActiveModel {
                case_id: Set(*id),
                at: Set(*at),
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
            self.next += n;
        }
        Ok(())
    }
}

use sea_orm::QueryFilter;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let (kind, target) = match (args.get(1).map(String::as_str), args.get(2)) {
        (Some(k @ ("sqlite" | "postgres")), Some(t)) => (k.to_owned(), t.clone()),
        _ => {
            anyhow::bail!("usage: case_bench sqlite DIR [--fill-only N] | case_bench postgres URL")
        }
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
        let base = target
            .rsplit_once('/')
            .map(|(b, _)| b.to_owned())
            .unwrap_or(target.clone());
        (format!("{base}/{name}"), Some((target.clone(), name)))
    };
    let mut settings = server::config::Settings::try_from(clap_free_settings(&url))?;
    settings.database_url = url.clone();
    let db = server::db::connect_and_migrate(&settings).await?;
    server::demo::load(&db, chrono::Utc::now()).await?;
    let handler_department = department::Entity::find()
        .filter(sea_orm::ColumnTrait::eq(
            &department::Column::Code,
            "housing_construction",
        ))
        .one(&db)
        .await?
        .map(|d| d.id);
    let mut fill = Fill {
        rng: rand::rngs::StdRng::seed_from_u64(2026),
        categories: category::Entity::find()
            .all(&db)
            .await?
            .into_iter()
            .map(|c| (c.id, c.group_code))
            .collect(),
        departments: department::Entity::find()
            .all(&db)
            .await?
            .into_iter()
            .take(7)
            .map(|d| d.id)
            .collect(),
        areas: server::db::entities::area::Entity::find()
            .all(&db)
            .await?
            .into_iter()
            .map(|a| a.id)
            .collect(),
        next: 0,
    };
    // `--fill-only N`: leave a database of N cases for a load test of the
    // running server (`cargo xtask bench-open-data`).
    if let (Some("--fill-only"), Some(n)) = (args.get(3).map(String::as_str), args.get(4)) {
        let n: u64 = n.parse()?;
        let t = Instant::now();
        fill.grow(&db, n).await?;
        db.execute_unprepared("ANALYZE").await?;
        eprintln!("filled to {n} in {:.1} s", t.elapsed().as_secs_f64());
        db.close().await?;
        return Ok(());
    }
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
        // The server folds the tally every minute; the fill just wrote a
        // row per case into it.
        server::cases::tally::compact(&db).await?;
        // What autovacuum does soon after a change this large: without it
        // PostgreSQL still plans for the million rows the fill left dead.
        // (and the visibility map it sets, which lets the late cases be
        // counted from the deadline's index alone).
        if kind == "postgres" {
            db.execute_unprepared("VACUUM ANALYZE case_tally").await?;
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
        // The reference, in the same run: the counts as they were read
        // before the tally, one GROUP BY over every case.
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
    if let Some((admin_url, name)) = cleanup {
        let admin = Database::connect(admin_url.as_str()).await?;
        admin
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
            .await?;
    }
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

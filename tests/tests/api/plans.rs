//! PostgreSQL keeps the plan of the statement every public list runs
//! (`/cases`, the public API, Open311), instead of planning it again on
//! each request: its page's LIMIT is written into the SQL (`db::limit`).
//! A bound LIMIT made every execution a custom plan, 0.17–0.2 ms of
//! planning for a 0.07 ms index scan at 1,000,000 cases.

use sea_orm::{ConnectOptions, ConnectionTrait, Database, DbBackend, Statement};
use server::directory::held::HeldDirectory;
use server::disclosure::service::{PublicCases, PublicFilter, StatusFilter};
use server::middleware::public_cache::PublicCache;
use shanshui_tests::{Backend, TestApp, demo_cases};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_plans_a_page_of_the_public_record_once_per_connection() {
    let Some(app) = TestApp::spawn(Backend::Postgres).await else {
        eprintln!("skipped: TEST_DATABASE_URL is not set");
        return;
    };
    app.load_demo().await;
    demo_cases(&app, 60, 11).await;
    // Enough cases that a plan for any LIMIT (which must assume a tenth of
    // the table) costs more than one for the page: copies of the sixty.
    app.db
        .execute_unprepared(
            "DO $$ DECLARE cols text; BEGIN
               SELECT string_agg(quote_ident(column_name), ', ') INTO cols
                 FROM information_schema.columns
                WHERE table_schema = current_schema() AND table_name = 'cases'
                  AND column_name NOT IN ('id', 'code');
               EXECUTE format('INSERT INTO cases (code, %s) SELECT code || ''-'' || g, %s
                               FROM cases CROSS JOIN generate_series(1, 400) AS g', cols, cols);
             END $$;
             ANALYZE cases;",
        )
        .await
        .unwrap();
    // One connection, so that every execution meets the same prepared
    // statement (PostgreSQL keeps plans per connection).
    let mut options = ConnectOptions::new(app.database_url.clone());
    options
        .max_connections(1)
        .min_connections(1)
        .sqlx_logging(false);
    let pool = Database::connect(options).await.unwrap();
    // PostgreSQL's own choice between custom and generic plans, whatever
    // the server's setting.
    pool.execute_unprepared("SET plan_cache_mode = auto")
        .await
        .unwrap();
    let directory = HeldDirectory::new(PublicCache::new(Duration::from_secs(10)));
    let cases = PublicCases {
        db: &pool,
        directory: &directory,
    };
    let first = PublicFilter {
        page: 1,
        page_size: 20,
        ..Default::default()
    };
    let closed_noise = PublicFilter {
        categories: vec!["noise_construction".to_owned()],
        status: StatusFilter::Closed,
        page_size: 5,
        ..first.clone()
    };
    for _ in 0..10 {
        assert_eq!(cases.list(&first).await.unwrap().items.len(), 20);
        cases.list(&closed_noise).await.unwrap();
    }
    let plans = pool
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements \
             WHERE statement LIKE 'SELECT \"cases\".\"id\", %\"cases\".\"id\" IN (SELECT%'",
        ))
        .await
        .unwrap();
    let plans: Vec<(String, i64, i64)> = plans
        .iter()
        .map(|row| {
            let statement: String = row.try_get("", "statement").unwrap();
            let generic: i64 = row.try_get("", "generic_plans").unwrap();
            let custom: i64 = row.try_get("", "custom_plans").unwrap();
            (statement, generic, custom)
        })
        .collect();
    // The two lists, each one statement, each run ten times.
    assert_eq!(
        plans.len(),
        2,
        "one prepared statement per list: {plans:#?}"
    );
    for (statement, generic, custom) in plans {
        // PostgreSQL tries five custom plans before it weighs the generic.
        assert!(
            custom <= 5 && generic >= 5,
            "planned on every execution ({custom} custom, {generic} generic): {statement}"
        );
    }
    drop(pool);
    app.shutdown().await;
}

//! The console's counts by state come from the tally the database keeps by
//! triggers (migration 000020), not from counting every case: they must
//! agree with a count of the cases themselves after every kind of change
//! (filing, routing to a co-handler, accepting, rejecting, transferring,
//! merging), after the tally is folded, and after the migration builds it
//! again from the cases already there.

use sea_orm::{EntityTrait, QuerySelect};
use server::cases::workflow::Scope;
use server::db::entities::{case, department};
use shanshui_tests::{TestApp, file_report};
use shared::Role;
use std::collections::BTreeMap;

/// Cases per state in `scope`, counted from the cases themselves.
async fn truth(app: &TestApp, scope: Scope) -> BTreeMap<String, u64> {
    let rows: Vec<(Option<i64>, Option<i64>, String)> = case::Entity::find()
        .select_only()
        .column(case::Column::DepartmentId)
        .column(case::Column::CoDepartmentId)
        .column(case::Column::State)
        .into_tuple()
        .all(&app.db)
        .await
        .unwrap();
    let mut out = BTreeMap::new();
    for (lead, co, state) in rows {
        let counted = match scope {
            Scope::All => true,
            Scope::Department(d) => lead == Some(d) || co == Some(d),
            Scope::Nothing => false,
        };
        if counted {
            *out.entry(state).or_insert(0) += 1;
        }
    }
    out
}

/// The counts as the console gets them, without the states at zero.
async fn tallied(app: &TestApp, scope: Scope) -> BTreeMap<String, u64> {
    let counts = server::cases::service::counts_in(&app.db, scope, app.clock.now())
        .await
        .unwrap();
    counts
        .by_state
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .map(|(s, n)| (s.as_str().to_owned(), n))
        .collect()
}

/// Every scope agrees with the cases.
async fn agree(app: &TestApp, when: &str) {
    let mut scopes = vec![Scope::All, Scope::Nothing];
    for d in department::Entity::find().all(&app.db).await.unwrap() {
        scopes.push(Scope::Department(d.id));
    }
    for scope in scopes {
        assert_eq!(
            tallied(app, scope).await,
            truth(app, scope).await,
            "{when}: {scope:?}"
        );
    }
}

const YUDONG: (f64, f64) = (29.3752, 106.5101);

async fn the_counts_follow_every_change_of_a_case(app: &TestApp) {
    let dispatcher = app.staff("fen.pai", Role::Dispatcher, None).await;
    let mut codes = Vec::new();
    // Odour goes to the environment bureau alone; an outfall to it with
    // the water bureau co-handling.
    for category in [
        "odour",
        "water_outfall",
        "water_outfall",
        "odour",
        "other",
        "odour",
    ] {
        codes.push(file_report(app, category, YUDONG.0, YUDONG.1, &[]).await.0);
    }
    agree(app, "filed").await;
    dispatcher
        .act_ok(&codes[0], serde_json::json!({ "action": "accept" }))
        .await;
    dispatcher
        .act_ok(&codes[1], serde_json::json!({ "action": "accept" }))
        .await;
    dispatcher
        .act_ok(
            &codes[2],
            serde_json::json!({ "action": "reject", "reason": "不属于环境污染举报" }),
        )
        .await;
    agree(app, "accepted and rejected").await;
    server::cases::tally::compact(&app.db).await.unwrap();
    agree(app, "folded").await;
    dispatcher
        .act_ok(
            &codes[3],
            serde_json::json!({ "action": "transfer", "department": "housing_construction", "reason": "工地扬尘" }),
        )
        .await;
    dispatcher
        .act_ok(
            &codes[5],
            serde_json::json!({ "action": "merge", "into": codes[0].clone() }),
        )
        .await;
    agree(app, "transferred and merged").await;
    server::cases::tally::compact(&app.db).await.unwrap();
    server::cases::tally::compact(&app.db).await.unwrap();
    agree(app, "folded twice").await;

    // The migration builds the tally from the cases already there: roll
    // back to before it (it and the ones after it), then forward again.
    use migrations::MigratorTrait as _;
    let after_tally = migrations::Migrator::migrations()
        .iter()
        .rev()
        .position(|m| m.name() == "m20261205_000020_case_tally")
        .unwrap();
    let steps = u32::try_from(after_tally + 1).unwrap();
    migrations::Migrator::down(&app.db, Some(steps))
        .await
        .unwrap();
    migrations::Migrator::up(&app.db, None).await.unwrap();
    agree(app, "built again").await;
    dispatcher
        .act_ok(&codes[4], serde_json::json!({ "action": "accept" }))
        .await;
    agree(app, "after the rebuild").await;
}
shanshui_tests::demo_test!(the_counts_follow_every_change_of_a_case);

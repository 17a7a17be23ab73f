//! Cases per state without reading the cases: the tally the database keeps
//! by triggers (migration 000020), one row of +1 or −1 per case arriving
//! in or leaving a (department, state). The console's counts read a sum
//! over a few hundred rows instead of a `GROUP BY` over every case, so they
//! cost the same at 1,000 cases and at 1,000,000.
//!
//! The rows only grow between [`compact`]s, which the housekeeping job runs
//! every minute: it folds them into one per (department, co, state). The
//! public statistics keep theirs the same way (`crate::stats::figures`).

use super::workflow::Scope;
use crate::db::entities::case_tally;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect};

/// How many cases are in each state in `scope` (states without any are
/// left out).
pub async fn by_state(
    db: &impl ConnectionTrait,
    scope: Scope,
) -> Result<Vec<(String, i64)>, DbErr> {
    let query = case_tally::Entity::find();
    let query = match scope {
        // Every case once: its lead department's row.
        Scope::All => query.filter(case_tally::Column::Co.eq(0)),
        // Lead or co-handler: co rows exist only for another department,
        // so a case is counted once, as `access::in_scope` counts it.
        Scope::Department(own) => query.filter(case_tally::Column::DepartmentId.eq(own)),
        Scope::Nothing => return Ok(Vec::new()),
    };
    let rows: Vec<(String, Option<i64>)> = query
        .select_only()
        .column(case_tally::Column::State)
        // PostgreSQL sums a bigint as numeric: back to bigint for the driver.
        .column_as(Expr::cust("CAST(SUM(n) AS BIGINT)"), "n")
        .group_by(case_tally::Column::State)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(state, n)| (state, n.unwrap_or(0)))
        .filter(|(_, n)| *n != 0)
        .collect())
}

/// Folds the tally into one row per (department, co, state)
/// (`crate::db::tally::fold`).
pub async fn compact(db: &sea_orm::DatabaseConnection) -> Result<(), DbErr> {
    crate::db::tally::fold(db, "case_tally", "department_id, co, state").await
}

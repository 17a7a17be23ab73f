//! A page's `LIMIT` written into the SQL as a number, not bound.
//!
//! sea-query binds a `LIMIT` as a parameter. PostgreSQL cannot keep a plan
//! for such a statement: a plan made for any limit must assume a tenth of
//! the table, which always costs more than the plan made for the 21 rows
//! actually asked, so every execution was planned again. At 1,000,000
//! cases that planning (0.17–0.2 ms, the index scan itself 0.07 ms) was
//! most of what PostgreSQL spent on an uncached `/cases`. With the number
//! in the text, the statement's plan is made once per connection and kept.
//!
//! What it gains is for a page with no offset: a first page, a page
//! reached by keyset (a `next` or `prev` link), a probe of one row. With an
//! offset (a numbered page), PostgreSQL must guess the offset as it guessed
//! the limit, and plans every execution still; the offset stays a
//! parameter there, since every page number written into the text would be
//! a statement of its own, prepared once per connection for a crawler's
//! single visit.
//!
//! Each limit written makes a statement text of its own. The app's own
//! pages ask for a few sizes, kept prepared because they are used all the
//! time. A client that asks for unusual page sizes (validated by each
//! caller's bounds) makes statements of its own, which sqlx's cache per
//! connection drops least recently used first: at worst the usual ones
//! are prepared again, as every execution was planned before.

use sea_orm::sea_query::{Expr, SelectStatement, Value};
use sea_orm::{DbBackend, EntityTrait, QueryTrait, Select, SelectModel, SelectorRaw, Statement};

/// `select` with `LIMIT limit [OFFSET offset]` after it, as SQL and its
/// values: its own values stay bound. `select` must have no limit, offset
/// or locking clause of its own. `limit` is a number, within the caller's
/// bounds of a page.
fn with_limit(
    backend: DbBackend,
    built: Statement,
    limit: u64,
    offset: u64,
) -> (String, Vec<Value>) {
    let mut values: Vec<Value> = built.values.map(|v| v.0).unwrap_or_default();
    let mut sql = format!("{} LIMIT {limit}", built.sql);
    if offset > 0 {
        values.push(offset.into());
        match backend {
            DbBackend::Postgres => sql.push_str(&format!(" OFFSET ${}", values.len())),
            _ => sql.push_str(" OFFSET ?"),
        }
    }
    (sql, values)
}

/// `select` with `LIMIT limit [OFFSET offset]` (see above), to run as it is.
pub fn limited_statement(
    backend: DbBackend,
    select: &SelectStatement,
    limit: u64,
    offset: u64,
) -> Statement {
    let (sql, values) = with_limit(backend, backend.build(select), limit, offset);
    Statement::from_sql_and_values(backend, sql, values)
}

/// A page of `select`'s rows: `LIMIT limit [OFFSET offset]` (see above).
pub fn limited<E: EntityTrait>(
    backend: DbBackend,
    select: Select<E>,
    limit: u64,
    offset: u64,
) -> SelectorRaw<SelectModel<E::Model>> {
    E::find().from_raw_sql(limited_statement(
        backend,
        &select.into_query(),
        limit,
        offset,
    ))
}

/// `select` with `LIMIT limit [OFFSET offset]`, as the right side of an
/// `IN` (which writes the parentheses round it). Its placeholders are the
/// subquery's own (`$n` on PostgreSQL, `?` in order on SQLite), which the
/// outer statement renumbers.
pub fn limited_subquery(
    backend: DbBackend,
    select: &SelectStatement,
    limit: u64,
    offset: u64,
) -> Expr {
    let (sql, values) = with_limit(backend, backend.build(select), limit, offset);
    Expr::cust_with_values(sql, values)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::entities::case;
    use sea_orm::sea_query::ExprTrait;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect, QueryTrait};

    fn page(backend: DbBackend, offset: u64) -> (String, Vec<Value>) {
        let ids = case::Entity::find()
            .select_only()
            .column(case::Column::Id)
            .filter(case::Column::CategoryId.eq(7))
            .into_query();
        let outer = case::Entity::find()
            .select_only()
            .column(case::Column::Code)
            .filter(case::Column::State.eq("closed"))
            .filter(Expr::col((case::Entity, case::Column::Id)).binary(
                sea_orm::sea_query::BinOper::In,
                limited_subquery(backend, &ids, 21, offset),
            ))
            .build(backend);
        (outer.sql, outer.values.map(|v| v.0).unwrap_or_default())
    }

    #[test]
    fn the_limit_is_written_and_every_value_stays_bound_in_order() {
        // The outer statement's, the subquery's, then the offset.
        let bound = vec![Value::from("closed"), Value::from(7), Value::from(40u64)];
        let (sql, values) = page(DbBackend::Postgres, 40);
        assert!(
            sql.ends_with("WHERE \"cases\".\"category_id\" = $2 LIMIT 21 OFFSET $3)"),
            "{sql}"
        );
        assert!(
            sql.contains("\"state\" = $1 AND \"cases\".\"id\" IN (SELECT"),
            "{sql}"
        );
        assert_eq!(values, bound);

        let (sql, values) = page(DbBackend::Sqlite, 40);
        assert!(
            sql.ends_with("\"category_id\" = ? LIMIT 21 OFFSET ?)"),
            "{sql}"
        );
        assert_eq!(values, bound);
    }

    #[test]
    fn the_first_page_has_no_offset_and_no_parameter_for_it() {
        let (sql, values) = page(DbBackend::Postgres, 0);
        assert!(sql.ends_with("= $2 LIMIT 21)"), "{sql}");
        assert_eq!(values.len(), 2);
    }
}

//! Optimistic concurrency (乐观锁) on cases. Every write that changes a case
//! goes through [`bump_version`]: of two people who read the same version
//! (two staff, or a reporter contesting while a reviewer acts), one write
//! lands and the other gets 409 and reloads, instead of one silently undoing
//! the other.

use crate::db::entities::case;
use crate::error::AppError;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, UpdateMany};

/// Applies `changes` (an `update_many` with the columns to set, or none) to
/// the case `read` was loaded as, only if its version is still the one
/// read; bumps the version and stamps `updated_at`. 409 when another write
/// came first.
pub async fn bump_version(
    conn: &impl ConnectionTrait,
    read: &case::Model,
    changes: UpdateMany<case::Entity>,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let done = changes
        .col_expr(
            case::Column::Version,
            Expr::col(case::Column::Version).add(1),
        )
        .col_expr(case::Column::UpdatedAt, Expr::value(now))
        .filter(case::Column::Id.eq(read.id))
        .filter(case::Column::Version.eq(read.version))
        .exec(conn)
        .await?;
    if done.rows_affected == 1 {
        Ok(())
    } else {
        Err(AppError::Conflict(
            "someone else changed the case at the same moment; reload it and try again".to_owned(),
        ))
    }
}

/// No columns of its own: only the version and `updated_at` change (an
/// event that touches the case's other tables).
pub fn no_changes() -> UpdateMany<case::Entity> {
    case::Entity::update_many()
}

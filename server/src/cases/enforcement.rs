//! 查处结果 beside the case: penalty decisions recorded (`record_penalty`)
//! and published (`publish_penalty`), written in the action's transaction
//! by `service::apply`; read for the case page and for a reward that is a
//! share of the fine.

use super::effects::Enforcement;
use crate::db::entities::penalty;
use crate::error::{AppError, is_unique_violation};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use shared::FieldErrorCode;
use shared::case::PenaltyView;

/// Writes a recorded or published penalty of case `case_id`.
pub async fn apply(
    txn: &impl ConnectionTrait,
    case_id: i64,
    user_id: i64,
    step: Enforcement,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    match step {
        Enforcement::Record(p) => {
            let inserted = penalty::ActiveModel {
                case_id: Set(case_id),
                decision_no: Set(p.decision_no),
                enterprise: Set(p.enterprise),
                credit_code: Set(p.credit_code),
                provision: Set(p.provision),
                fine_fen: Set(p.fine_fen),
                decided_on: Set(p.decided_on),
                recorded_by: Set(user_id),
                recorded_at: Set(now),
                published_at: Set(None),
                published_by: Set(None),
                ..Default::default()
            }
            .insert(txn)
            .await;
            match inserted {
                Ok(_) => Ok(()),
                Err(e) if is_unique_violation(&e) => Err(AppError::Rejected {
                    status: StatusCode::CONFLICT,
                    code: "decision_exists",
                    message: "a penalty with this decision number is already recorded".to_owned(),
                }),
                Err(e) => Err(e.into()),
            }
        }
        Enforcement::Publish(decision_no) => {
            let found = penalty::Entity::find()
                .filter(penalty::Column::CaseId.eq(case_id))
                .filter(penalty::Column::DecisionNo.eq(decision_no.as_str()))
                .one(txn)
                .await?
                .ok_or_else(|| {
                    AppError::field(
                        "decision_no",
                        FieldErrorCode::NotFound,
                        "no penalty with this decision number is recorded on this case",
                    )
                })?;
            if found.published_at.is_some() {
                return Err(AppError::Conflict(
                    "this penalty is already published".to_owned(),
                ));
            }
            let mut row: penalty::ActiveModel = found.into();
            row.published_at = Set(Some(now));
            row.published_by = Set(Some(user_id));
            row.update(txn).await?;
            Ok(())
        }
    }
}

/// The case's penalties, in the order they were recorded.
pub async fn on_case(
    conn: &impl ConnectionTrait,
    case_id: i64,
) -> Result<Vec<PenaltyView>, AppError> {
    Ok(recorded(conn, case_id)
        .await?
        .into_iter()
        .map(|p| PenaltyView {
            decision_no: p.decision_no,
            enterprise: p.enterprise,
            credit_code: p.credit_code,
            provision: p.provision,
            fine_fen: p.fine_fen,
            decided_on: p.decided_on,
            recorded_at: p.recorded_at.to_rfc3339(),
            published_at: p.published_at.map(|t| t.to_rfc3339()),
        })
        .collect())
}

pub async fn recorded(
    conn: &impl ConnectionTrait,
    case_id: i64,
) -> Result<Vec<penalty::Model>, AppError> {
    Ok(penalty::Entity::find()
        .filter(penalty::Column::CaseId.eq(case_id))
        .order_by_asc(penalty::Column::Id)
        .all(conn)
        .await?)
}

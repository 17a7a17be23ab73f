//! HTTP for rewards: tiers (public), the reward queue, the ledger as CSV and
//! the exclusion list.

use super::{ledger, service};
use crate::auth::StaffUser;
use crate::db::entities::reward_exclusion;
use crate::error::{AppError, AppJson, AppQuery, OnUniqueViolation};
use crate::openapi::components::{
    BadRequest, CasePath, Conflict, Forbidden, IdPath, NotFound, Unauthorized, Unprocessable,
    UnsupportedMediaType,
};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use sea_orm::{ActiveModelTrait, EntityTrait, QueryOrder, Set};
use serde::{Deserialize, Serialize};
use shared::Role;
use shared::reward::{PayoutAccount, RewardQueueItem, RewardState, RewardTier};

/// The reward tiers (奖励标准).
///
/// Public: each tier's `code` and `name`, and `amount_fen` for a fixed
/// amount or `percent_of_fine` for a share of the fine (neither for a
/// special tier, up to `cap_fen`).
#[utoipa::path(
    get,
    path = "/reward-tiers",
    tag = "rewards",
    responses((status = 200, description = "The tiers.", body = Vec<RewardTier>))
)]
pub async fn tiers(State(state): State<AppState>) -> Result<AppJson<Vec<RewardTier>>, AppError> {
    Ok(AppJson(service::tiers(&state.db).await?))
}

const READERS: &[Role] = &[
    Role::RewardReviewer,
    Role::Finance,
    Role::Auditor,
    Role::Admin,
    Role::Dispatcher,
];

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QueueQuery {
    /// A reward state, or `all`; default: what the role acts on (proposed
    /// for reward reviewers, claimed for finance), else every live one.
    state: Option<String>,
}

/// The reward queue (奖励队列).
///
/// Rewards in the given state (by default what the role acts on), oldest
/// proposal first, each with the case's eligibility.
#[utoipa::path(
    get,
    path = "/rewards",
    tag = "rewards",
    params(QueueQuery),
    responses(
        (status = 200, description = "The queue.", body = Vec<RewardQueueItem>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 422, response = Unprocessable),
    ),
    security(("session" = []))
)]
pub async fn queue(
    State(state): State<AppState>,
    user: StaffUser,
    AppQuery(q): AppQuery<QueueQuery>,
) -> Result<AppJson<Vec<RewardQueueItem>>, AppError> {
    user.require(READERS)?;
    service::expire_due(&state.db, state.settings.clock.now()).await?;
    let states: Vec<&str> = match q.state.as_deref().filter(|s| !s.is_empty()) {
        Some("all") => RewardState::ALL.iter().map(|s| s.as_str()).collect(),
        Some(s) => vec![
            RewardState::parse(s)
                .ok_or_else(|| AppError::validation("state", "a reward state or `all`"))?
                .as_str(),
        ],
        None => match user.role {
            Role::RewardReviewer => vec!["proposed"],
            Role::Finance => vec!["claimed"],
            _ => vec!["proposed", "approved", "claimed"],
        },
    };
    Ok(AppJson(service::queue(&state.db, &states).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LedgerQuery {
    /// One row per reward instead of the monthly summary.
    #[serde(default)]
    detail: bool,
}

/// The reward ledger as CSV (奖励台账).
///
/// For the finance office — by month (of the proposal) and department:
/// proposed, approved, claimed, paid and expired, counts and amounts in
/// fen; `?detail=true` for one row per reward. Each export is audited.
#[utoipa::path(
    get,
    path = "/rewards/ledger.csv",
    tag = "rewards",
    params(LedgerQuery),
    responses(
        (status = 200, description = "The ledger (UTF-8 CSV, CRLF line ends, a header row).",
            content_type = "text/csv", body = String),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
    ),
    security(("session" = []))
)]
pub async fn ledger(
    State(state): State<AppState>,
    user: StaffUser,
    AppQuery(q): AppQuery<LedgerQuery>,
) -> Result<Response, AppError> {
    user.require(&[
        Role::Finance,
        Role::Auditor,
        Role::Admin,
        Role::RewardReviewer,
    ])?;
    service::expire_due(&state.db, state.settings.clock.now()).await?;
    let rows = ledger::rows(&state.db).await?;
    let out = if q.detail {
        ledger::detail_csv(&rows)
    } else {
        ledger::summary_csv(&rows)
    };
    let entry = crate::audit::Entry {
        actor: &user.username,
        action: "reward.ledger_export",
        object_type: "ledger",
        object_id: if q.detail { "detail" } else { "summary" },
        detail: None,
    };
    crate::audit::record(&state.db, entry).await?;
    Ok(crate::csv::download(
        out.into(),
        "shanshui-reward-ledger.csv",
    ))
}

/// A person who may not be rewarded (奖励排除名单). The phone number is
/// never shown: only its blind index is stored.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Exclusion {
    id: i64,
    /// Why the person is excluded.
    note: String,
    created_by: String,
    created_at: String,
}

/// `POST /api/v1/reward-exclusions`: a phone number to exclude.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct NewExclusion {
    /// A mainland mobile number (11 digits starting with 1); only its blind
    /// index is kept.
    #[serde(default)]
    phone: String,
    /// Why the person is excluded, 1 to 200 characters.
    note: String,
}

/// The exclusion list (排除名单).
///
/// Staff of handling departments, their relatives…: people whose reports
/// earn no reward. The numbers themselves are never shown.
#[utoipa::path(
    get,
    path = "/reward-exclusions",
    tag = "rewards",
    responses(
        (status = 200, description = "The list.", body = Vec<Exclusion>),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
    ),
    security(("session" = []))
)]
pub async fn exclusions(
    State(state): State<AppState>,
    user: StaffUser,
) -> Result<AppJson<Vec<Exclusion>>, AppError> {
    user.require(&[Role::Admin, Role::Auditor, Role::RewardReviewer])?;
    Ok(AppJson(
        reward_exclusion::Entity::find()
            .order_by_asc(reward_exclusion::Column::Id)
            .all(&state.db)
            .await?
            .into_iter()
            .map(|e| Exclusion {
                id: e.id,
                note: e.note,
                created_by: e.created_by,
                created_at: e.created_at.to_rfc3339(),
            })
            .collect(),
    ))
}

/// Reveal a claimed reward's payout account (查看领奖账户).
///
/// For the finance office, to pay the reward: the account the reporter
/// gave when claiming it, decrypted. Every reveal is written to the audit
/// log; 409 when the reward has not been claimed.
#[utoipa::path(
    post,
    path = "/rewards/{code}/payout-account",
    tag = "rewards",
    params(CasePath),
    responses(
        (status = 200, description = "The payout account.", body = PayoutAccount),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
    ),
    security(("session" = []))
)]
pub async fn payout_account(
    State(state): State<AppState>,
    user: StaffUser,
    Path(code): Path<String>,
) -> Result<AppJson<PayoutAccount>, AppError> {
    user.require(&[Role::Finance])?;
    Ok(AppJson(
        service::reveal_payout_account(&state.db, &state.pii, &user.username, &code).await?,
    ))
}

/// Exclude a phone number (加入排除名单).
///
/// Adds a phone number to the exclusion list (staff of handling
/// departments, their relatives…). Only its blind index is kept. For admins.
#[utoipa::path(
    post,
    path = "/reward-exclusions",
    tag = "rewards",
    request_body = NewExclusion,
    responses(
        (status = 201, description = "Added.", body = Exclusion),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = Unprocessable),
    ),
    security(("session" = []))
)]
pub async fn exclude(
    State(state): State<AppState>,
    user: StaffUser,
    AppJson(input): AppJson<NewExclusion>,
) -> Result<(StatusCode, AppJson<Exclusion>), AppError> {
    user.require(&[Role::Admin])?;
    let phone = shared::report::Phone::parse(&input.phone)
        .map(String::from)
        .ok_or_else(|| {
            AppError::validation(
                "phone",
                "a mainland mobile number (11 digits starting with 1)",
            )
        })?;
    let note = input.note.trim().to_owned();
    if note.is_empty() || note.chars().count() > 200 {
        return Err(AppError::validation(
            "note",
            "why the person is excluded, 1 to 200 characters",
        ));
    }
    let now = state.settings.clock.now();
    let txn = crate::db::begin_write(&state.db).await?;
    let saved = reward_exclusion::ActiveModel {
        phone_index: Set(state.pii.blind_index(&phone)),
        note: Set(note.clone()),
        created_by: Set(user.username.clone()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await;
    let row = saved
        .on_unique_violation(|| AppError::Conflict("this number is already excluded".to_owned()))?;
    let id = row.id.to_string();
    let entry = crate::audit::Entry {
        actor: &user.username,
        action: "reward.exclude",
        object_type: "reward_exclusion",
        object_id: &id,
        detail: Some(note),
    };
    crate::audit::record(&txn, entry).await?;
    txn.commit().await?;
    Ok((
        StatusCode::CREATED,
        AppJson(Exclusion {
            id: row.id,
            note: row.note,
            created_by: row.created_by,
            created_at: row.created_at.to_rfc3339(),
        }),
    ))
}

/// Remove an exclusion (移出排除名单).
///
/// For admins; audited.
#[utoipa::path(
    delete,
    path = "/reward-exclusions/{id}",
    tag = "rewards",
    params(IdPath),
    responses(
        (status = 204, description = "Removed."),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    ),
    security(("session" = []))
)]
pub async fn unexclude(
    State(state): State<AppState>,
    user: StaffUser,
    Path(id): Path<i64>,
) -> Result<StatusCode, AppError> {
    user.require(&[Role::Admin])?;
    let txn = crate::db::begin_write(&state.db).await?;
    let deleted = reward_exclusion::Entity::delete_by_id(id)
        .exec(&txn)
        .await?;
    if deleted.rows_affected == 0 {
        return Err(AppError::NotFound);
    }
    let object_id = id.to_string();
    let entry = crate::audit::Entry {
        actor: &user.username,
        action: "reward.unexclude",
        object_type: "reward_exclusion",
        object_id: &object_id,
        detail: None,
    };
    crate::audit::record(&txn, entry).await?;
    txn.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

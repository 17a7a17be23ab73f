//! Notices, documents and enforcement results (通知公告, 政策文件, 执法结果)
//! and enterprise environmental disclosures (企业环境信息依法披露): written
//! by staff, read by everyone on `/info`, searchable. Every change is audited.

use super::markdown::to_safe_html;
use crate::audit;
use crate::cases::effects::{optional_text, text};
use crate::db::entities::{case, enterprise_disclosure, notice, penalty};
use crate::error::AppError;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use shared::FieldErrorCode;
use shared::info::{
    EnterpriseDisclosure, EnterpriseDisclosureInput, EnterpriseRecord, InfoPage, Notice,
    NoticeInput, NoticeKind, PublishedPenalty,
};

const MAX_TITLE: usize = 200;
const MAX_BODY: usize = 50_000;
const PAGE: u64 = 50;

fn to_notice(m: notice::Model, with_source: bool) -> Notice {
    Notice {
        id: m.id,
        kind: NoticeKind::parse(&m.kind).unwrap_or(NoticeKind::Notice),
        title: m.title,
        summary: m.summary,
        body_html: m.body_html,
        body_md: with_source.then_some(m.body_md),
        published_at: m.published_at.map(|t| t.to_rfc3339()),
        updated_at: m.updated_at.to_rfc3339(),
    }
}

fn to_enterprise(m: enterprise_disclosure::Model) -> EnterpriseDisclosure {
    EnterpriseDisclosure {
        id: m.id,
        enterprise: m.enterprise,
        credit_code: m.credit_code,
        permit_no: m.permit_no,
        industry: m.industry,
        year: m.year,
        disclosed: m.disclosed,
        penalties: m.penalties,
        url: m.url,
        published_at: m.published_at.to_rfc3339(),
    }
}

/// The words of a search, each of which must appear somewhere.
fn words(q: Option<&str>) -> Vec<String> {
    q.unwrap_or_default()
        .split_whitespace()
        .take(5)
        .map(|w| w.chars().take(50).collect())
        .collect()
}

/// `/info`: published notices (of one kind, if asked) and enterprise
/// disclosures matching every word of `q`, newest first.
pub async fn search(
    db: &DatabaseConnection,
    q: Option<&str>,
    kind: Option<NoticeKind>,
) -> Result<InfoPage, AppError> {
    let words = words(q);
    let mut notices = notice::Entity::find().filter(notice::Column::PublishedAt.is_not_null());
    if let Some(k) = kind {
        notices = notices.filter(notice::Column::Kind.eq(k.as_str()));
    }
    for w in &words {
        notices = notices.filter(
            sea_orm::Condition::any()
                .add(notice::Column::Title.contains(w))
                .add(notice::Column::Summary.contains(w))
                .add(notice::Column::BodyMd.contains(w)),
        );
    }
    let notices = notices
        .order_by_desc(notice::Column::PublishedAt)
        .limit(PAGE)
        .all(db)
        .await?
        .into_iter()
        .map(|m| to_notice(m, false))
        .collect();
    let mut enterprises = enterprise_disclosure::Entity::find();
    for w in &words {
        enterprises = enterprises.filter(
            sea_orm::Condition::any()
                .add(enterprise_disclosure::Column::Enterprise.contains(w))
                .add(enterprise_disclosure::Column::CreditCode.contains(w))
                .add(enterprise_disclosure::Column::PermitNo.contains(w))
                .add(enterprise_disclosure::Column::Industry.contains(w))
                .add(enterprise_disclosure::Column::Disclosed.contains(w))
                .add(enterprise_disclosure::Column::Penalties.contains(w)),
        );
    }
    // A kind other than enterprise disclosures asks for notices only.
    let enterprises = if kind.is_some() {
        vec![]
    } else {
        enterprises
            .order_by_desc(enterprise_disclosure::Column::Year)
            .order_by_desc(enterprise_disclosure::Column::Id)
            .limit(PAGE)
            .all(db)
            .await?
            .into_iter()
            .map(to_enterprise)
            .collect()
    };
    // Published penalties are enforcement results (执法结果).
    let penalties = if kind.is_none_or(|k| k == NoticeKind::Enforcement) {
        published_penalties(db, &words).await?
    } else {
        vec![]
    };
    Ok(InfoPage {
        notices,
        enterprises,
        penalties,
    })
}

/// Everything public about the enterprise with this credit code: its
/// published penalties, their cases, its disclosures. A code that is not
/// one is a 422; one with nothing public a 404.
pub async fn enterprise(db: &DatabaseConnection, code: &str) -> Result<EnterpriseRecord, AppError> {
    let code = credit_code(code)?;
    let penalties =
        published_penalties_where(db, &[], Some(penalty::Column::CreditCode.eq(code.as_str())))
            .await?;
    let disclosures: Vec<EnterpriseDisclosure> = enterprise_disclosure::Entity::find()
        .filter(enterprise_disclosure::Column::CreditCode.eq(code.as_str()))
        .order_by_desc(enterprise_disclosure::Column::Year)
        .order_by_desc(enterprise_disclosure::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(to_enterprise)
        .collect();
    if penalties.is_empty() && disclosures.is_empty() {
        return Err(AppError::NotFound);
    }
    let mut names: Vec<String> = Vec::new();
    for name in penalties
        .iter()
        .map(|p| p.enterprise.clone())
        .chain(disclosures.iter().map(|d| d.enterprise.clone()))
    {
        if !names.contains(&name) {
            names.push(name);
        }
    }
    let mut cases: Vec<String> = Vec::new();
    for p in &penalties {
        if !cases.contains(&p.case) {
            cases.push(p.case.clone());
        }
    }
    Ok(EnterpriseRecord {
        total_fine_fen: penalties.iter().map(|p| p.fine_fen).sum(),
        credit_code: code,
        names,
        penalties,
        cases,
        disclosures,
    })
}

/// 行政处罚信息公开: the published penalties matching every word, newest
/// first, with the case each came from.
async fn published_penalties(
    db: &DatabaseConnection,
    words: &[String],
) -> Result<Vec<PublishedPenalty>, AppError> {
    published_penalties_where(db, words, None).await
}

async fn published_penalties_where(
    db: &DatabaseConnection,
    words: &[String],
    also: Option<sea_orm::sea_query::SimpleExpr>,
) -> Result<Vec<PublishedPenalty>, AppError> {
    let mut found = penalty::Entity::find().filter(penalty::Column::PublishedAt.is_not_null());
    if let Some(condition) = also {
        found = found.filter(condition);
    }
    for w in words {
        found = found.filter(
            sea_orm::Condition::any()
                .add(penalty::Column::DecisionNo.contains(w))
                .add(penalty::Column::Enterprise.contains(w))
                .add(penalty::Column::CreditCode.contains(w))
                .add(penalty::Column::Provision.contains(w)),
        );
    }
    let rows = found
        .order_by_desc(penalty::Column::PublishedAt)
        .limit(PAGE)
        .all(db)
        .await?;
    let ids: Vec<i64> = rows.iter().map(|p| p.case_id).collect();
    let codes: std::collections::BTreeMap<i64, String> = case::Entity::find()
        .filter(case::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c.code))
        .collect();
    Ok(rows
        .into_iter()
        .map(|p| PublishedPenalty {
            case: codes.get(&p.case_id).cloned().unwrap_or_default(),
            published_at: p.published_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
            decision_no: p.decision_no,
            enterprise: p.enterprise,
            credit_code: p.credit_code,
            provision: p.provision,
            fine_fen: p.fine_fen,
            decided_on: p.decided_on,
        })
        .collect())
}

/// A published notice; drafts only for staff.
pub async fn notice(db: &DatabaseConnection, id: i64, staff: bool) -> Result<Notice, AppError> {
    let m = notice::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
    if m.published_at.is_none() && !staff {
        return Err(AppError::NotFound);
    }
    Ok(to_notice(m, staff))
}

/// Every notice, drafts included, for the staff editor.
pub async fn all_notices(db: &DatabaseConnection) -> Result<Vec<Notice>, AppError> {
    Ok(notice::Entity::find()
        .order_by_desc(notice::Column::UpdatedAt)
        .limit(200)
        .all(db)
        .await?
        .into_iter()
        .map(|m| to_notice(m, true))
        .collect())
}

struct CheckedNotice {
    title: String,
    summary: String,
    body_md: String,
    body_html: String,
}

fn check_notice(input: &NoticeInput) -> Result<CheckedNotice, AppError> {
    let title = text("title", &input.title)?;
    if title.chars().count() > MAX_TITLE {
        return Err(AppError::field(
            "title",
            FieldErrorCode::TooLong,
            format!("at most {MAX_TITLE} characters"),
        ));
    }
    let body_md = input.body.trim().to_owned();
    if body_md.is_empty() {
        return Err(AppError::field(
            "body",
            FieldErrorCode::Required,
            "must not be empty",
        ));
    }
    if body_md.chars().count() > MAX_BODY {
        return Err(AppError::field(
            "body",
            FieldErrorCode::TooLong,
            format!("at most {MAX_BODY} characters"),
        ));
    }
    let body_html = to_safe_html(&body_md);
    // The description a shared link shows: the given summary, or the text's
    // first 120 characters.
    let summary = match optional_text("summary", input.summary.clone())? {
        Some(s) => s,
        None => {
            let plain: String = ammonia::Builder::empty().clean(&body_html).to_string();
            plain
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .chars()
                .take(120)
                .collect()
        }
    };
    Ok(CheckedNotice {
        title,
        summary,
        body_md,
        body_html,
    })
}

pub async fn create_notice(
    db: &DatabaseConnection,
    actor: &str,
    input: NoticeInput,
    now: DateTime<Utc>,
) -> Result<Notice, AppError> {
    let c = check_notice(&input)?;

    let txn = crate::db::begin_write(db).await?;
    let saved = notice::ActiveModel {
        kind: Set(input.kind.as_str().to_owned()),
        title: Set(c.title),
        summary: Set(c.summary),
        body_md: Set(c.body_md),
        body_html: Set(c.body_html),
        published_at: Set(input.published.then_some(now)),
        created_by: Set(actor.to_owned()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let id = saved.id.to_string();
    audit::record(
        &txn,
        audit::Entry {
            actor,
            action: "notice.create",
            object_type: "notice",
            object_id: &id,
            detail: Some(saved.title.clone()),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(to_notice(saved, true))
}

pub async fn update_notice(
    db: &DatabaseConnection,
    actor: &str,
    id: i64,
    input: NoticeInput,
    now: DateTime<Utc>,
) -> Result<Notice, AppError> {
    let c = check_notice(&input)?;

    let txn = crate::db::begin_write(db).await?;
    let row = notice::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound)?;
    // Publishing keeps the first publication date; unpublishing clears it.
    let published_at = match (input.published, row.published_at) {
        (true, Some(t)) => Some(t),
        (true, None) => Some(now),
        (false, _) => None,
    };
    let mut active: notice::ActiveModel = row.into();
    active.kind = Set(input.kind.as_str().to_owned());
    active.title = Set(c.title);
    active.summary = Set(c.summary);
    active.body_md = Set(c.body_md);
    active.body_html = Set(c.body_html);
    active.published_at = Set(published_at);
    active.updated_at = Set(now);
    let saved = active.update(&txn).await?;
    let object_id = id.to_string();
    audit::record(
        &txn,
        audit::Entry {
            actor,
            action: "notice.update",
            object_type: "notice",
            object_id: &object_id,
            detail: Some(saved.title.clone()),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(to_notice(saved, true))
}

pub async fn delete_notice(db: &DatabaseConnection, actor: &str, id: i64) -> Result<(), AppError> {
    let txn = crate::db::begin_write(db).await?;
    let row = notice::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound)?;
    notice::Entity::delete_by_id(id).exec(&txn).await?;
    let object_id = id.to_string();
    audit::record(
        &txn,
        audit::Entry {
            actor,
            action: "notice.delete",
            object_type: "notice",
            object_id: &object_id,
            detail: Some(row.title),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// 统一社会信用代码, with its GB 32100 check character.
fn credit_code(s: &str) -> Result<String, AppError> {
    shared::enterprise::credit_code(s).map_err(|e| {
        AppError::field(
            "credit_code",
            shared::FieldErrorCode::Invalid,
            e.to_string(),
        )
    })
}

pub async fn create_enterprise(
    db: &DatabaseConnection,
    actor: &str,
    input: EnterpriseDisclosureInput,
    now: DateTime<Utc>,
) -> Result<EnterpriseDisclosure, AppError> {
    let enterprise = text("enterprise", &input.enterprise)?;
    let code = credit_code(&input.credit_code)?;
    let this_year = chrono::Datelike::year(&now);
    if !(2000..=this_year).contains(&input.year) {
        return Err(AppError::field(
            "year",
            FieldErrorCode::OutOfRange,
            format!("a year from 2000 to {this_year}"),
        ));
    }
    let disclosed = text("disclosed", &input.disclosed)?;
    let url = optional_text("url", input.url)?;
    if let Some(u) = &url
        && !(u.starts_with("https://") || u.starts_with("http://"))
    {
        return Err(AppError::validation("url", "an http(s) address"));
    }
    let txn = crate::db::begin_write(db).await?;
    let saved = enterprise_disclosure::ActiveModel {
        enterprise: Set(enterprise),
        credit_code: Set(code),
        permit_no: Set(optional_text("permit_no", input.permit_no)?),
        industry: Set(optional_text("industry", input.industry)?),
        year: Set(input.year),
        disclosed: Set(disclosed),
        penalties: Set(optional_text("penalties", input.penalties)?),
        url: Set(url),
        published_at: Set(now),
        created_by: Set(actor.to_owned()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let id = saved.id.to_string();
    audit::record(
        &txn,
        audit::Entry {
            actor,
            action: "enterprise_disclosure.create",
            object_type: "enterprise_disclosure",
            object_id: &id,
            detail: Some(format!("{} {}", saved.enterprise, saved.year)),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(to_enterprise(saved))
}

pub async fn delete_enterprise(
    db: &DatabaseConnection,
    actor: &str,
    id: i64,
) -> Result<(), AppError> {
    let txn = crate::db::begin_write(db).await?;
    let row = enterprise_disclosure::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound)?;
    enterprise_disclosure::Entity::delete_by_id(id)
        .exec(&txn)
        .await?;
    let object_id = id.to_string();
    audit::record(
        &txn,
        audit::Entry {
            actor,
            action: "enterprise_disclosure.delete",
            object_type: "enterprise_disclosure",
            object_id: &object_id,
            detail: Some(format!("{} {}", row.enterprise, row.year)),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

//! Reply templates (答复模板): the starts of a reply that admins keep per
//! category (or category group) and finding, with `{{placeholders}}` the
//! handler fills when drafting (`shared::workbench::PLACEHOLDERS`). A
//! template naming an unknown placeholder is refused when saved, so the
//! console never meets one it cannot fill. Every change is audited.

use crate::audit;
use crate::auth::session::StaffUser;
use crate::db::entities::{category, category_group, reply_template};
use crate::error::AppError;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use shared::case::Finding;
use shared::workbench::{ReplyTemplate, ReplyTemplateInput, TEMPLATE_MAX_CHARS, parse_template};
use shared::{FieldErrorCode, Role};

const TITLE_MAX_CHARS: usize = 80;

fn view(t: reply_template::Model) -> ReplyTemplate {
    ReplyTemplate {
        id: t.id,
        finding: t.finding.as_deref().and_then(Finding::parse),
        category: t.category,
        title: t.title,
        body: t.body,
        updated_at: t.updated_at.to_rfc3339(),
        updated_by: t.updated_by,
    }
}

/// Every template: those for every category first, then by category.
pub async fn list(conn: &impl ConnectionTrait) -> Result<Vec<ReplyTemplate>, AppError> {
    Ok(reply_template::Entity::find()
        .order_by_asc(reply_template::Column::Category)
        .order_by_asc(reply_template::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(view)
        .collect())
}

/// The input, trimmed and checked: a known category or group, a title and
/// a body within their lengths, only known placeholders.
async fn checked(
    conn: &impl ConnectionTrait,
    input: ReplyTemplateInput,
) -> Result<ReplyTemplateInput, AppError> {
    let title = input.title.trim().to_owned();
    let body = input.body.trim().to_owned();
    let length = |field: &str, text: &str, max: usize| {
        let n = text.chars().count();
        if n == 0 {
            Err(AppError::field(field, FieldErrorCode::Required, "needed"))
        } else if n > max {
            Err(AppError::field(
                field,
                FieldErrorCode::TooLong,
                format!("at most {max} characters (this one has {n})"),
            ))
        } else {
            Ok(())
        }
    };
    length("title", &title, TITLE_MAX_CHARS)?;
    length("body", &body, TEMPLATE_MAX_CHARS)?;
    parse_template(&body)
        .map_err(|e| AppError::field("body", FieldErrorCode::Invalid, e.to_string()))?;
    let category = match input.category.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(code) => {
            let known = category::Entity::find()
                .filter(category::Column::Code.eq(code))
                .one(conn)
                .await?
                .is_some()
                || category_group::Entity::find_by_id(code.to_owned())
                    .one(conn)
                    .await?
                    .is_some();
            if !known {
                return Err(AppError::field(
                    "category",
                    FieldErrorCode::NotFound,
                    "no such category or category group",
                ));
            }
            Some(code.to_owned())
        }
    };
    Ok(ReplyTemplateInput {
        category,
        finding: input.finding,
        title,
        body,
    })
}

async fn audit_change(
    conn: &impl ConnectionTrait,
    user: &StaffUser,
    action: &str,
    t: &reply_template::Model,
) -> Result<(), AppError> {
    audit::record(
        conn,
        audit::Entry {
            actor: &user.username,
            action,
            object_type: "reply_template",
            object_id: &t.id.to_string(),
            detail: Some(t.title.clone()),
        },
    )
    .await?;
    Ok(())
}

pub async fn create(
    db: &DatabaseConnection,
    user: &StaffUser,
    input: ReplyTemplateInput,
    now: DateTime<Utc>,
) -> Result<ReplyTemplate, AppError> {
    user.require(&[Role::Admin])?;
    let txn = crate::db::begin_write(db).await?;
    let input = checked(&txn, input).await?;
    let t = reply_template::ActiveModel {
        category: Set(input.category),
        finding: Set(input.finding.map(|f| f.as_str().to_owned())),
        title: Set(input.title),
        body: Set(input.body),
        updated_at: Set(now),
        updated_by: Set(user.username.clone()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit_change(&txn, user, "reply_template.create", &t).await?;
    txn.commit().await?;
    Ok(view(t))
}

pub async fn update(
    db: &DatabaseConnection,
    user: &StaffUser,
    id: i64,
    input: ReplyTemplateInput,
    now: DateTime<Utc>,
) -> Result<ReplyTemplate, AppError> {
    user.require(&[Role::Admin])?;
    let txn = crate::db::begin_write(db).await?;
    let old = reply_template::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound)?;
    let input = checked(&txn, input).await?;
    let mut t: reply_template::ActiveModel = old.into();
    t.category = Set(input.category);
    t.finding = Set(input.finding.map(|f| f.as_str().to_owned()));
    t.title = Set(input.title);
    t.body = Set(input.body);
    t.updated_at = Set(now);
    t.updated_by = Set(user.username.clone());
    let t = t.update(&txn).await?;
    audit_change(&txn, user, "reply_template.update", &t).await?;
    txn.commit().await?;
    Ok(view(t))
}

pub async fn delete(db: &DatabaseConnection, user: &StaffUser, id: i64) -> Result<(), AppError> {
    user.require(&[Role::Admin])?;
    let txn = crate::db::begin_write(db).await?;
    let t = reply_template::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound)?;
    reply_template::Entity::delete_by_id(id).exec(&txn).await?;
    audit_change(&txn, user, "reply_template.delete", &t).await?;
    txn.commit().await?;
    Ok(())
}

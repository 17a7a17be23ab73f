use super::password;
use crate::audit;
use crate::db::entities::{app_user, department, staff_session};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder,
    Set,
};
use shared::Role;
use shared::directory::{StaffAccount, StaffAccountChange};

pub struct NewUser {
    pub username: String,
    pub role: Role,
    pub department: Option<String>,
    pub password: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub role: Role,
}

#[derive(Debug, thiserror::Error)]
pub enum UserError {
    /// Bad input, with a message for whoever typed it.
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Db(#[from] DbErr),
    #[error("hashing the password failed: {0}")]
    Hash(String),
    /// Every password-hashing slot is taken (see `password::Gate`).
    #[error(transparent)]
    Busy(password::Busy),
}

impl From<password::HashError> for UserError {
    fn from(e: password::HashError) -> Self {
        match e {
            password::HashError::Busy(busy) => UserError::Busy(busy),
            password::HashError::Failed(m) => UserError::Hash(m),
        }
    }
}

fn check_username(username: &str) -> Result<(), UserError> {
    let ok_len = (3..=32).contains(&username.len());
    let ok_chars = username
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '.' | '-'));
    if ok_len && ok_chars {
        Ok(())
    } else {
        Err(UserError::Invalid(
            "the username must be 3–32 characters of a–z, 0–9, `_`, `.` or `-`".to_owned(),
        ))
    }
}

/// Creates a staff account and audits it, in one transaction.
pub async fn create(
    db: &DatabaseConnection,
    new: NewUser,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<User, UserError> {
    check_username(&new.username)?;
    password::check_policy(&new.password).map_err(UserError::Invalid)?;
    if new.role.needs_department() && new.department.is_none() {
        return Err(UserError::Invalid(format!(
            "a {} must belong to a department: give --department CODE",
            new.role
        )));
    }
    // Trusted: only an admin (or the command line) gets here.
    let hash = password::hash_bounded(new.password, password::Caller::Trusted).await?;

    let txn = crate::db::begin_write(db).await?;
    let department_id = match &new.department {
        None => None,
        Some(code) => Some(
            department::Entity::find()
                .filter(department::Column::Code.eq(code.as_str()))
                .one(&txn)
                .await?
                .ok_or_else(|| UserError::Invalid(format!("no department with code `{code}`")))?
                .id,
        ),
    };
    let taken = app_user::Entity::find()
        .filter(app_user::Column::Username.eq(new.username.as_str()))
        .one(&txn)
        .await?
        .is_some();
    if taken {
        return Err(UserError::Invalid(format!(
            "the username `{}` is taken",
            new.username
        )));
    }
    let row = app_user::ActiveModel {
        username: Set(new.username.clone()),
        password_hash: Set(hash),
        role: Set(new.role.as_str().to_owned()),
        department_id: Set(department_id),
        active: Set(true),
        created_at: Set(now),
        password_changed_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        audit::Entry {
            actor,
            action: "user.create",
            object_type: "user",
            object_id: &row.username,
            detail: Some(format!("role={}", new.role)),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(User {
        id: row.id,
        username: row.username,
        role: new.role,
    })
}

/// Every account, for admins and auditors.
pub async fn list(db: &DatabaseConnection) -> Result<Vec<StaffAccount>, DbErr> {
    let departments: std::collections::BTreeMap<i64, String> = department::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|d| (d.id, d.code))
        .collect();
    Ok(app_user::Entity::find()
        .order_by_asc(app_user::Column::Username)
        .all(db)
        .await?
        .into_iter()
        .filter_map(|u| {
            Some(StaffAccount {
                role: u.role.parse().ok()?,
                department: u.department_id.and_then(|id| departments.get(&id).cloned()),
                active: u.active,
                created_at: u.created_at.to_rfc3339(),
                username: u.username,
            })
        })
        .collect())
}

/// Changes an account. Deactivating it, changing its role or department, or
/// setting a new password ends its sessions.
pub async fn update(
    db: &DatabaseConnection,
    username: &str,
    change: StaffAccountChange,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<Option<StaffAccount>, UserError> {
    let hash = match change.password.clone() {
        None => None,
        Some(pw) => {
            password::check_policy(&pw).map_err(UserError::Invalid)?;
            Some(password::hash_bounded(pw, password::Caller::Trusted).await?)
        }
    };
    let txn = crate::db::begin_write(db).await?;
    let Some(user) = app_user::Entity::find()
        .filter(app_user::Column::Username.eq(username))
        .one(&txn)
        .await?
    else {
        return Ok(None);
    };
    if user.username == actor
        && (change.active == Some(false) || change.role.is_some_and(|r| r != Role::Admin))
    {
        return Err(UserError::Invalid(
            "you cannot deactivate or demote your own account".to_owned(),
        ));
    }
    let role = change
        .role
        .unwrap_or(user.role.parse().unwrap_or(Role::Auditor));
    let department_id = match change.department.as_deref().map(str::trim) {
        None => user.department_id,
        Some("") => None,
        Some(code) => Some(
            department::Entity::find()
                .filter(department::Column::Code.eq(code))
                .one(&txn)
                .await?
                .ok_or_else(|| UserError::Invalid(format!("no department with code `{code}`")))?
                .id,
        ),
    };
    if role.needs_department() && department_id.is_none() {
        return Err(UserError::Invalid(format!(
            "a {role} must belong to a department"
        )));
    }
    let mut what = Vec::new();
    let mut model: app_user::ActiveModel = user.clone().into();
    if role.as_str() != user.role {
        what.push(format!("role={role}"));
        model.role = Set(role.as_str().to_owned());
    }
    if department_id != user.department_id {
        what.push(format!(
            "department={}",
            change.department.clone().unwrap_or_default()
        ));
        model.department_id = Set(department_id);
    }
    if let Some(active) = change.active.filter(|a| *a != user.active) {
        what.push(format!("active={active}"));
        model.active = Set(active);
    }
    if let Some(hash) = hash {
        what.push("password".to_owned());
        model.password_hash = Set(hash);
        model.password_changed_at = Set(now);
    }
    if !what.is_empty() {
        model.update(&txn).await?;
        staff_session::Entity::delete_many()
            .filter(staff_session::Column::UserId.eq(user.id))
            .exec(&txn)
            .await?;
        let entry = audit::Entry {
            actor,
            action: "user.update",
            object_type: "user",
            object_id: username,
            detail: Some(what.join(" ")),
        };
        audit::record(&txn, entry).await?;
    }
    txn.commit().await?;
    Ok(list(db).await?.into_iter().find(|a| a.username == username))
}

#[cfg(test)]
mod tests {
    use super::check_username;

    #[test]
    fn usernames_are_short_lowercase_words() {
        assert!(check_username("wang.li").is_ok());
        assert!(check_username("ab").is_err());
        assert!(check_username("Admin").is_err());
        assert!(check_username("王丽").is_err());
    }
}

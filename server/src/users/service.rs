use super::password;
use crate::audit;
use crate::db::entities::{app_user, department};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, Set,

};
use shared::Role;

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
) -> Result<User, UserError> {
    check_username(&new.username)?;
    password::check_policy(&new.password).map_err(UserError::Invalid)?;
    if new.role.needs_department() && new.department.is_none() {
        return Err(UserError::Invalid(format!(
            "a {} must belong to a department: give --department CODE",
            new.role
        )));
    }
    let pw = new.password;
    let hash = tokio::task::spawn_blocking(move || password::hash(&pw))
        .await
        .map_err(|e| UserError::Hash(e.to_string()))?
        .map_err(|e| UserError::Hash(e.to_string()))?;

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
        return Err(UserError::Invalid(format!("the username `{}` is taken", new.username)));
    }
    let now = chrono::Utc::now();
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
    Ok(User { id: row.id, username: row.username, role: new.role })
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

//! Reading the catalogue: the categories residents choose from, a
//! category's questions as stored, and the version a case or report was
//! filed under.

use crate::db::entities::{case, category, category_group, category_version};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};
use shared::catalogue::CategoryDefinition;
use shared::report::{Category, CategoryGroup, Choice, Datatype, Question};
use std::collections::HashMap;

/// A question as stored in `category.questions` (both languages).
#[derive(Serialize, Deserialize)]
struct StoredQuestion {
    code: String,
    datatype: Datatype,
    #[serde(default)]
    required: bool,
    name_zh: String,
    name_en: String,
    #[serde(default)]
    order: u32,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    values: Vec<StoredChoice>,
}

#[derive(Serialize, Deserialize)]
struct StoredChoice {
    key: String,
    name_zh: String,
    name_en: String,
}

/// Questions as stored, from their JSON. Stored questions an admin broke
/// by hand read as none (and are logged) rather than taking the catalogue
/// down.
fn parse_questions(code: &str, json: &str) -> Vec<Question> {
    match serde_json::from_str::<Vec<StoredQuestion>>(json) {
        Ok(stored) => stored
            .into_iter()
            .map(|q| Question {
                code: q.code,
                datatype: q.datatype,
                required: q.required,
                name: q.name_zh,
                name_en: q.name_en,
                order: q.order,
                values: q
                    .values
                    .into_iter()
                    .map(|c| Choice {
                        key: c.key,
                        name: c.name_zh,
                        name_en: c.name_en,
                    })
                    .collect(),
            })
            .collect(),
        Err(e) => {
            tracing::error!(category = %code, error = %e, "unreadable category questions");
            Vec::new()
        }
    }
}

/// Questions in their stored form (trimmed, in the order given).
pub fn store_questions(questions: &[Question]) -> String {
    let stored: Vec<StoredQuestion> = questions
        .iter()
        .map(|q| StoredQuestion {
            code: q.code.clone(),
            datatype: q.datatype,
            required: q.required,
            name_zh: q.name.trim().to_owned(),
            name_en: q.name_en.trim().to_owned(),
            order: q.order,
            values: q
                .values
                .iter()
                .map(|c| StoredChoice {
                    key: c.key.clone(),
                    name_zh: c.name.trim().to_owned(),
                    name_en: c.name_en.trim().to_owned(),
                })
                .collect(),
        })
        .collect();
    serde_json::to_string(&stored).unwrap_or_else(|_| "[]".to_owned())
}

/// The questions of a category as it is now.
pub fn questions(row: &category::Model) -> Vec<Question> {
    parse_questions(&row.code, &row.questions)
}

/// A category's current definition.
pub fn definition(row: &category::Model) -> CategoryDefinition {
    CategoryDefinition {
        group: row.group_code.clone(),
        name: row.name_zh.clone(),
        name_en: row.name_en.clone(),
        icon: row.icon.clone(),
        rewardable: row.rewardable,
        duplicate_radius_m: u32::try_from(row.duplicate_radius_m).unwrap_or(0),
        sort_order: row.sort_order,
        questions: questions(row),
    }
}

/// A category's definition at one version (the sort order is not
/// versioned: it is the list's, not the category's).
pub fn version_definition(v: &category_version::Model, sort_order: i32) -> CategoryDefinition {
    CategoryDefinition {
        group: v.group_code.clone(),
        name: v.name_zh.clone(),
        name_en: v.name_en.clone(),
        icon: v.icon.clone(),
        rewardable: v.rewardable,
        duplicate_radius_m: u32::try_from(v.duplicate_radius_m).unwrap_or(0),
        sort_order,
        questions: parse_questions(&format!("{}@v{}", v.category_id, v.version), &v.questions),
    }
}

/// The categories residents choose from: the active ones, by group and
/// then by their place in it.
pub async fn list(conn: &impl ConnectionTrait) -> Result<Vec<Category>, DbErr> {
    let (groups, rows) = ordered(conn, true).await?;
    let groups: HashMap<String, category_group::Model> =
        groups.into_iter().map(|g| (g.code.clone(), g)).collect();
    Ok(rows
        .into_iter()
        .map(|row| {
            let group = groups.get(&row.group_code);
            Category {
                group: CategoryGroup {
                    code: row.group_code.clone(),
                    name: group.map(|g| g.name_zh.clone()).unwrap_or_default(),
                    name_en: group.map(|g| g.name_en.clone()).unwrap_or_default(),
                },
                questions: questions(&row),
                code: row.code,
                name: row.name_zh,
                name_en: row.name_en,
                icon: row.icon,
                rewardable: row.rewardable,
            }
        })
        .collect())
}

/// The groups in their order, and the categories (the active ones only,
/// or all) by group and then by their place in it: the one order both the
/// residents' list and the admins' catalogue show.
pub async fn ordered(
    conn: &impl ConnectionTrait,
    active_only: bool,
) -> Result<(Vec<category_group::Model>, Vec<category::Model>), DbErr> {
    let groups = category_group::Entity::find()
        .order_by_asc(category_group::Column::SortOrder)
        .order_by_asc(category_group::Column::Code)
        .all(conn)
        .await?;
    let mut query = category::Entity::find();
    if active_only {
        query = query.filter(category::Column::Active.eq(true));
    }
    let mut rows = query
        .order_by_asc(category::Column::SortOrder)
        .order_by_asc(category::Column::Id)
        .all(conn)
        .await?;
    let place: HashMap<&str, usize> = groups
        .iter()
        .enumerate()
        .map(|(i, g)| (g.code.as_str(), i))
        .collect();
    rows.sort_by_key(|r| {
        place
            .get(r.group_code.as_str())
            .copied()
            .unwrap_or(usize::MAX)
    });
    Ok((groups, rows))
}

/// An active category by its code.
pub async fn find_active(
    conn: &impl ConnectionTrait,
    code: &str,
) -> Result<Option<category::Model>, DbErr> {
    category::Entity::find()
        .filter(category::Column::Code.eq(code))
        .filter(category::Column::Active.eq(true))
        .one(conn)
        .await
}

/// One version of a category.
pub async fn version(
    conn: &impl ConnectionTrait,
    category_id: i64,
    version: i32,
) -> Result<Option<category_version::Model>, DbErr> {
    category_version::Entity::find()
        .filter(category_version::Column::CategoryId.eq(category_id))
        .filter(category_version::Column::Version.eq(version))
        .one(conn)
        .await
}

/// Whether the case's category, as the case is judged by it (the version
/// it was filed under, or the one a correction set), can earn a reward.
pub async fn rewardable(conn: &impl ConnectionTrait, c: &case::Model) -> Result<bool, DbErr> {
    if let Some(v) = version(conn, c.category_id, c.category_version).await? {
        return Ok(v.rewardable);
    }
    Ok(category::Entity::find_by_id(c.category_id)
        .one(conn)
        .await?
        .is_some_and(|k| k.rewardable))
}

/// The questions a report answered: those of the category and version it
/// was filed under, or (for a report from before versions, or a version
/// lost) the case's category as it is now.
pub async fn questions_answered(
    conn: &impl ConnectionTrait,
    category_id: Option<i64>,
    category_version: i32,
    fallback: Option<&category::Model>,
) -> Result<Vec<Question>, DbErr> {
    if let Some(id) = category_id
        && let Some(v) = version(conn, id, category_version).await?
    {
        return Ok(parse_questions(
            &format!("{id}@v{category_version}"),
            &v.questions,
        ));
    }
    Ok(fallback.map(questions).unwrap_or_default())
}

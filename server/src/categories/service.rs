use crate::db::entities::{category, category_group};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};
use serde::Deserialize;
use shared::report::{Category, CategoryGroup, Choice, Datatype, Question};
use std::collections::HashMap;

/// A question as stored in `category.questions` (both languages).
#[derive(Deserialize)]
struct StoredQuestion {
    code: String,
    datatype: Datatype,
    #[serde(default)]
    required: bool,
    name_zh: String,
    name_en: String,
    #[serde(default)]
    order: u32,
    #[serde(default)]
    values: Vec<StoredChoice>,
}

#[derive(Deserialize)]
struct StoredChoice {
    key: String,
    name_zh: String,
    name_en: String,
}

/// The questions of a category row. A row an admin broke shows no questions
/// (and is logged) rather than taking the catalogue down.
pub fn questions(row: &category::Model) -> Vec<Question> {
    match serde_json::from_str::<Vec<StoredQuestion>>(&row.questions) {
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
            tracing::error!(category = %row.code, error = %e, "unreadable category questions");
            Vec::new()
        }
    }
}

pub async fn list(conn: &impl ConnectionTrait) -> Result<Vec<Category>, DbErr> {
    let groups: HashMap<String, category_group::Model> = category_group::Entity::find()
        .all(conn)
        .await?
        .into_iter()
        .map(|g| (g.code.clone(), g))
        .collect();
    let rows = category::Entity::find()
        .filter(category::Column::Active.eq(true))
        .order_by_asc(category::Column::SortOrder)
        .all(conn)
        .await?;
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

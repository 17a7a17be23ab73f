//! Admins' edits of the catalogue: new categories, new versions of one,
//! retiring and reinstating, deleting one nobody used, and groups. Each
//! edit is checked (`shared::catalogue::check_definition`), audited with the
//! change in the same transaction, and a changed definition is kept as a
//! new version, so a report keeps the definition it was filed under.

use super::service::{definition, store_questions, version_definition};
use crate::audit;
use crate::db::entities::{case, category, category_group, category_version, report, routing_rule};
use crate::error::AppError;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use shared::catalogue::{
    CODE_RULE, Catalogue, CatalogueEntry, CatalogueGroup, CategoryDefinition, CategoryUpdate,
    CategoryVersion, GroupDefinition, NewCategory, check_definition, check_group, is_code,
};
use shared::{FieldError, FieldErrorCode as Code};
use std::collections::HashMap;

/// Every group and category, retired ones too, with how many cases each
/// category holds.
pub async fn catalogue(conn: &impl ConnectionTrait) -> Result<Catalogue, AppError> {
    let (groups, rows) = super::service::ordered(conn, false).await?;
    let groups: Vec<CatalogueGroup> = groups
        .into_iter()
        .map(|g| CatalogueGroup {
            code: g.code,
            name: g.name_zh,
            name_en: g.name_en,
            sort_order: g.sort_order,
        })
        .collect();
    let counts: HashMap<i64, i64> = case::Entity::find()
        .select_only()
        .column(case::Column::CategoryId)
        .column_as(case::Column::Id.count(), "n")
        .group_by(case::Column::CategoryId)
        .into_tuple::<(i64, i64)>()
        .all(conn)
        .await?
        .into_iter()
        .collect();
    let categories = rows
        .iter()
        .map(|r| entry(r, counts.get(&r.id).copied().unwrap_or(0)))
        .collect();
    Ok(Catalogue { groups, categories })
}

fn entry(row: &category::Model, cases: i64) -> CatalogueEntry {
    CatalogueEntry {
        code: row.code.clone(),
        version: u32::try_from(row.version).unwrap_or(0),
        active: row.active,
        definition: definition(row),
        cases: u64::try_from(cases).unwrap_or(0),
    }
}

/// The versions of a category, newest first.
pub async fn versions(
    conn: &impl ConnectionTrait,
    code: &str,
) -> Result<Vec<CategoryVersion>, AppError> {
    let row = find(conn, code).await?;
    Ok(category_version::Entity::find()
        .filter(category_version::Column::CategoryId.eq(row.id))
        .order_by_desc(category_version::Column::Version)
        .all(conn)
        .await?
        .iter()
        .map(|v| CategoryVersion {
            version: u32::try_from(v.version).unwrap_or(0),
            definition: version_definition(v, row.sort_order),
            created_at: v.created_at.to_rfc3339(),
            created_by: v.created_by.clone(),
        })
        .collect())
}

async fn find(conn: &impl ConnectionTrait, code: &str) -> Result<category::Model, AppError> {
    category::Entity::find()
        .filter(category::Column::Code.eq(code))
        .one(conn)
        .await?
        .ok_or(AppError::NotFound)
}

/// The definition's problems, the group's existence included.
async fn check(conn: &impl ConnectionTrait, d: &CategoryDefinition) -> Result<(), AppError> {
    let mut problems = check_definition(d);
    if !problems.contains_key("group")
        && category_group::Entity::find_by_id(d.group.clone())
            .one(conn)
            .await?
            .is_none()
    {
        problems.insert(
            "group".to_owned(),
            FieldError::new(
                Code::NotFound,
                "no such group; add it with PUT /api/v1/categories/groups/{code}",
            ),
        );
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(AppError::Validation(problems))
    }
}

/// Keeps `d` as version `version` of the category.
async fn keep_version(
    conn: &impl ConnectionTrait,
    category_id: i64,
    version: i32,
    d: &CategoryDefinition,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    category_version::ActiveModel {
        category_id: Set(category_id),
        version: Set(version),
        group_code: Set(d.group.clone()),
        name_zh: Set(d.name.trim().to_owned()),
        name_en: Set(d.name_en.trim().to_owned()),
        icon: Set(d.icon.clone()),
        rewardable: Set(d.rewardable),
        duplicate_radius_m: Set(i32::try_from(d.duplicate_radius_m).unwrap_or(i32::MAX)),
        questions: Set(store_questions(&d.questions)),
        created_at: Set(now),
        created_by: Set(actor.to_owned()),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(())
}

fn set_definition(m: &mut category::ActiveModel, d: &CategoryDefinition) {
    m.group_code = Set(d.group.clone());
    m.name_zh = Set(d.name.trim().to_owned());
    m.name_en = Set(d.name_en.trim().to_owned());
    m.icon = Set(d.icon.clone());
    m.rewardable = Set(d.rewardable);
    m.duplicate_radius_m = Set(i32::try_from(d.duplicate_radius_m).unwrap_or(i32::MAX));
    m.sort_order = Set(d.sort_order);
    m.questions = Set(store_questions(&d.questions));
}

/// What changed between two definitions, by field name, for the audit log.
fn changes(old: &CategoryDefinition, new: &CategoryDefinition) -> Vec<&'static str> {
    let mut out = Vec::new();
    let questions = |d: &CategoryDefinition| store_questions(&d.questions);
    for (field, changed) in [
        ("group", old.group != new.group),
        ("name", old.name != new.name.trim()),
        ("name_en", old.name_en != new.name_en.trim()),
        ("icon", old.icon != new.icon),
        ("rewardable", old.rewardable != new.rewardable),
        (
            "duplicate_radius_m",
            old.duplicate_radius_m != new.duplicate_radius_m,
        ),
        ("questions", questions(old) != questions(new)),
    ] {
        if changed {
            out.push(field);
        }
    }
    out
}

pub async fn create(
    db: &DatabaseConnection,
    actor: &str,
    new: NewCategory,
    now: DateTime<Utc>,
) -> Result<CatalogueEntry, AppError> {
    if !is_code(&new.code) {
        return Err(AppError::validation("code", CODE_RULE));
    }
    let txn = crate::db::begin_write(db).await?;
    check(&txn, &new.definition).await?;
    if category::Entity::find()
        .filter(category::Column::Code.eq(new.code.as_str()))
        .one(&txn)
        .await?
        .is_some()
    {
        return Err(AppError::Conflict(format!(
            "a category {} exists already (a retired one can be offered again)",
            new.code
        )));
    }
    let mut model = category::ActiveModel {
        code: Set(new.code.clone()),
        active: Set(true),
        version: Set(1),
        ..Default::default()
    };
    set_definition(&mut model, &new.definition);
    let row = model.insert(&txn).await?;
    keep_version(&txn, row.id, 1, &new.definition, actor, now).await?;
    audit::record(
        &txn,
        audit::Entry {
            actor,
            action: "category.create",
            object_type: "category",
            object_id: &row.code,
            detail: Some(format!("v1 in {}", row.group_code)),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(entry(&row, 0))
}

pub async fn update(
    db: &DatabaseConnection,
    actor: &str,
    code: &str,
    update: CategoryUpdate,
    now: DateTime<Utc>,
) -> Result<CatalogueEntry, AppError> {
    let txn = crate::db::begin_write(db).await?;
    let row = find(&txn, code).await?;
    if i64::from(update.version) != i64::from(row.version) {
        return Err(AppError::Conflict(format!(
            "the category has changed since you read it (version {} now, {} read): reload it",
            row.version, update.version
        )));
    }
    check(&txn, &update.definition).await?;
    let old = definition(&row);
    let mut detail: Vec<String> = changes(&old, &update.definition)
        .into_iter()
        .map(str::to_owned)
        .collect();
    if old.sort_order != update.definition.sort_order {
        detail.push(format!(
            "sort_order {} → {}",
            old.sort_order, update.definition.sort_order
        ));
    }
    if row.active != update.active {
        detail.push(
            if update.active {
                "reinstated"
            } else {
                "retired"
            }
            .to_owned(),
        );
    }
    let cases = case::Entity::find()
        .filter(case::Column::CategoryId.eq(row.id))
        .count(&txn)
        .await?;
    if detail.is_empty() {
        return Ok(entry(&row, i64::try_from(cases).unwrap_or(i64::MAX)));
    }
    // Every change is a version, retiring and reordering too: an edit from
    // an older read can never undo one (a name edited from before a
    // retirement would otherwise offer the category again).
    let version = row.version + 1;
    keep_version(&txn, row.id, version, &update.definition, actor, now).await?;
    let detail = format!("v{} → v{version}: {}", row.version, detail.join(", "));
    let mut model = category::ActiveModel {
        version: Set(version),
        active: Set(update.active),
        ..Default::default()
    };
    set_definition(&mut model, &update.definition);
    // Optimistic: the row must still be at the version read.
    let updated = category::Entity::update_many()
        .set(model)
        .filter(category::Column::Id.eq(row.id))
        .filter(category::Column::Version.eq(row.version))
        .exec(&txn)
        .await?;
    if updated.rows_affected != 1 {
        return Err(AppError::Conflict(
            "the category has changed since you read it: reload it".to_owned(),
        ));
    }
    let new_row = find(&txn, code).await?;
    let action = match (row.active, update.active) {
        (true, false) => "category.retire",
        (false, true) => "category.reinstate",
        _ => "category.update",
    };
    audit::record(
        &txn,
        audit::Entry {
            actor,
            action,
            object_type: "category",
            object_id: code,
            detail: Some(detail),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(entry(&new_row, i64::try_from(cases).unwrap_or(i64::MAX)))
}

/// Deletes a category nobody filed under and no routing rule names; any
/// other is retired instead (409 `conflict`, saying so).
pub async fn delete(db: &DatabaseConnection, actor: &str, code: &str) -> Result<(), AppError> {
    let txn = crate::db::begin_write(db).await?;
    let row = find(&txn, code).await?;
    let cases = case::Entity::find()
        .filter(case::Column::CategoryId.eq(row.id))
        .count(&txn)
        .await?;
    let reports = report::Entity::find()
        .filter(report::Column::CategoryId.eq(row.id))
        .count(&txn)
        .await?;
    if cases + reports > 0 {
        return Err(AppError::Conflict(format!(
            "{code} is in use by {cases} cases: retire it instead (PUT with \"active\": false)"
        )));
    }
    let rules = routing_rule::Entity::find()
        .filter(routing_rule::Column::CategoryCode.eq(code))
        .count(&txn)
        .await?;
    if rules > 0 {
        return Err(AppError::Conflict(format!(
            "{rules} routing rules name {code}: change or delete them first, or retire it"
        )));
    }
    category_version::Entity::delete_many()
        .filter(category_version::Column::CategoryId.eq(row.id))
        .exec(&txn)
        .await?;
    category::Entity::delete_by_id(row.id).exec(&txn).await?;
    audit::record(
        &txn,
        audit::Entry {
            actor,
            action: "category.delete",
            object_type: "category",
            object_id: code,
            detail: Some(format!("at v{}", row.version)),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Adds a group, or renames or reorders one. Answers whether it was new.
pub async fn put_group(
    db: &DatabaseConnection,
    actor: &str,
    code: &str,
    g: GroupDefinition,
) -> Result<(bool, CatalogueGroup), AppError> {
    if !is_code(code) {
        return Err(AppError::validation("code", CODE_RULE));
    }
    let problems = check_group(&g);
    if !problems.is_empty() {
        return Err(AppError::Validation(problems));
    }
    let txn = crate::db::begin_write(db).await?;
    let existing = category_group::Entity::find_by_id(code.to_owned())
        .one(&txn)
        .await?;
    let created = existing.is_none();
    let model = category_group::ActiveModel {
        code: Set(code.to_owned()),
        name_zh: Set(g.name.trim().to_owned()),
        name_en: Set(g.name_en.trim().to_owned()),
        sort_order: Set(g.sort_order),
    };
    let row = if created {
        model.insert(&txn).await?
    } else {
        model.update(&txn).await?
    };
    audit::record(
        &txn,
        audit::Entry {
            actor,
            action: if created {
                "category_group.create"
            } else {
                "category_group.update"
            },
            object_type: "category_group",
            object_id: code,
            detail: None,
        },
    )
    .await?;
    txn.commit().await?;
    Ok((
        created,
        CatalogueGroup {
            code: row.code,
            name: row.name_zh,
            name_en: row.name_en,
            sort_order: row.sort_order,
        },
    ))
}

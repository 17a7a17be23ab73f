//! The directory: departments and areas. The demo loader fills it; admins
//! change a department's names and webhook (audited).

use crate::db::entities::{area, department};
use crate::egress::{AllowList, Refusal};
use crate::error::AppError;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, QueryOrder, Set,
};
use serde_json::{Value, json};
use shared::directory::{Department, DepartmentChange, DepartmentSettings};

pub async fn department_settings(
    conn: &impl ConnectionTrait,
) -> Result<Vec<DepartmentSettings>, DbErr> {
    Ok(department::Entity::find()
        .order_by_asc(department::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(|d| DepartmentSettings {
            code: d.code,
            name: d.name_zh,
            name_en: d.name_en,
            kind: d.kind,
            webhook_url: d.webhook_url,
        })
        .collect())
}

/// A webhook address: http(s) with a host, no credentials in it, and not a
/// literal address on the server's own network. This is the early, clear
/// answer; the check that counts is made again at every send.
fn check_webhook(url: &str, allow: &AllowList) -> Result<(), AppError> {
    if url.len() > 500 || url.chars().any(char::is_whitespace) {
        return Err(AppError::validation(
            "webhook_url",
            Refusal::Malformed.to_string(),
        ));
    }
    allow
        .check_url(url)
        .map(|_| ())
        .map_err(|e| AppError::validation("webhook_url", e.to_string()))
}

pub async fn change_department(
    db: &DatabaseConnection,
    allow: &AllowList,
    actor: &str,
    code: &str,
    change: DepartmentChange,
) -> Result<DepartmentSettings, AppError> {
    let txn = crate::db::begin_write(db).await?;
    let d = department::Entity::find()
        .filter(department::Column::Code.eq(code))
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut model: department::ActiveModel = d.clone().into();
    let mut what = Vec::new();
    for (field, value, slot) in [
        ("name", &change.name, &mut model.name_zh),
        ("name_en", &change.name_en, &mut model.name_en),
    ] {
        if let Some(v) = value {
            let v = v.trim();
            if v.is_empty() || v.chars().count() > 100 {
                return Err(AppError::validation(field, "1 to 100 characters"));
            }
            *slot = Set(v.to_owned());
            what.push(format!("{field}={v}"));
        }
    }
    if let Some(url) = &change.webhook_url {
        let url = url.trim();
        if url.is_empty() {
            model.webhook_url = Set(None);
            what.push("webhook removed".to_owned());
        } else {
            check_webhook(url, allow)?;
            model.webhook_url = Set(Some(url.to_owned()));
            // The address itself may carry a token: not in the audit log.
            what.push("webhook set".to_owned());
        }
    }
    let d = model.update(&txn).await?;
    let entry = crate::audit::Entry {
        actor,
        action: "department.update",
        object_type: "department",
        object_id: code,
        detail: Some(what.join(" ")),
    };
    crate::audit::record(&txn, entry).await?;
    txn.commit().await?;
    Ok(DepartmentSettings {
        code: d.code,
        name: d.name_zh,
        name_en: d.name_en,
        kind: d.kind,
        webhook_url: d.webhook_url,
    })
}

pub async fn departments(conn: &impl ConnectionTrait) -> Result<Vec<Department>, DbErr> {
    let rows = department::Entity::find()
        .order_by_asc(department::Column::Id)
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|d| Department {
            code: d.code,
            name: d.name_zh,
            name_en: d.name_en,
            kind: d.kind,
        })
        .collect())
}

pub async fn areas_geojson(conn: &impl ConnectionTrait) -> Result<Value, DbErr> {
    let rows = area::Entity::find()
        .order_by_asc(area::Column::Id)
        .all(conn)
        .await?;
    let approximate = rows.iter().any(|a| a.approximate);
    let features: Vec<Value> = rows
        .into_iter()
        .map(|a| {
            // Stored by us from a parsed geometry; a bad row shows as null
            // rather than failing the whole list.
            let geometry = serde_json::from_str::<Value>(&a.geometry).unwrap_or(Value::Null);
            json!({
                "type": "Feature",
                "properties": {
                    "code": a.code,
                    "name": a.name_zh,
                    "name_en": a.name_en,
                    "kind": a.kind,
                    "approximate": a.approximate,
                },
                "geometry": geometry,
            })
        })
        .collect();
    let mut collection = json!({ "type": "FeatureCollection", "features": features });
    if approximate {
        collection["description"] =
            json!("Some polygons are approximations for demonstration, not official boundaries.");
    }
    Ok(collection)
}

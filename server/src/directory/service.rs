//! Reading the directory. Writing it is the demo loader's job for now and the
//! admin view's later.

use crate::db::entities::{area, department};
use sea_orm::{ConnectionTrait, DbErr, EntityTrait, QueryOrder};
use serde_json::{Value, json};
use shared::directory::Department;

pub async fn departments(conn: &impl ConnectionTrait) -> Result<Vec<Department>, DbErr> {
    let rows = department::Entity::find()
        .order_by_asc(department::Column::Id)
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|d| Department { code: d.code, name: d.name_zh, name_en: d.name_en, kind: d.kind })
        .collect())
}

pub async fn areas_geojson(conn: &impl ConnectionTrait) -> Result<Value, DbErr> {
    let rows = area::Entity::find().order_by_asc(area::Column::Id).all(conn).await?;
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

//! `shanshui demo`: Banan District's departments and its 8 街道 and 14 镇
//! (approximate polygons, labelled so). Safe to run again: it adds what is
//! missing and leaves the rest alone.

use crate::db::entities::{area, department};
use crate::directory::geo;
use anyhow::Context;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set,

};

pub const BANAN_AREAS: &str = include_str!("../data/banan-areas.geojson");

/// The district bureaus the plan names: (code, zh-CN, English).
pub const BUREAUS: [(&str, &str, &str); 7] = [
    ("environment", "巴南区生态环境局", "Banan Ecology and Environment Bureau"),
    ("urban_management", "巴南区城市管理局", "Banan Urban Management Bureau"),
    ("housing_construction", "巴南区住房和城乡建设委员会", "Banan Housing and Urban-Rural Development Commission"),
    ("public_security", "重庆市公安局巴南区分局", "Banan Public Security Bureau"),
    ("transport_maritime", "巴南区交通运输委员会（海事）", "Banan Transport Commission (Maritime)"),
    ("water", "巴南区水利局", "Banan Water Resources Bureau"),
    ("agriculture", "巴南区农业农村委员会", "Banan Agriculture and Rural Affairs Commission"),
];

pub async fn load(db: &DatabaseConnection) -> anyhow::Result<String> {
    let areas = geo::parse_areas(BANAN_AREAS).context("the bundled area polygons")?;
    let txn = crate::db::begin_write(db).await?;
    let now = chrono::Utc::now();
    let (mut new_areas, mut new_departments) = (0, 0);

    for (code, zh, en) in BUREAUS {
        if find_department(&txn, code).await?.is_none() {
            department::ActiveModel {
                code: Set(code.to_owned()),
                name_zh: Set(zh.to_owned()),
                name_en: Set(en.to_owned()),
                kind: Set("bureau".to_owned()),
                created_at: Set(now),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
            new_departments += 1;
        }
    }

    for a in areas {
        let existing = area::Entity::find()
            .filter(area::Column::Code.eq(a.code.as_str()))
            .one(&txn)
            .await?;
        let area_id = match existing {
            Some(row) => row.id,
            None => {
                new_areas += 1;
                let [min_lon, min_lat, max_lon, max_lat] = a.bbox;
                area::ActiveModel {
                    code: Set(a.code.clone()),
                    name_zh: Set(a.name_zh.clone()),
                    name_en: Set(a.name_en.clone()),
                    kind: Set(a.kind.clone()),
                    approximate: Set(a.approximate),
                    geometry: Set(a.geometry.clone()),
                    min_lon: Set(min_lon),
                    min_lat: Set(min_lat),
                    max_lon: Set(max_lon),
                    max_lat: Set(max_lat),
                    created_at: Set(now),
                    ..Default::default()
                }
                .insert(&txn)
                .await?
                .id
            }
        };
        // Each 街道 has its office (街道办事处), each 镇 its government (镇人民政府).
        let code = format!("office_{}", a.code);
        if find_department(&txn, &code).await?.is_none() {
            let (zh, en) = if a.kind == "jiedao" {
                (format!("{}办事处", a.name_zh), format!("{} Office", a.name_en))
            } else {
                (format!("{}人民政府", a.name_zh), format!("{} Government", a.name_en))
            };
            department::ActiveModel {
                code: Set(code),
                name_zh: Set(zh),
                name_en: Set(en),
                kind: Set("area_office".to_owned()),
                area_id: Set(Some(area_id)),
                created_at: Set(now),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
            new_departments += 1;
        }
    }
    crate::audit::record(
        &txn,
        crate::audit::Entry {
            actor: "cli",
            action: "demo.load",
            object_type: "directory",
            object_id: "banan",
            detail: Some(format!("areas+{new_areas} departments+{new_departments}")),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(format!(
        "demo data loaded: {new_areas} new areas, {new_departments} new departments \
         (area polygons are approximations, not official boundaries)"
    ))
}

async fn find_department(
    conn: &impl sea_orm::ConnectionTrait,
    code: &str,
) -> Result<Option<department::Model>, sea_orm::DbErr> {
    department::Entity::find().filter(department::Column::Code.eq(code)).one(conn).await
}

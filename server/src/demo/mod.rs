//! `shanshui demo`: Banan District's departments and its 8 街道 and 14 镇
//! (approximate polygons, labelled so). Safe to run again: it adds what is
//! missing and leaves the rest alone.

pub mod cases;
pub mod flag;
pub mod synth;

use crate::db::entities::{area, department};
use crate::directory::geo;
use anyhow::Context;
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};

pub const BANAN_AREAS: &str = include_str!("../../data/banan-areas.geojson");

/// The district bureaus the plan names: (code, zh-CN, English).
pub const BUREAUS: [(&str, &str, &str); 10] = [
    (
        "environment",
        "巴南区生态环境局",
        "Banan Ecology and Environment Bureau",
    ),
    (
        "urban_management",
        "巴南区城市管理局",
        "Banan Urban Management Bureau",
    ),
    (
        "housing_construction",
        "巴南区住房和城乡建设委员会",
        "Banan Housing and Urban-Rural Development Commission",
    ),
    (
        "public_security",
        "重庆市公安局巴南区分局",
        "Banan Public Security Bureau",
    ),
    (
        "transport_maritime",
        "巴南区交通运输委员会（海事）",
        "Banan Transport Commission (Maritime)",
    ),
    ("water", "巴南区水利局", "Banan Water Resources Bureau"),
    (
        "agriculture",
        "巴南区农业农村委员会",
        "Banan Agriculture and Rural Affairs Commission",
    ),
    ("health", "巴南区卫生健康委员会", "Banan Health Commission"),
    (
        "planning_natural_resources",
        "巴南区规划和自然资源局",
        "Banan Planning and Natural Resources Bureau",
    ),
    ("forestry", "巴南区林业局", "Banan Forestry Bureau"),
];

pub async fn load(db: &DatabaseConnection, now: DateTime<Utc>) -> anyhow::Result<String> {
    let areas = geo::parse_areas(BANAN_AREAS).context("the bundled area polygons")?;
    let txn = crate::db::begin_write(db).await?;
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
                (
                    format!("{}办事处", a.name_zh),
                    format!("{} Office", a.name_en),
                )
            } else {
                (
                    format!("{}人民政府", a.name_zh),
                    format!("{} Government", a.name_en),
                )
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
    let new_rules = load_routing(&txn, now).await?;
    crate::audit::record(
        &txn,
        crate::audit::Entry {
            actor: "cli",
            action: "demo.load",
            object_type: "directory",
            object_id: "banan",
            detail: Some(format!(
                "areas+{new_areas} departments+{new_departments} rules+{new_rules}"
            )),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(format!(
        "demo data loaded: {new_areas} new areas, {new_departments} new departments, {new_rules} routing rules \
         (area polygons are approximations, not official boundaries)"
    ))
}

async fn find_department(
    conn: &impl sea_orm::ConnectionTrait,
    code: &str,
) -> Result<Option<department::Model>, sea_orm::DbErr> {
    department::Entity::find()
        .filter(department::Column::Code.eq(code))
        .one(conn)
        .await
}

/// The plan's routing, as rules: (category, window, department,
/// co-department, priority). A 镇's own government handles straw burning
/// there (one rule per town, more specific than the bureau's).
type DemoRule = (
    &'static str,
    Option<(i32, i32)>,
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
);

const RULES: &[DemoRule] = &[
    (
        "noise_construction_night",
        None,
        "housing_construction",
        None,
        Some("high"),
    ),
    (
        "noise_construction",
        Some((22 * 60, 6 * 60)),
        "housing_construction",
        None,
        Some("high"),
    ),
    (
        "noise_construction",
        None,
        "housing_construction",
        None,
        None,
    ),
    ("noise_traffic", None, "public_security", None, None),
    ("noise_social", None, "public_security", None, None),
    ("noise_ship", None, "transport_maritime", None, None),
    ("noise_industrial", None, "environment", None, None),
    ("burning_straw", None, "agriculture", None, None),
    ("burning_rubbish", None, "urban_management", None, None),
    ("burning_bbq", None, "urban_management", None, None),
    ("burning_fireworks", None, "public_security", None, None),
    ("dust_road", None, "urban_management", None, None),
    ("dust_stockpile", None, "urban_management", None, None),
    (
        "dust_construction",
        None,
        "housing_construction",
        None,
        None,
    ),
    ("cooking_fumes", None, "urban_management", None, None),
    (
        "water_black_odorous",
        None,
        "environment",
        Some("water"),
        None,
    ),
    ("water_outfall", None, "environment", Some("water"), None),
    (
        "water_sewage_storm",
        None,
        "water",
        Some("environment"),
        None,
    ),
    ("odour", None, "environment", None, None),
    // The kinds the plan names that the first catalogue lacked.
    ("noise_equipment", None, "environment", None, None),
    (
        "water_source_protection",
        None,
        "environment",
        Some("water"),
        Some("high"),
    ),
    (
        "water_farming_effluent",
        None,
        "agriculture",
        Some("environment"),
        None,
    ),
    ("water_hidden_pipe", None, "environment", None, Some("high")),
    ("air_vocs_boiler", None, "environment", None, None),
    (
        "air_smoky_vehicle",
        None,
        "environment",
        Some("public_security"),
        None,
    ),
    (
        "waste_hazardous",
        None,
        "environment",
        Some("health"),
        Some("high"),
    ),
    (
        "waste_dumping",
        None,
        "urban_management",
        Some("environment"),
        None,
    ),
    (
        "ecology_reserve",
        None,
        "forestry",
        Some("planning_natural_resources"),
        None,
    ),
    (
        "ecology_fishing_ban",
        None,
        "agriculture",
        Some("public_security"),
        Some("high"),
    ),
    (
        "soil_pollution",
        None,
        "environment",
        Some("planning_natural_resources"),
        None,
    ),
    ("radiation", None, "environment", None, None),
    (
        "violation_monitoring_data",
        None,
        "environment",
        Some("public_security"),
        Some("high"),
    ),
    (
        "violation_no_eia",
        None,
        "environment",
        Some("housing_construction"),
        None,
    ),
];

/// Adds the plan's routing rules and the next 高考/中考 quiet periods. A
/// category that any rule names already is left as it is, so an edited rule
/// set is never overwritten, and categories added since the first load get
/// their rules on the next.
async fn load_routing(
    txn: &impl sea_orm::ConnectionTrait,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<usize> {
    use crate::db::entities::{quiet_period, routing_rule};
    use std::collections::BTreeSet;
    let covered: BTreeSet<String> = routing_rule::Entity::find()
        .all(txn)
        .await?
        .into_iter()
        .filter_map(|r| r.category_code)
        .collect();
    let first_load = covered.is_empty();
    let mut added = 0;
    let mut rule = |category: Option<&str>,
                    department_id: i64,
                    co: Option<i64>,
                    priority: Option<&str>,
                    window: Option<(i32, i32)>,
                    area_id: Option<i64>,
                    note: &str| {
        added += 1;
        routing_rule::ActiveModel {
            category_code: Set(category.map(str::to_owned)),
            group_code: Set(None),
            area_id: Set(area_id),
            start_minute: Set(window.map(|w| w.0)),
            end_minute: Set(window.map(|w| w.1)),
            department_id: Set(department_id),
            co_department_id: Set(co),
            priority: Set(priority.map(str::to_owned)),
            note: Set(Some(note.to_owned())),
            active: Set(true),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
    };
    let mut rows = Vec::new();
    for (category, window, dept, co, priority) in RULES {
        if covered.contains(*category) {
            continue;
        }
        let Some(d) = find_department(txn, dept).await? else {
            continue;
        };
        let co = match co {
            Some(code) => find_department(txn, code).await?.map(|d| d.id),
            None => None,
        };
        rows.push(rule(
            Some(category),
            d.id,
            co,
            *priority,
            *window,
            None,
            "巴南区污染防治攻坚战实施方案 (demo)",
        ));
    }
    let towns = if covered.contains("burning_straw") {
        Vec::new()
    } else {
        area::Entity::find()
            .filter(area::Column::Kind.eq("zhen"))
            .all(txn)
            .await?
    };
    for town in towns {
        if let Some(office) = find_department(txn, &format!("office_{}", town.code)).await? {
            rows.push(rule(
                Some("burning_straw"),
                office.id,
                None,
                None,
                None,
                Some(town.id),
                "秸秆焚烧: the town government (demo)",
            ));
        }
    }
    for row in rows {
        row.insert(txn).await?;
    }
    if !first_load {
        return Ok(added);
    }
    // Chongqing's exam days (demo dates; admins enter each year's).
    for (name, start, end) in [
        (
            "2027年高考",
            "2027-06-07T00:00:00+08:00",
            "2027-06-11T00:00:00+08:00",
        ),
        (
            "2027年中考",
            "2027-06-12T00:00:00+08:00",
            "2027-06-15T00:00:00+08:00",
        ),
    ] {
        let (Ok(starts), Ok(ends)) = (
            chrono::DateTime::parse_from_rfc3339(start),
            chrono::DateTime::parse_from_rfc3339(end),
        ) else {
            continue;
        };
        quiet_period::ActiveModel {
            name: Set(name.to_owned()),
            group_code: Set("noise".to_owned()),
            starts_at: Set(starts.to_utc()),
            ends_at: Set(ends.to_utc()),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(txn)
        .await?;
    }
    Ok(added)
}

/// Demo staff, one per role of the case workflow, created only when there
/// are no accounts yet. The password is `SHANSHUI_DEMO_PASSWORD`, or a random
/// one printed once: a demo must never ship a known password.
pub const DEMO_STAFF: [(&str, shared::Role, Option<&str>); 5] = [
    ("admin", shared::Role::Admin, None),
    ("dispatcher", shared::Role::Dispatcher, None),
    (
        "handler",
        shared::Role::Handler,
        Some("housing_construction"),
    ),
    ("reviewer", shared::Role::Reviewer, None),
    ("auditor", shared::Role::Auditor, None),
];

pub async fn load_staff(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
) -> anyhow::Result<Option<String>> {
    use crate::db::entities::app_user;
    use sea_orm::PaginatorTrait;
    if app_user::Entity::find().count(db).await? > 0 {
        return Ok(None);
    }
    let password = match std::env::var("SHANSHUI_DEMO_PASSWORD")
        .ok()
        .filter(|p| !p.trim().is_empty())
    {
        Some(p) => p,
        None => {
            use rand::RngCore;
            let mut bytes = [0u8; 12];
            rand::rngs::OsRng.fill_bytes(&mut bytes);
            format!("demo-{}", hex::encode(bytes))
        }
    };
    for (username, role, department) in DEMO_STAFF {
        let new = crate::users::NewUser {
            username: username.to_owned(),
            role,
            department: department.map(str::to_owned),
            password: password.clone(),
        };
        crate::users::create(db, new, "cli", now)
            .await
            .map_err(|e| anyhow::anyhow!("demo account {username}: {e}"))?;
    }
    let names: Vec<&str> = DEMO_STAFF.iter().map(|s| s.0).collect();
    Ok(Some(format!(
        "demo staff accounts {} with the password: {password}",
        names.join(", ")
    )))
}

//! The small tables of the directory (categories, areas, departments) that a
//! page of cases names things from, loaded once per page, not once per row.

use crate::db::entities::{area, category, department};
use sea_orm::{ConnectionTrait, DbErr, EntityTrait, QuerySelect};
use shared::case::NamedRef;
use std::collections::BTreeMap;

/// The small tables a page of cases names things from, loaded once per page.
pub(crate) struct Lookups {
    categories: BTreeMap<i64, category::Model>,
    /// (code, Chinese name, English name): not the polygons, which no page
    /// of cases needs and which are most of the table's bytes.
    areas: BTreeMap<i64, (String, String, String)>,
    departments: BTreeMap<i64, department::Model>,
}

impl Lookups {
    pub(crate) async fn load(conn: &impl ConnectionTrait) -> Result<Self, DbErr> {
        Ok(Self {
            categories: category::Entity::find()
                .all(conn)
                .await?
                .into_iter()
                .map(|c| (c.id, c))
                .collect(),
            areas: area::Entity::find()
                .select_only()
                .columns([
                    area::Column::Id,
                    area::Column::Code,
                    area::Column::NameZh,
                    area::Column::NameEn,
                ])
                .into_tuple::<(i64, String, String, String)>()
                .all(conn)
                .await?
                .into_iter()
                .map(|(id, code, zh, en)| (id, (code, zh, en)))
                .collect(),
            departments: department::Entity::find()
                .all(conn)
                .await?
                .into_iter()
                .map(|d| (d.id, d))
                .collect(),
        })
    }

    pub(crate) fn category(&self, id: i64) -> NamedRef {
        self.categories
            .get(&id)
            .map(|c| NamedRef {
                code: c.code.clone(),
                name: c.name_zh.clone(),
                name_en: c.name_en.clone(),
            })
            .unwrap_or(NamedRef {
                code: String::new(),
                name: String::new(),
                name_en: String::new(),
            })
    }

    pub(crate) fn area(&self, id: Option<i64>) -> Option<NamedRef> {
        let (code, name, name_en) = self.areas.get(&id?)?.clone();
        Some(NamedRef {
            code,
            name,
            name_en,
        })
    }

    pub(crate) fn department(&self, id: Option<i64>) -> Option<NamedRef> {
        let d = self.departments.get(&id?)?;
        Some(NamedRef {
            code: d.code.clone(),
            name: d.name_zh.clone(),
            name_en: d.name_en.clone(),
        })
    }

    pub(crate) fn category_id(&self, code: &str) -> Option<i64> {
        self.categories
            .values()
            .find(|c| c.code == code)
            .map(|c| c.id)
    }

    pub(crate) fn area_id(&self, code: &str) -> Option<i64> {
        self.areas
            .iter()
            .find(|(_, a)| a.0 == code)
            .map(|(id, _)| *id)
    }

    pub(crate) fn department_code(&self, id: Option<i64>) -> Option<String> {
        self.departments.get(&id?).map(|d| d.code.clone())
    }

    pub(crate) fn department_id(&self, code: &str) -> Option<i64> {
        self.departments
            .values()
            .find(|d| d.code == code)
            .map(|d| d.id)
    }

    /// The department's Chinese name.
    pub(crate) fn department_name(&self, id: Option<i64>) -> Option<String> {
        self.departments.get(&id?).map(|d| d.name_zh.clone())
    }

    /// The department's English name.
    pub(crate) fn department_name_en(&self, id: Option<i64>) -> Option<String> {
        self.departments.get(&id?).map(|d| d.name_en.clone())
    }
}

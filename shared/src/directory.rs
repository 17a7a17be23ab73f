//! Departments (部门) and areas (街道/镇) as the public API shows them.

use serde::{Deserialize, Serialize};

/// `GET /api/v1/departments`: public, `code` and `name` (zh-CN), plus the
/// English name for the second UI language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Department {
    pub code: String,
    pub name: String,
    pub name_en: String,
    /// `bureau` (区级部门) or `area_office` (街道办事处/镇政府).
    pub kind: String,
}

/// An administrative area of the district (街道 subdistrict or 镇 town).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Area {
    pub code: String,
    pub name: String,
    pub name_en: String,
    /// `jiedao` (街道) or `zhen` (镇).
    pub kind: String,
    /// True while the polygon is a demo approximation, not an official boundary.
    pub approximate: bool,
}

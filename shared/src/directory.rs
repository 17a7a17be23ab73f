//! Departments (部门) and areas (街道/镇) as the public API shows them.

use serde::{Deserialize, Serialize};

/// `GET /api/v1/departments`: public, `code` and `name` (zh-CN), plus the
/// English name for the second UI language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Department {
    pub code: String,
    pub name: String,
    pub name_en: String,
    /// `bureau` (区级部门) or `area_office` (街道办事处/镇政府).
    pub kind: String,
}

/// An administrative area of the district (街道 subdistrict or 镇 town).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Area {
    pub code: String,
    pub name: String,
    pub name_en: String,
    /// `jiedao` (街道) or `zhen` (镇).
    pub kind: String,
    /// True while the polygon is a demo approximation, not an official boundary.
    pub approximate: bool,
}

/// A staff account as admins see it (`GET /api/v1/users`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StaffAccount {
    pub username: String,
    pub role: crate::Role,
    pub department: Option<String>,
    pub active: bool,
    pub created_at: String,
}

/// `POST /api/v1/users`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewStaffAccount {
    pub username: String,
    pub password: String,
    pub role: crate::Role,
    #[serde(default)]
    pub department: Option<String>,
}

/// `PATCH /api/v1/users/{username}`: only the fields given change.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StaffAccountChange {
    #[serde(default)]
    pub role: Option<crate::Role>,
    /// A department code; `""` removes it.
    #[serde(default)]
    pub department: Option<String>,
    #[serde(default)]
    pub active: Option<bool>,
    #[serde(default)]
    pub password: Option<String>,
}

/// A department with what only admins see (`GET /api/v1/admin/departments`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DepartmentSettings {
    pub code: String,
    pub name: String,
    pub name_en: String,
    pub kind: String,
    pub webhook_url: Option<String>,
}

/// `PATCH /api/v1/departments/{code}`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DepartmentChange {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub name_en: Option<String>,
    /// An http(s) URL; `""` removes the webhook.
    #[serde(default)]
    pub webhook_url: Option<String>,
}

/// An entry of the audit log (`GET /api/v1/audit`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditEntry {
    pub id: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    pub detail: Option<String>,
}

/// A department's webhook signing secret
/// (`GET /api/v1/departments/{code}/webhook-secret`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookSecret {
    pub department: String,
    /// 64 hex characters; the HMAC key is this text as ASCII.
    pub secret: String,
    /// The header each notification carries: `x-shanshui-signature`.
    pub header: String,
    /// How the header's value is made.
    pub scheme: String,
}

/// A webhook notification that keeps failing (`GET /api/v1/outbox`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OutboxMessage {
    pub id: i64,
    pub department: String,
    pub case: String,
    pub event: String,
    pub attempts: i32,
    pub next_attempt_at: String,
    pub last_error: Option<String>,
    pub delivered_at: Option<String>,
    pub created_at: String,
}

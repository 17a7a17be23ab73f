use sea_orm::entity::prelude::*;

/// A photo taken on a site inspection: re-encoded copies like a resident's
/// photo, the original kept privately; never published.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "inspection_photo")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub case_id: i64,
    pub inspection_id: i64,
    pub original_key: String,
    pub original_sha256: String,
    pub original_format: String,
    pub original_bytes: i64,
    pub display_key: String,
    pub thumbnail_key: String,
    pub width: i32,
    pub height: i32,
    pub uploaded_by: i64,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

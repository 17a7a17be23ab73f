use sea_orm::entity::prelude::*;

/// A PDF brought to a case by staff (a letter, a visitor's papers, an
/// inspection's 现场检查笔录): private evidence, never published.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "evidence_document")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub case_id: i64,
    /// The inspection it belongs to; none for a document of the case itself.
    pub inspection_id: Option<i64>,
    /// The file's key in the store (`PhotoKind::Document`).
    pub store_key: String,
    /// The name it was sent with, cleaned (no folders, no control characters).
    pub file_name: String,
    pub bytes: i64,
    pub pages: i32,
    pub uploaded_by: i64,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

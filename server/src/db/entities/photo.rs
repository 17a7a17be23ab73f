use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "photo")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub report_id: i64,
    pub case_id: i64,
    pub original_key: String,
    pub original_sha256: String,
    pub original_format: String,
    pub original_bytes: i64,
    pub display_key: String,
    pub thumbnail_key: String,
    pub width: i32,
    pub height: i32,
    pub exif_lat: Option<f64>,
    pub exif_lon: Option<f64>,
    pub exif_taken_at: Option<String>,
    pub received_at: DateTimeUtc,
    pub public: bool,
    /// Sent with an answer to staff's question (补充材料): evidence that a
    /// reviewer can never choose for the public record.
    pub answer: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

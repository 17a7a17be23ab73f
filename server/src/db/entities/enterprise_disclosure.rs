use sea_orm::entity::prelude::*;

/// An enterprise's legally required environmental disclosure
/// (企业环境信息依法披露) for one year.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "enterprise_disclosure")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub enterprise: String,
    pub credit_code: String,
    pub permit_no: Option<String>,
    pub industry: Option<String>,
    pub year: i32,
    #[sea_orm(column_type = "Text")]
    pub disclosed: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub penalties: Option<String>,
    pub url: Option<String>,
    pub published_at: DateTimeUtc,
    pub created_by: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

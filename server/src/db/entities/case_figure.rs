use sea_orm::entity::prelude::*;

/// The public statistics' tally by (figure, key): rows of +1 and −1 the
/// database's triggers add as cases appear and change, folded now and then
/// (migration 000024, `stats::figures`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "case_figures")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// What is counted: `category`, `area`, `channel`, `month`, `closed`,
    /// `on_time`, `finding` or `replied`.
    pub figure: String,
    /// Under what: an id, a channel, a month (`2026-12`) or a finding;
    /// empty for none.
    pub key: String,
    pub n: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

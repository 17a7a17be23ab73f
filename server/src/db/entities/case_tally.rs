use sea_orm::entity::prelude::*;

/// The cases' tally by (department, co, state): rows of +1 and −1 the
/// database's triggers add as cases appear, move and change state, folded
/// now and then (migration 000020, `cases::tally`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "case_tally")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The department (0: none yet).
    pub department_id: i64,
    /// 0: the lead department; 1: the co-handling one.
    pub co: i32,
    pub state: String,
    pub n: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

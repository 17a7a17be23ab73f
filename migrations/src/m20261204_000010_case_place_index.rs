//! Cases by place: an index on (lat, lon), so that "earlier cases within
//! 200 m" on a case page (重复投诉) reads a small box of the district, not
//! every case. The other index with `lat` in it leads with the category's
//! group and the state, which that question names neither of.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Cases {
    Table,
    Lat,
    Lon,
}

const NAME: &str = "idx_cases_lat_lon";

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(NAME)
                    .table(Cases::Table)
                    .col(Cases::Lat)
                    .col(Cases::Lon)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name(NAME).table(Cases::Table).to_owned())
            .await
    }
}

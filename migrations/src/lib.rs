//! The schema, one migration per step. They run at start-up and with
//! `shanshui migrate`; the same code serves SQLite and PostgreSQL.

pub use sea_orm_migration::prelude::*;

mod m20261128_000001_foundation;
mod m20261128_000002_reports;
mod m20261128_000003_sessions;
mod m20261128_000004_case_workflow;
mod m20261128_000005_rewards;
mod m20261129_000006_open_information;
mod m20261203_000007_sign_in_throttle;
mod m20261203_000008_reward_hold;
mod m20261204_000009_workbench;
mod m20261204_000010_case_place_index;
mod m20261204_000011_case_channel;
mod m20261204_000012_demo_cases;
mod m20261204_000013_handoff;
mod m20261204_000014_enforcement;
mod m20261204_000015_inspections;
mod m20261204_000016_catalogue;
mod m20261204_000017_evidence;
mod m20261204_000018_followup;
mod m20261205_000019_messages;
mod m20261205_000020_case_tally;
mod m20261205_000021_key_check;
mod m20261205_000022_came_back_index;
mod m20261205_000023_public_index;
mod m20261206_000024_case_figures;
mod m20261206_000025_phone_kept_index;

pub struct Migrator;

#[sea_orm_migration::async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261128_000001_foundation::Migration),
            Box::new(m20261128_000002_reports::Migration),
            Box::new(m20261128_000003_sessions::Migration),
            Box::new(m20261128_000004_case_workflow::Migration),
            Box::new(m20261128_000005_rewards::Migration),
            Box::new(m20261129_000006_open_information::Migration),
            Box::new(m20261203_000007_sign_in_throttle::Migration),
            Box::new(m20261203_000008_reward_hold::Migration),
            Box::new(m20261204_000009_workbench::Migration),
            Box::new(m20261204_000010_case_place_index::Migration),
            Box::new(m20261204_000011_case_channel::Migration),
            Box::new(m20261204_000012_demo_cases::Migration),
            Box::new(m20261204_000013_handoff::Migration),
            Box::new(m20261204_000014_enforcement::Migration),
            Box::new(m20261204_000015_inspections::Migration),
            Box::new(m20261204_000016_catalogue::Migration),
            Box::new(m20261204_000017_evidence::Migration),
            Box::new(m20261204_000018_followup::Migration),
            Box::new(m20261205_000019_messages::Migration),
            Box::new(m20261205_000020_case_tally::Migration),
            Box::new(m20261205_000021_key_check::Migration),
            Box::new(m20261205_000022_came_back_index::Migration),
            Box::new(m20261205_000023_public_index::Migration),
            Box::new(m20261206_000024_case_figures::Migration),
            Box::new(m20261206_000025_phone_kept_index::Migration),
        ]
    }
}

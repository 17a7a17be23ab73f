//! Shanshui (山水), the public environmental-complaint system of Banan
//! District, Chongqing: the HTTP server, its domain services and jobs.

pub mod api;
pub mod api_keys;
pub mod audit;
pub mod auth;
pub mod backup;
pub mod cache_bus;
pub mod cases;
pub mod categories;
pub mod cli;
pub mod clock;
pub mod config;
pub mod csv;
pub mod db;
pub mod demo;
pub mod digest;
pub mod directory;
pub mod disclosure;
pub mod disk;
pub mod egress;
pub mod error;
pub mod evidence;
pub mod handoff;
pub mod health;
pub mod held;
pub mod in_process;
pub mod info;
pub mod jobs;
pub mod metrics;
pub mod middleware;
pub mod notify;
pub mod open311;
pub mod openapi;
pub mod outbox;
pub mod photos;
pub mod privacy;
pub mod private_file;
pub mod reports;
pub mod rewards;
pub mod routing;
pub mod startup;
pub mod state;
pub mod stats;
pub mod storage;
pub mod telemetry;
#[cfg(test)]
mod testing;
pub mod track_page;
pub mod users;
pub mod web;
pub mod xml;

pub use config::Settings;
pub use error::AppError;
pub use startup::Application;

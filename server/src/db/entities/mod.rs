//! sea-orm entities, one per table (see `migrations/`).

pub mod api_key;
pub mod app_user;
pub mod area;
pub mod audit_log;
pub mod department;

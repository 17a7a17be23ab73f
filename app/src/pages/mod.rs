pub mod admin;
pub mod cases;
pub mod home;
pub mod info;
pub mod not_found;
pub mod report;
pub mod stats;
pub mod track;

pub mod admin;
pub mod building;
pub mod home;
pub mod not_found;
pub mod report;
pub mod track;

pub mod app;
pub mod header;
pub mod icon;

pub mod app;
pub mod header;

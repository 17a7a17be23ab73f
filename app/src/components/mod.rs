pub mod app;
pub mod header;
pub mod icon;
pub mod charts;
pub mod page_meta;

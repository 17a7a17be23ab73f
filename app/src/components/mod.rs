pub mod app;
pub mod charts;
pub mod header;
pub mod icon;
pub mod page_meta;

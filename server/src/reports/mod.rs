//! Citizen reports (群众举报): intake, photos, tracking, duplicates.

pub mod photos;

use super::service;
use crate::error::AppError;
use axum::Json;
use axum::extract::State;
use sea_orm::DatabaseConnection;
use shared::report::Category;

/// `GET /api/v1/categories`: the active categories, by group, with their
/// extra questions. Public.
pub async fn list(State(db): State<DatabaseConnection>) -> Result<Json<Vec<Category>>, AppError> {
    Ok(Json(service::list(&db).await?))
}

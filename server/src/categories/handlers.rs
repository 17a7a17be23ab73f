use super::service;
use crate::error::AppError;
use axum::Json;
use axum::extract::State;
use sea_orm::DatabaseConnection;
use shared::report::Category;

/// The category catalogue (举报类别).
///
/// The active categories, by group, each with its extra questions (Open311
/// attributes). A category's `code` is also its Open311 `service_code`.
#[utoipa::path(
    get,
    path = "/categories",
    tag = "categories",
    responses((status = 200, description = "The categories.", body = Vec<Category>))
)]
pub async fn list(State(db): State<DatabaseConnection>) -> Result<Json<Vec<Category>>, AppError> {
    Ok(Json(service::list(&db).await?))
}

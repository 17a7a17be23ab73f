use super::service;
use crate::error::AppError;
use axum::Json;
use axum::extract::State;
use sea_orm::DatabaseConnection;
use shared::directory::Department;

/// `GET /api/v1/departments`: public.
pub async fn departments(
    State(db): State<DatabaseConnection>,
) -> Result<Json<Vec<Department>>, AppError> {
    Ok(Json(service::departments(&db).await?))
}

/// `GET /api/v1/areas`: the 街道/镇 as a GeoJSON FeatureCollection.
pub async fn areas(
    State(db): State<DatabaseConnection>,
) -> Result<Json<serde_json::Value>, AppError> {
    Ok(Json(service::areas_geojson(&db).await?))
}

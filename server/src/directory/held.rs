//! The directory held in memory (目录常驻内存): the categories, areas and
//! departments that every public read names things from, with the
//! catalogue and the areas' map as their API sends them, and which cases
//! have a published penalty. Reading them from
//! the database for each request was most of what an uncached page of
//! cases cost (issue 16); they change a few times a year.
//!
//! It is held as `crate::held` holds a copy: until the public micro-cache's
//! generation moves. So a department renamed by an admin shows on the next
//! page, here and on every replica, exactly as the cached pages do. A copy
//! is also never older than [`MAX_AGE`], for the one writer nobody
//! announces: a command run beside the server (`shanshui demo` on SQLite).

use super::lookups::Lookups;
use crate::db::entities::penalty;
use crate::held::Held;
use crate::middleware::public_cache::PublicCache;
use axum::body::Bytes;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect};
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

/// The longest a copy is used without looking again.
pub const MAX_AGE: Duration = Duration::from_secs(60);

/// One reading of the directory.
pub struct Directory {
    pub(crate) lookups: Lookups,
    /// The active categories, in their order (Open311's services too).
    pub categories: Vec<shared::report::Category>,
    /// `GET /api/v1/categories`, as sent.
    pub categories_json: Bytes,
    /// `GET /api/v1/areas` (GeoJSON), as sent.
    pub areas_json: Bytes,
    /// The cases with a published penalty (行政处罚信息公开): few, and
    /// publishing one is a change like any other. A page of cases asks
    /// the database for penalties only when it shows one of these.
    pub penalized: BTreeSet<i64>,
}

impl Directory {
    async fn load(conn: &impl ConnectionTrait) -> Result<Self, DbErr> {
        let categories = crate::categories::service::list(conn).await?;
        let areas = super::service::areas_geojson(conn).await?;
        let penalized = penalty::Entity::find()
            .select_only()
            .column(penalty::Column::CaseId)
            .filter(penalty::Column::PublishedAt.is_not_null())
            .distinct()
            .into_tuple::<i64>()
            .all(conn)
            .await?
            .into_iter()
            .collect();
        Ok(Directory {
            lookups: Lookups::load(conn).await?,
            penalized,
            // Serialising our own types and a `Value` cannot fail.
            categories_json: serde_json::to_vec(&categories).unwrap_or_default().into(),
            categories,
            areas_json: serde_json::to_vec(&areas).unwrap_or_default().into(),
        })
    }
}

/// The directory's held copy (see `crate::held`).
pub struct HeldDirectory(Held<Directory>);

impl HeldDirectory {
    pub fn new(changes: Arc<PublicCache>) -> Arc<Self> {
        Arc::new(HeldDirectory(Held::new(changes, MAX_AGE)))
    }

    /// The directory as it stands.
    pub async fn get(&self, conn: &impl ConnectionTrait) -> Result<Arc<Directory>, DbErr> {
        self.0.get(|| Directory::load(conn)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::entities::department;
    use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectOptions, Database};

    async fn db() -> sea_orm::DatabaseConnection {
        // One connection: each in-memory SQLite connection is its own database.
        let mut options = ConnectOptions::new("sqlite::memory:");
        options.max_connections(1).sqlx_logging(false);
        let db = Database::connect(options).await.expect("connect");
        crate::db::migrate(&db).await.expect("migrate");
        db
    }

    async fn name(db: &sea_orm::DatabaseConnection, id: Option<i64>, name: &str) -> i64 {
        let d = department::ActiveModel {
            id: id.map(Set).unwrap_or_default(),
            code: Set("ecology".to_owned()),
            name_zh: Set(name.to_owned()),
            name_en: Set("Ecology".to_owned()),
            kind: Set("bureau".to_owned()),
            created_at: Set(chrono::Utc::now()),
            ..Default::default()
        };
        let d = if id.is_some() {
            d.update(db).await
        } else {
            d.insert(db).await
        };
        d.expect("write").id
    }

    #[tokio::test]
    async fn a_copy_stands_until_a_change_is_announced() {
        let db = db().await;
        let id = name(&db, None, "生态环境局").await;
        let changes = PublicCache::new(Duration::from_secs(10));
        let held = HeldDirectory::new(changes.clone());
        let before = held.get(&db).await.expect("load");
        assert_eq!(
            before.lookups.department_name(Some(id)).as_deref(),
            Some("生态环境局")
        );

        name(&db, Some(id), "改名后的部门").await;
        // Not announced: the same copy, not a query per read.
        let again = held.get(&db).await.expect("held");
        assert!(Arc::ptr_eq(&before, &again));

        changes.invalidate();
        let after = held.get(&db).await.expect("reload");
        assert_eq!(
            after.lookups.department_name(Some(id)).as_deref(),
            Some("改名后的部门")
        );
    }
}

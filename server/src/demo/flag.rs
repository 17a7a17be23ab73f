//! Whether demo cases exist (演示数据), for the banner every page shows
//! while they do. The database is asked at most once a minute (of the
//! server's clock), by the first page request after that, so a demo loaded
//! by `shanshui demo` beside a running server shows within a minute, and a
//! test moves the clock instead of waiting.

use crate::db::entities::case;
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};

/// How long an answer stands, in milliseconds.
const FRESH_MS: i64 = 60_000;

#[derive(Debug, Clone)]
pub struct DemoFlag {
    /// The answer, shared with the page shell that draws the banner.
    on: Arc<AtomicBool>,
    /// When the database was last asked (ms since the epoch); `i64::MIN`:
    /// never.
    checked_ms: Arc<AtomicI64>,
}

impl Default for DemoFlag {
    fn default() -> Self {
        DemoFlag {
            on: Arc::new(AtomicBool::new(false)),
            checked_ms: Arc::new(AtomicI64::new(i64::MIN)),
        }
    }
}

impl DemoFlag {
    /// Whether demo cases existed when last asked.
    pub fn is_on(&self) -> bool {
        self.on.load(Ordering::Relaxed)
    }

    /// The answer itself, for a reader that cannot know this type (the
    /// app's page shell).
    pub fn shared(&self) -> Arc<AtomicBool> {
        self.on.clone()
    }

    /// Asks the database again if the last answer is over a minute old.
    /// One caller asks; the others keep the answer they have.
    pub async fn refresh_if_stale(
        &self,
        db: &impl ConnectionTrait,
        now: DateTime<Utc>,
    ) -> Result<(), DbErr> {
        let now_ms = now.timestamp_millis();
        let checked = self.checked_ms.load(Ordering::Relaxed);
        if checked != i64::MIN && now_ms.saturating_sub(checked) < FRESH_MS {
            return Ok(());
        }
        if self
            .checked_ms
            .compare_exchange(checked, now_ms, Ordering::Relaxed, Ordering::Relaxed)
            .is_err()
        {
            return Ok(());
        }
        let any = case::Entity::find()
            .select_only()
            .column(case::Column::Id)
            .filter(case::Column::Demo.eq(true))
            .limit(1)
            .into_tuple::<i64>()
            .one(db)
            .await?
            .is_some();
        self.on.store(any, Ordering::Relaxed);
        Ok(())
    }
}

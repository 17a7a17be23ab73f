//! Replicas empty each other's public micro-cache (公开页面缓存) through
//! PostgreSQL's `LISTEN/NOTIFY`, with no new infrastructure: a write that
//! changed what the public reads empties this replica's cache at once
//! (`middleware::public_cache`) and is announced on [`CHANNEL`]; every
//! other replica listening empties its own when the notice arrives,
//! well within a second, instead of when its entries expire (10 s).
//!
//! A notice carries only the announcing replica's random id (so it ignores
//! its own), never what changed. A burst of writes is announced once.
//! Notices sent while a listener was disconnected are lost, so a listener
//! that (re)connects empties its cache first. On SQLite (one machine) there
//! is nobody to tell, and nothing runs.

use crate::middleware::public_cache::PublicCache;
use sea_orm::{DatabaseConnection, DbBackend};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc::UnboundedReceiver;

/// The notification channel replicas share.
pub const CHANNEL: &str = "shanshui_public_cache";

/// Listens for the other replicas' changes and announces this one's until
/// `stop` fires.
pub async fn run(
    db: DatabaseConnection,
    cache: Arc<PublicCache>,
    mut changes: UnboundedReceiver<()>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    if db.get_database_backend() != DbBackend::Postgres {
        return;
    }
    let pool = db.get_postgres_connection_pool().clone();
    let me = uuid::Uuid::new_v4().to_string();
    let listen = async {
        loop {
            match sqlx::postgres::PgListener::connect_with(&pool).await {
                Ok(mut listener) => {
                    if let Err(e) = listener.listen(CHANNEL).await {
                        tracing::warn!(error = %e, "cannot listen for other replicas' changes; retrying");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                        continue;
                    }
                    // Whatever was announced while we were not listening.
                    cache.invalidate();
                    loop {
                        match listener.try_recv().await {
                            Ok(Some(notice)) if notice.payload() != me => cache.invalidate(),
                            Ok(Some(_)) => {}
                            // Reconnected: notices in between are lost.
                            Ok(None) => cache.invalidate(),
                            Err(e) => {
                                tracing::warn!(error = %e, "lost the other replicas' changes; reconnecting");
                                break;
                            }
                        }
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "cannot listen for other replicas' changes; retrying");
                }
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    };
    let announce = async {
        while changes.recv().await.is_some() {
            // One notice for a burst.
            while changes.try_recv().is_ok() {}
            let sent = sqlx::query("SELECT pg_notify($1, $2)")
                .bind(CHANNEL)
                .bind(me.as_str())
                .execute(&pool)
                .await;
            if let Err(e) = sent {
                tracing::warn!(error = %e, "cannot tell the other replicas of a change; their caches expire within 10 s");
            }
        }
    };
    tokio::select! {
        _ = listen => {}
        _ = announce => {}
        _ = stop.changed() => {}
    }
}

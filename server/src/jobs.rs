//! Background housekeeping, once a minute for as long as the server runs:
//! rewards whose claim window has passed expire (reads also expire what is
//! due first), and idempotency keys older than a day are forgotten. Each
//! step is safe to run on several replicas at once.

use sea_orm::DatabaseConnection;
use std::time::Duration;

const EVERY: Duration = Duration::from_secs(60);

pub async fn run(
    db: DatabaseConnection,
    clock: crate::clock::Clock,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    loop {
        let now = clock.now();
        if let Err(e) = crate::rewards::service::expire_due(&db, now).await {
            tracing::warn!(error = %e, "expiring rewards failed; retrying");
        }
        if let Err(e) = crate::reports::idempotency::forget_expired(&db, now).await {
            tracing::warn!(error = %e, "forgetting old idempotency keys failed; retrying");
        }
        tokio::select! {
            _ = tokio::time::sleep(EVERY) => {}
            _ = stop.changed() => return,
        }
    }
}

//! Background housekeeping, once a minute for as long as the server runs:
//! rewards whose claim window has passed expire (reads also expire what is
//! due first), idempotency keys older than a day are forgotten, and phones
//! left for messages only are deleted 90 days after their case closed. Each
//! step is safe to run on several replicas at once.

use sea_orm::DatabaseConnection;
use std::time::Duration;

const EVERY: Duration = Duration::from_secs(60);

/// A phone left for messages only is deleted this long after its case
/// closed (the promise made on `/track`).
pub const PHONE_KEPT_DAYS: i64 = 90;

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
        if let Err(e) = crate::notify::contacts::forget_old_phones(&db, PHONE_KEPT_DAYS, now).await
        {
            tracing::warn!(error = %e, "forgetting messages-only phones failed; retrying");
        }
        tokio::select! {
            _ = tokio::time::sleep(EVERY) => {}
            _ = stop.changed() => return,
        }
    }
}

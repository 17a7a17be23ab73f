//! Background housekeeping, once a minute for as long as the server runs:
//! rewards whose claim window has passed expire (reads also expire what is
//! due first), idempotency keys older than a day are forgotten, and phones
//! left for messages only are deleted 90 days after their case closed, the
//! cases' tallies are folded (`cases::tally`, `stats::figures`), and one slice of the photo
//! store is swept for orphaned objects (`storage::sweep`: a full pass in
//! about 17 hours). Each step is safe to run on several replicas at once.

use crate::storage::{PhotoStore, sweep};
use sea_orm::DatabaseConnection;
use std::sync::Arc;
use std::time::Duration;

const EVERY: Duration = Duration::from_secs(60);

/// A phone left for messages only is deleted this long after its case
/// closed (the promise made on `/track`).
pub const PHONE_KEPT_DAYS: i64 = 90;

pub async fn run(
    db: DatabaseConnection,
    photos: Arc<dyn PhotoStore>,
    clock: crate::clock::Clock,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let mut slices = sweep::Cursor::random();
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
        if let Err(e) = crate::cases::tally::compact(&db).await {
            tracing::warn!(error = %e, "folding the cases' tally failed; retrying");
        }
        if let Err(e) = crate::stats::figures::compact(&db).await {
            tracing::warn!(error = %e, "folding the statistics' tally failed; retrying");
        }
        // The system's time, not the server's clock (which tests move): it
        // is compared with the store's modification times.
        if let Some(slice) = slices.next()
            && let Err(e) = sweep::collect(
                &db,
                photos.as_ref(),
                slice,
                chrono::Utc::now(),
                sweep::GRACE,
            )
            .await
        {
            tracing::warn!(error = %e, kind = ?slice.kind, "sweeping the photo store failed; the next pass tries again");
        }
        tokio::select! {
            _ = tokio::time::sleep(EVERY) => {}
            _ = stop.changed() => return,
        }
    }
}

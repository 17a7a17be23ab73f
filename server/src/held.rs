//! Copies held in memory (常驻副本) of what public reads derive from the
//! database and what rarely changes under them: the directory (categories,
//! areas, departments) and the statistics. A copy stands while nothing that
//! changes what the public reads has been written: it is tagged with the
//! public micro-cache's generation ([`PublicCache::generation`]), which
//! every such write on this process moves, and which another replica's
//! write moves through `cache_bus`. A copy is also never older than its
//! `max_age`, for the writers nobody announces (a command run beside the
//! server, a deadline passing, a background job).
//!
//! One reader loads a new copy; the others wait for it rather than all
//! asking the database at once, so what a copy costs to make is paid once
//! per change, however many ask, and however they ask (a conditional
//! request goes past the micro-cache, not past this). A copy that is slow
//! to make (the statistics: about 3 s at 1,000,000 cases) may instead be
//! [`Held::serving_stale`]: while one reader makes the next copy, the
//! others get the last one, as the micro-cache serves a stale page while
//! one reader refreshes it. Waiting, every reader of the statistics took
//! those 3 s each time the copy aged out.

use crate::middleware::public_cache::PublicCache;
use std::future::Future;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

struct Copy<T> {
    generation: u64,
    loaded: Instant,
    value: Arc<T>,
}

/// The current copy of a `T`, and who loads the next one.
pub struct Held<T> {
    changes: Arc<PublicCache>,
    max_age: Duration,
    current: RwLock<Option<Copy<T>>>,
    loading: tokio::sync::Mutex<()>,
    /// Readers get the last copy while another makes the next.
    stale_while_loading: bool,
}

impl<T> Held<T> {
    pub fn new(changes: Arc<PublicCache>, max_age: Duration) -> Self {
        Held {
            changes,
            max_age,
            current: RwLock::new(None),
            loading: tokio::sync::Mutex::new(()),
            stale_while_loading: false,
        }
    }

    /// Readers take the last copy, however old, while another reader makes
    /// the next one; only the reader making it waits for it. For what is
    /// slow to make and may lag a change by that long.
    pub fn serving_stale(mut self) -> Self {
        self.stale_while_loading = true;
        self
    }

    fn last(&self) -> Option<Arc<T>> {
        let current = self.current.read().ok()?;
        current.as_ref().map(|c| c.value.clone())
    }

    fn fresh(&self, generation: u64) -> Option<Arc<T>> {
        let current = self.current.read().ok()?;
        current
            .as_ref()
            .filter(|c| c.generation == generation && c.loaded.elapsed() < self.max_age)
            .map(|c| c.value.clone())
    }

    /// The copy as it stands, or a new one from `load` when nothing fresh
    /// is held. A failed load keeps nothing and is the caller's error.
    pub async fn get<E, F>(&self, load: impl FnOnce() -> F) -> Result<Arc<T>, E>
    where
        F: Future<Output = Result<T, E>>,
    {
        if let Some(value) = self.fresh(self.changes.generation()) {
            return Ok(value);
        }
        let _loading = match self.loading.try_lock() {
            Ok(loading) => loading,
            Err(_) => {
                if self.stale_while_loading
                    && let Some(value) = self.last()
                {
                    return Ok(value);
                }
                self.loading.lock().await
            }
        };
        // Read before loading: a change committed during the load moves it
        // past this copy's tag, and the next reader loads again.
        let generation = self.changes.generation();
        if let Some(value) = self.fresh(generation) {
            return Ok(value);
        }
        let value = Arc::new(load().await?);
        if let Ok(mut current) = self.current.write() {
            *current = Some(Copy {
                generation,
                loaded: Instant::now(),
                value: value.clone(),
            });
        }
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    async fn counted(loads: &AtomicU32) -> Result<u32, ()> {
        Ok(loads.fetch_add(1, Ordering::SeqCst) + 1)
    }

    #[tokio::test]
    async fn a_copy_is_made_once_per_change_however_many_ask() {
        let changes = PublicCache::new(Duration::from_secs(10));
        let held = Arc::new(Held::<u32>::new(changes.clone(), Duration::from_secs(60)));
        let loads = Arc::new(AtomicU32::new(0));
        let readers: Vec<_> = (0..16)
            .map(|_| {
                let (held, loads) = (held.clone(), loads.clone());
                tokio::spawn(async move { *held.get(|| counted(&loads)).await.unwrap() })
            })
            .collect();
        for reader in readers {
            assert_eq!(reader.await.unwrap(), 1);
        }
        assert_eq!(loads.load(Ordering::SeqCst), 1);

        changes.invalidate();
        assert_eq!(*held.get(|| counted(&loads)).await.unwrap(), 2);
        assert_eq!(*held.get(|| counted(&loads)).await.unwrap(), 2);
    }

    /// Held serving stale, a reader gets the last copy at once while
    /// another makes the next; held without, it waits for the new one.
    #[tokio::test]
    async fn while_one_reader_makes_a_copy_the_others_wait_or_take_the_last() {
        for stale in [true, false] {
            let changes = PublicCache::new(Duration::from_secs(10));
            let held = Held::<u32>::new(changes.clone(), Duration::from_secs(60));
            let held = Arc::new(if stale { held.serving_stale() } else { held });
            assert_eq!(*held.get(|| async { Ok::<_, ()>(1) }).await.unwrap(), 1);
            changes.invalidate();
            // The first reader after the change makes the next copy, slowly.
            let (started, on_start) = tokio::sync::oneshot::channel();
            let (release, on_release) = tokio::sync::oneshot::channel::<()>();
            let maker = tokio::spawn({
                let held = held.clone();
                async move {
                    *held
                        .get(|| async move {
                            let _ = started.send(());
                            let _ = on_release.await;
                            Ok::<_, ()>(2)
                        })
                        .await
                        .unwrap()
                }
            });
            on_start.await.unwrap();
            let other = tokio::time::timeout(
                Duration::from_millis(200),
                held.get(|| async { Ok::<_, ()>(99) }),
            )
            .await;
            if stale {
                assert_eq!(*other.expect("answered at once").unwrap(), 1);
            } else {
                assert!(other.is_err(), "waits for the copy being made");
            }
            release.send(()).unwrap();
            assert_eq!(maker.await.unwrap(), 2);
            assert_eq!(*held.get(|| async { Ok::<_, ()>(99) }).await.unwrap(), 2);
        }
    }

    #[tokio::test]
    async fn a_copy_older_than_its_age_is_made_again_and_a_failure_keeps_nothing() {
        let changes = PublicCache::new(Duration::from_secs(10));
        let held = Held::<u32>::new(changes, Duration::from_millis(50));
        let loads = AtomicU32::new(0);
        assert_eq!(*held.get(|| counted(&loads)).await.unwrap(), 1);
        tokio::time::sleep(Duration::from_millis(80)).await;
        assert!(held.get(|| async { Err::<u32, _>("down") }).await.is_err());
        assert_eq!(*held.get(|| counted(&loads)).await.unwrap(), 2);
    }
}

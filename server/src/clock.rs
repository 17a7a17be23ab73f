//! The time (时钟) as a dependency. Deadlines (办理时限), claim windows,
//! sessions and sign-in delays all read the time from one `Clock`, so that a
//! test can move it forward instead of sleeping or rewriting rows, or stop
//! it so that a slow machine cannot outrun a short delay. In production it
//! is the system's clock; nothing moves or stops it.

use chrono::{DateTime, Duration, Utc};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

/// Marks a running clock in `stopped_at_ms`.
const RUNNING: i64 = i64::MIN;

/// The system's time (or the moment it was stopped at), plus how far a test
/// has moved it (zero in production). Clones share their state: a test keeps
/// one and moves the server's time with it.
#[derive(Debug, Clone)]
pub struct Clock {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    ahead_ms: AtomicI64,
    stopped_at_ms: AtomicI64,
}

impl Default for Clock {
    fn default() -> Self {
        Self::system()
    }
}

impl Clock {
    /// The system's clock.
    pub fn system() -> Self {
        Self {
            inner: Arc::new(Inner {
                ahead_ms: AtomicI64::new(0),
                stopped_at_ms: AtomicI64::new(RUNNING),
            }),
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        let base = match self.inner.stopped_at_ms.load(Ordering::Relaxed) {
            RUNNING => Utc::now(),
            ms => DateTime::from_timestamp_millis(ms).unwrap_or_else(Utc::now),
        };
        base + Duration::milliseconds(self.inner.ahead_ms.load(Ordering::Relaxed))
    }

    /// Moves this clock, and every clone of it, forward by `by`: for tests,
    /// to reach a deadline without waiting for it.
    pub fn advance(&self, by: Duration) {
        self.inner
            .ahead_ms
            .fetch_add(by.num_milliseconds(), Ordering::Relaxed);
    }

    /// Stops the clock where it is: from now on only `advance` moves it. For
    /// tests whose waits are shorter than a slow machine's requests.
    pub fn stop(&self) {
        let at = Utc::now().timestamp_millis();
        let _ = self.inner.stopped_at_ms.compare_exchange(
            RUNNING,
            at,
            Ordering::Relaxed,
            Ordering::Relaxed,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_advanced_clock_and_its_clones_are_ahead_by_as_much() {
        let clock = Clock::system();
        let shared = clock.clone();
        let before = Utc::now();
        clock.advance(Duration::days(61));
        let later = shared.now();
        assert!(later >= before + Duration::days(61));
        assert!(later < Utc::now() + Duration::days(61) + Duration::seconds(5));
    }

    #[test]
    fn a_stopped_clock_moves_only_when_advanced() {
        let clock = Clock::system();
        clock.stop();
        let at = clock.now();
        std::thread::sleep(std::time::Duration::from_millis(20));
        assert_eq!(clock.clone().now(), at);
        clock.advance(Duration::seconds(2));
        assert_eq!(clock.now(), at + Duration::seconds(2));
    }
}

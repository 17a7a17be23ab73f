//! The threads photos are read and decoded on: one per decode slot, for as
//! long as the pipeline lives (issue 11).
//!
//! tokio's blocking pool would run them as well, but each of its threads —
//! dozens over time — gets a glibc heap of its own, and once glibc's
//! adaptive mmap threshold has risen (it does when a large block is freed)
//! a decode's big buffers, a progressive photo's 24 MB chroma planes among
//! them, come from that heap and stay there when freed. Six 49-megapixel
//! photos decoded one after another on as many threads left up to 140 MB
//! more resident than the decodes ever used at once (docs/benchmarks.md).
//! On a thread per slot, each decode reuses what the last one there freed.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex, mpsc};

type Job = Box<dyn FnOnce() + Send>;

pub(super) struct Workers {
    jobs: mpsc::Sender<Job>,
}

impl Workers {
    /// Starts `count` threads; None if none could be started. They end when
    /// the `Workers` is dropped.
    pub fn start(count: usize) -> Option<Self> {
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        let started = (0..count)
            .filter(|n| {
                let queue = Arc::clone(&queue);
                std::thread::Builder::new()
                    .name(format!("photo-{n}"))
                    .spawn(move || {
                        // The lock is held while waiting for a job, not
                        // while running one.
                        while let Ok(job) = queue
                            .lock()
                            .map_err(drop)
                            .and_then(|q| q.recv().map_err(drop))
                        {
                            job();
                        }
                    })
                    .is_ok()
            })
            .count();
        (started > 0).then_some(Workers { jobs })
    }

    /// Runs `work` on a worker thread: its result, or None if it panicked.
    /// Dropping the future does not stop the work.
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Option<T> {
        let (done, result) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            let _ = done.send(catch_unwind(AssertUnwindSafe(work)).ok());
        });
        self.jobs.send(job).ok()?;
        result.await.ok().flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn work_runs_on_the_named_threads_and_a_panic_is_an_answer() {
        let workers = Workers::start(2).unwrap_or_else(|| panic!("no threads"));
        let name = workers
            .run(|| std::thread::current().name().map(str::to_owned))
            .await;
        assert!(name.flatten().is_some_and(|n| n.starts_with("photo-")));
        let panicked: Option<()> = workers.run(|| panic!("a decoder bug")).await;
        assert_eq!(panicked, None);
        assert_eq!(workers.run(|| 6 * 7).await, Some(42), "the thread survived");
    }
}

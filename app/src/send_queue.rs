//! The console's uploads that wait for the network (待发送), and the
//! staff's intake form's one try.
//!
//! Evidence a handler attaches on site (查处: photos, PDFs) whose upload
//! gets no answer (offline, a dropped connection, a 5xx, 429) is kept on
//! the device in `localStorage`, files included, with its idempotency key,
//! and sent again with the same key when the browser comes back online and
//! every 15 seconds: the server then attaches it once however many tries
//! reach it. A 4xx answer is final and is not retried.
//!
//! A resident's report waits the same way, but in the report page's own
//! script (`pages/report/script/outbox.js`), which no longer runs this
//! module: the names below are where both keep what waits, and what
//! `/track` and every server-only page read.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use shared::ApiError;
use shared::report::SubmitReceipt;

pub const RETRY_EVERY_MS: u32 = 15_000;
/// Evidence a handler attached on site (photos, PDFs), waiting for the
/// network: kept apart from residents' reports, sent the same way.
pub const EVIDENCE_KEY: &str = "shanshui.evidence.v1";

/// A file of waiting evidence: its form field, its name, its bytes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PendingFile {
    pub field: String,
    pub name: String,
    /// `data:…;base64,…`
    pub data_url: String,
}

/// Evidence for a case (`POST /api/v1/cases/{code}/evidence`) as it will be
/// sent again: the same fields, files and key, so the server attaches it
/// once however many tries reach it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PendingEvidence {
    pub key: String,
    pub url: String,
    pub fields: Vec<(String, String)>,
    pub files: Vec<PendingFile>,
    #[serde(default)]
    pub attempts: u32,
    #[serde(default)]
    pub next_ms: f64,
    /// The server refused it (4xx): kept so the handler can read why.
    #[serde(default)]
    pub refused: Option<String>,
}

#[derive(Clone, Copy)]
pub struct SendQueue {
    /// False when the device could not keep the waiting uploads (storage
    /// missing or full): they live only as long as the page.
    pub stored: RwSignal<bool>,
    /// Evidence uploads waiting for the network.
    pub evidence_pending: RwSignal<usize>,
    /// Evidence uploads the server refused after a retry, with why.
    pub evidence_refused: RwSignal<Vec<PendingEvidence>>,
    /// Counts evidence uploads sent in the background (the case page
    /// reloads when it moves).
    pub evidence_sent: RwSignal<u32>,
}

pub fn provide_send_queue() -> SendQueue {
    let sending = SendQueue {
        stored: RwSignal::new(true),
        evidence_pending: RwSignal::new(0),
        evidence_refused: RwSignal::new(Vec::new()),
        evidence_sent: RwSignal::new(0),
    };
    provide_context(sending);
    sending
}

pub fn use_send_queue() -> SendQueue {
    use_context::<SendQueue>().unwrap_or_else(provide_send_queue)
}

pub use client::*;

/// The queue in the browser's storage, and its sender.
mod client {
    use super::*;
    use crate::browser::photos::{self, Blob};
    use crate::browser::{self, http, store};
    use std::cell::{Cell, RefCell};

    /// A queue kept in storage under `key`, or in `memory` while storage
    /// could not keep it (full, or refused in private browsing).
    type Memory<T> = std::thread::LocalKey<RefCell<Option<Vec<T>>>>;

    fn load_from<T: serde::de::DeserializeOwned + Clone>(
        memory: &'static Memory<T>,
        key: &str,
    ) -> Vec<T> {
        if let Some(q) = memory.with(|m| m.borrow().clone()) {
            return q;
        }
        store::get(key)
            .and_then(|s| serde_json::from_str::<Vec<T>>(&s).ok())
            .unwrap_or_default()
    }

    /// Writes the queue to storage (an empty one is removed), or keeps it in
    /// memory if storage will not; says on the page whether it is stored.
    fn store_to<T: Serialize + Clone>(
        sending: SendQueue,
        memory: &'static Memory<T>,
        key: &str,
        queue: &[T],
    ) {
        let ok = if queue.is_empty() {
            store::remove(key);
            true
        } else {
            let text = serde_json::to_string(queue).unwrap_or_else(|_| "[]".to_owned());
            store::set(key, &text)
        };
        memory.with(|m| *m.borrow_mut() = if ok { None } else { Some(queue.to_vec()) });
        let _ = sending.stored.try_set(ok || queue.is_empty());
    }

    /// The result of one try.
    pub enum Outcome {
        Done(SubmitReceipt),
        /// No answer, 5xx, 429: nothing was filed, or the same key
        /// replays what was.
        Retry,
        /// 4xx: final.
        Refused(u16, ApiError),
    }

    /// One try at `url` with named files: (field, bytes, name) — staff's
    /// `/api/v1/cases/intake` with the documents brought in.
    pub async fn send_files_to(
        url: &str,
        key: &str,
        fields: &[(String, String)],
        files: &[(String, Blob, String)],
        progress: impl Fn(f64) + 'static,
    ) -> Outcome {
        let form: Vec<http::FormFile<'_>> = files
            .iter()
            .map(|(field, blob, name)| http::FormFile {
                field: field.as_str(),
                blob,
                name: name.clone(),
            })
            .collect();
        let answer =
            http::post_files(url, fields, &form, &[("Idempotency-Key", key)], progress).await;
        receipt_of(answer)
    }

    fn receipt_of(answer: http::Upload) -> Outcome {
        match answer.status {
            200..=299 => match serde_json::from_str::<SubmitReceipt>(&answer.body) {
                Ok(r) => Outcome::Done(r),
                // Filed, but the answer was cut: the same key replays it.
                Err(_) => Outcome::Retry,
            },
            0 | 408 | 429 | 500..=599 => Outcome::Retry,
            status => Outcome::Refused(
                status,
                answer
                    .error()
                    .unwrap_or_else(|| ApiError::new("http_error", format!("HTTP {status}"))),
            ),
        }
    }

    // ---------------------------------------------------------- evidence

    thread_local! {
        static EVIDENCE_BUSY: Cell<bool> = const { Cell::new(false) };
        static EVIDENCE_MEMORY: RefCell<Option<Vec<PendingEvidence>>> = const { RefCell::new(None) };
    }

    /// The result of one try at sending evidence.
    pub enum Sent {
        Done,
        /// No answer, 5xx, 429 (with Retry-After seconds): try again later.
        Retry(Option<u32>),
        /// 4xx: final.
        Refused(ApiError),
    }

    pub fn load_evidence() -> Vec<PendingEvidence> {
        load_from(&EVIDENCE_MEMORY, EVIDENCE_KEY)
    }

    fn save_evidence(sending: SendQueue, queue: Vec<PendingEvidence>) {
        store_to(sending, &EVIDENCE_MEMORY, EVIDENCE_KEY, &queue);
        publish_evidence(sending, &queue);
    }

    fn publish_evidence(sending: SendQueue, queue: &[PendingEvidence]) {
        let _ = sending
            .evidence_pending
            .try_set(queue.iter().filter(|p| p.refused.is_none()).count());
        let _ = sending.evidence_refused.try_set(
            queue
                .iter()
                .filter(|p| p.refused.is_some())
                .cloned()
                .collect(),
        );
    }

    /// One try: `files` are (field, bytes, name).
    pub async fn send_evidence(
        url: &str,
        key: &str,
        fields: &[(String, String)],
        files: &[(String, Blob, String)],
        progress: impl Fn(f64) + 'static,
    ) -> Sent {
        let form: Vec<http::FormFile<'_>> = files
            .iter()
            .map(|(field, blob, name)| http::FormFile {
                field: field.as_str(),
                blob,
                name: name.clone(),
            })
            .collect();
        let answer =
            http::post_files(url, fields, &form, &[("Idempotency-Key", key)], progress).await;
        match answer.status {
            200..=299 => Sent::Done,
            0 | 408 | 429 | 500..=599 => Sent::Retry(answer.retry_after_s),
            status => Sent::Refused(
                answer
                    .error()
                    .unwrap_or_else(|| ApiError::new("http_error", format!("HTTP {status}"))),
            ),
        }
    }

    /// Keeps evidence for a later try; its files become data URLs.
    pub async fn enqueue_evidence(
        sending: SendQueue,
        url: &str,
        key: &str,
        fields: Vec<(String, String)>,
        files: &[(String, Blob, String)],
        retry_after_s: Option<u32>,
    ) {
        let mut kept = Vec::new();
        for (field, blob, name) in files {
            kept.push(PendingFile {
                field: field.clone(),
                name: name.clone(),
                data_url: photos::data_url(blob).await,
            });
        }
        let now = browser::now_ms();
        let mut queue = load_evidence();
        queue.retain(|p| p.key != key);
        queue.push(PendingEvidence {
            key: key.to_owned(),
            url: url.to_owned(),
            fields,
            files: kept,
            attempts: 1,
            next_ms: now + f64::from(retry_after_s.map(|s| s * 1000).unwrap_or(RETRY_EVERY_MS)),
            refused: None,
        });
        save_evidence(sending, queue);
    }

    /// Forgets every queued upload: on signing out, so that what one member
    /// of staff queued on a shared phone is neither sent under the next
    /// one's name nor left readable in the browser.
    pub fn clear_evidence(sending: SendQueue) {
        save_evidence(sending, Vec::new());
    }

    /// Forgets a refused upload once the handler has read why.
    pub fn drop_evidence(sending: SendQueue, key: &str) {
        let mut queue = load_evidence();
        queue.retain(|p| p.key != key);
        save_evidence(sending, queue);
    }

    /// Sends the evidence that is due, one upload at a time.
    pub fn flush_evidence(sending: SendQueue) {
        if EVIDENCE_BUSY.with(|b| b.replace(true)) {
            return;
        }
        leptos::task::spawn_local(async move {
            let now = browser::now_ms();
            let due: Vec<PendingEvidence> = load_evidence()
                .into_iter()
                .filter(|p| p.refused.is_none() && p.next_ms <= now)
                .collect();
            for item in due {
                let files: Vec<(String, Blob, String)> = item
                    .files
                    .iter()
                    .filter_map(|f| {
                        photos::from_data_url(&f.data_url)
                            .map(|b| (f.field.clone(), b, f.name.clone()))
                    })
                    .collect();
                let sent = send_evidence(&item.url, &item.key, &item.fields, &files, |_| {}).await;
                let mut queue = load_evidence();
                match sent {
                    Sent::Done => {
                        queue.retain(|p| p.key != item.key);
                        save_evidence(sending, queue);
                        sending.evidence_sent.update(|n| *n += 1);
                    }
                    Sent::Refused(error) => {
                        if let Some(p) = queue.iter_mut().find(|p| p.key == item.key) {
                            p.refused = Some(error.message.clone());
                            p.files.clear();
                        }
                        save_evidence(sending, queue);
                    }
                    Sent::Retry(after) => {
                        if let Some(p) = queue.iter_mut().find(|p| p.key == item.key) {
                            p.attempts += 1;
                            p.next_ms = browser::now_ms()
                                + f64::from(after.map(|s| s * 1000).unwrap_or(RETRY_EVERY_MS));
                        }
                        save_evidence(sending, queue);
                        break;
                    }
                }
            }
            EVIDENCE_BUSY.with(|b| b.set(false));
        });
    }

    /// Starts the evidence sender for as long as the calling view lives: on
    /// `online`, every 15 s, and now.
    pub fn start_evidence(sending: SendQueue) {
        publish_evidence(sending, &load_evidence());
        let online = window_event_listener(leptos::ev::online, move |_| {
            let mut queue = load_evidence();
            for p in queue.iter_mut() {
                p.next_ms = 0.0;
            }
            if !queue.is_empty() {
                save_evidence(sending, queue);
            }
            flush_evidence(sending);
        });
        let timer = set_interval_with_handle(
            move || flush_evidence(sending),
            std::time::Duration::from_millis(u64::from(RETRY_EVERY_MS)),
        )
        .ok();
        on_cleanup(move || {
            online.remove();
            if let Some(t) = timer {
                t.clear();
            }
        });
        flush_evidence(sending);
    }
}

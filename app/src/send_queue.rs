//! Reports waiting for the network (待发送的举报).
//!
//! A report whose upload gets no answer (offline, a dropped connection, a
//! 5xx, 429) is kept on the phone in `localStorage`, photos included (they
//! are already small), with its idempotency key, and sent again with the
//! same key when the browser comes back online and every 15 seconds: the
//! server then files it once however many tries reach it. A 4xx answer is
//! final and is not retried.
//!
//! Receipts are kept on the phone too (本机的举报), so a report sent in the
//! background is not lost and the secret shown once can be found again.
//!
//! Evidence a handler attaches on site (查处: photos, PDFs) waits the same
//! way in a queue of its own, with its idempotency key.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use shared::ApiError;
use shared::report::SubmitReceipt;

/// The key phones already hold their waiting reports under (from when this
/// module was called the outbox): renaming it would strand them.
pub const QUEUE_KEY: &str = "shanshui.outbox.v1";
pub const RECEIPTS_KEY: &str = "shanshui.reports.v1";
pub const RETRY_EVERY_MS: u32 = 15_000;
/// Evidence a handler attached on site (photos, PDFs), waiting for the
/// network: kept apart from residents' reports, sent the same way.
pub const EVIDENCE_KEY: &str = "shanshui.evidence.v1";

/// A report as it will be sent again: the exact fields and photo bytes of
/// the first try, so the server's request fingerprint matches.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pending {
    pub key: String,
    pub created_ms: f64,
    pub fields: Vec<(String, String)>,
    /// `data:image/jpeg;base64,…`
    pub photos: Vec<String>,
    #[serde(default)]
    pub attempts: u32,
    #[serde(default)]
    pub next_ms: f64,
    /// The server refused it (4xx) after the network came back: kept so the
    /// resident can read why, never sent again.
    #[serde(default)]
    pub refused: Option<String>,
    /// A short summary for the list: the category's name and description's start.
    #[serde(default)]
    pub summary: String,
}

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

/// A receipt kept on this phone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Saved {
    pub tracking_code: String,
    pub secret: String,
    pub track_url: String,
    pub saved_ms: f64,
    #[serde(default)]
    pub summary: String,
    /// False until the resident has seen it (a report sent in the background).
    #[serde(default)]
    pub seen: bool,
}

/// What the background sender settled for a key.
#[derive(Debug, Clone, PartialEq)]
pub enum Settled {
    Done {
        key: String,
        receipt: SubmitReceipt,
    },
    Refused {
        key: String,
        status: u16,
        error: ApiError,
    },
}

#[derive(Clone, Copy)]
pub struct SendQueue {
    /// Reports waiting to be sent (refused ones not counted).
    pub pending: RwSignal<usize>,
    /// Reports the server refused after a retry.
    pub refused: RwSignal<Vec<Pending>>,
    /// False when the phone could not keep the waiting reports (storage
    /// missing or full): they live only as long as the page.
    pub stored: RwSignal<bool>,
    /// Receipts of reports sent in the background, not yet seen.
    pub unseen: RwSignal<Vec<Saved>>,
    /// The last thing the background sender settled.
    pub last: RwSignal<Option<Settled>>,
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
        pending: RwSignal::new(0),
        refused: RwSignal::new(Vec::new()),
        stored: RwSignal::new(true),
        unseen: RwSignal::new(Vec::new()),
        last: RwSignal::new(None),
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

    thread_local! {
        static BUSY: Cell<bool> = const { Cell::new(false) };
        /// The queue, when storage could not keep it.
        static MEMORY: RefCell<Option<Vec<Pending>>> = const { RefCell::new(None) };
    }

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

    pub fn load_queue() -> Vec<Pending> {
        load_from(&MEMORY, QUEUE_KEY)
    }

    fn save_queue(sending: SendQueue, queue: Vec<Pending>) {
        store_to(sending, &MEMORY, QUEUE_KEY, &queue);
        publish(sending, &queue);
    }

    fn publish(sending: SendQueue, queue: &[Pending]) {
        let _ = sending
            .pending
            .try_set(queue.iter().filter(|p| p.refused.is_none()).count());
        let refused: Vec<Pending> = queue
            .iter()
            .filter(|p| p.refused.is_some())
            .cloned()
            .collect();
        let _ = sending.refused.try_set(refused);
    }

    pub fn load_saved() -> Vec<Saved> {
        store::get(RECEIPTS_KEY)
            .and_then(|s| serde_json::from_str::<Vec<Saved>>(&s).ok())
            .unwrap_or_default()
    }

    pub fn write_saved(list: &[Saved]) {
        if list.is_empty() {
            store::remove(RECEIPTS_KEY);
        } else if let Ok(text) = serde_json::to_string(list) {
            let _ = store::set(RECEIPTS_KEY, &text);
        }
    }

    /// Keeps a receipt on the phone (newest first, at most 50).
    pub fn remember(receipt: &SubmitReceipt, summary: &str, seen: bool) {
        let mut list = load_saved();
        list.retain(|s| s.tracking_code != receipt.tracking_code || s.secret != receipt.secret);
        list.insert(
            0,
            Saved {
                tracking_code: receipt.tracking_code.clone(),
                secret: receipt.secret.clone(),
                track_url: receipt.track_url.clone(),
                saved_ms: browser::now_ms(),
                summary: summary.to_owned(),
                seen,
            },
        );
        list.truncate(50);
        write_saved(&list);
    }

    pub fn mark_seen(sending: SendQueue) {
        let mut list = load_saved();
        if list.iter().any(|s| !s.seen) {
            for s in list.iter_mut() {
                s.seen = true;
            }
            write_saved(&list);
        }
        let _ = sending.unseen.try_set(Vec::new());
    }

    /// Keeps a report for a later try; its photos become data URLs.
    pub async fn enqueue(
        sending: SendQueue,
        key: &str,
        fields: Vec<(String, String)>,
        blobs: &[Blob],
        summary: String,
        retry_after_s: Option<u32>,
    ) {
        let mut photos = Vec::new();
        for blob in blobs {
            photos.push(photos::data_url(blob).await);
        }
        let now = browser::now_ms();
        let mut queue = load_queue();
        queue.retain(|p| p.key != key);
        queue.push(Pending {
            key: key.to_owned(),
            created_ms: now,
            fields,
            photos,
            attempts: 1,
            next_ms: now + f64::from(retry_after_s.map(|s| s * 1000).unwrap_or(RETRY_EVERY_MS)),
            refused: None,
            summary,
        });
        save_queue(sending, queue);
    }

    /// Removes a report from the queue (sent, or given up by the resident).
    pub fn drop_pending(sending: SendQueue, key: &str) {
        let mut queue = load_queue();
        queue.retain(|p| p.key != key);
        save_queue(sending, queue);
    }

    /// The result of one try.
    pub enum Outcome {
        Done(SubmitReceipt),
        /// No answer, 5xx, 429 (with Retry-After seconds): try again later.
        Retry(Option<u32>),
        /// 4xx: final.
        Refused(u16, ApiError),
    }

    pub async fn send(
        key: &str,
        fields: &[(String, String)],
        blobs: &[Blob],
        progress: impl Fn(f64) + 'static,
    ) -> Outcome {
        send_to("/api/v1/reports", key, fields, blobs, progress).await
    }

    /// One try at `url` (the resident's `/api/v1/reports`, or staff's
    /// `/api/v1/cases/intake`, which take the same form).
    pub async fn send_to(
        url: &str,
        key: &str,
        fields: &[(String, String)],
        blobs: &[Blob],
        progress: impl Fn(f64) + 'static,
    ) -> Outcome {
        // A body the browser could not build gets no answer, like a
        // dropped connection: kept, and tried again.
        let answer =
            http::post_form(url, fields, blobs, &[("Idempotency-Key", key)], progress).await;
        receipt_of(answer)
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
                Err(_) => Outcome::Retry(None),
            },
            0 | 408 | 429 | 500..=599 => Outcome::Retry(answer.retry_after_s),
            status => Outcome::Refused(
                status,
                answer
                    .error()
                    .unwrap_or_else(|| ApiError::new("http_error", format!("HTTP {status}"))),
            ),
        }
    }

    /// Sends what is due, one report at a time; stops at the first that
    /// still gets no answer.
    pub fn flush(sending: SendQueue) {
        if BUSY.with(|b| b.replace(true)) {
            return;
        }
        leptos::task::spawn_local(async move {
            run(sending).await;
            BUSY.with(|b| b.set(false));
        });
    }

    async fn run(sending: SendQueue) {
        let queue = load_queue();
        publish(sending, &queue);
        let now = browser::now_ms();
        let due: Vec<Pending> = queue
            .into_iter()
            .filter(|p| p.refused.is_none() && p.next_ms <= now)
            .collect();
        for item in due {
            let blobs: Vec<Blob> = item
                .photos
                .iter()
                .filter_map(|u| photos::from_data_url(u))
                .collect();
            let outcome = send(&item.key, &item.fields, &blobs, |_| {}).await;
            let mut queue = load_queue();
            match outcome {
                Outcome::Done(receipt) => {
                    queue.retain(|p| p.key != item.key);
                    save_queue(sending, queue);
                    remember(&receipt, &item.summary, false);
                    let _ = sending
                        .unseen
                        .try_set(load_saved().into_iter().filter(|s| !s.seen).collect());
                    let _ = sending.last.try_set(Some(Settled::Done {
                        key: item.key.clone(),
                        receipt,
                    }));
                }
                Outcome::Refused(status, error) => {
                    if let Some(p) = queue.iter_mut().find(|p| p.key == item.key) {
                        p.refused = Some(error.message.clone());
                        // Keep the text, drop the photos: it will not be sent again.
                        p.photos.clear();
                    }
                    save_queue(sending, queue);
                    let _ = sending.last.try_set(Some(Settled::Refused {
                        key: item.key.clone(),
                        status,
                        error,
                    }));
                }
                Outcome::Retry(after) => {
                    if let Some(p) = queue.iter_mut().find(|p| p.key == item.key) {
                        p.attempts += 1;
                        p.next_ms = browser::now_ms()
                            + f64::from(after.map(|s| s * 1000).unwrap_or(RETRY_EVERY_MS));
                    }
                    save_queue(sending, queue);
                    break;
                }
            }
        }
    }

    /// Starts the background sender: on `online`, every 15 s, and now.
    pub fn start(sending: SendQueue) {
        publish(sending, &load_queue());
        let _ = sending
            .unseen
            .try_set(load_saved().into_iter().filter(|s| !s.seen).collect());
        let online = window_event_listener(leptos::ev::online, move |_| {
            // "online" can come before the network really works; still due now.
            let mut queue = load_queue();
            for p in queue.iter_mut() {
                p.next_ms = 0.0;
            }
            if !queue.is_empty() {
                save_queue(sending, queue);
            }
            flush(sending);
        });
        let timer = set_interval_with_handle(
            move || flush(sending),
            std::time::Duration::from_millis(u64::from(RETRY_EVERY_MS)),
        )
        .ok();
        on_cleanup(move || {
            online.remove();
            if let Some(t) = timer {
                t.clear();
            }
        });
        flush(sending);
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

//! Settings: parsed once from flags and environment, checked before anything
//! starts. A bad setting stops the program with a clear message (exit 2).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseKind {
    Sqlite,
    Postgres,
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub bind: SocketAddr,
    /// Where `/metrics` is served, apart from `bind` (`--metrics-bind`);
    /// none by default.
    pub metrics_bind: Option<SocketAddr>,
    pub data_dir: PathBuf,
    /// Always set: the default SQLite URL is filled in from `data_dir`.
    pub database_url: String,
    pub database_kind: DatabaseKind,
    pub site_root: PathBuf,
    pub log_format: LogFormat,
    /// How long a request may take before it is answered 408/503.
    pub request_timeout: Duration,
    /// How long in-flight requests get to finish after SIGTERM/SIGINT.
    pub shutdown_grace: Duration,
    pub limits: RateLimits,
    pub session: SessionPolicy,
    pub cookie_secure: bool,
    pub tile_url: String,
    pub tile_attribution: String,
    /// Photos decoded at once: one per core.
    pub photo_slots: usize,
    /// Bytes of request bodies held at once by the photo intake (both
    /// doors); a request that cannot get its share is answered 503.
    pub upload_budget: usize,
    /// Bytes all photo decodes at once may hold, by their estimates; also
    /// the most one photo may need.
    pub decode_budget: u64,
    pub deadlines: crate::cases::deadlines::Deadlines,
    pub outbox: OutboxPolicy,
    /// Where department webhooks may go besides public addresses
    /// (`--webhook-allow`).
    pub webhook_allow: crate::egress::AllowList,
    /// The time every deadline, window and session is judged by: the
    /// system's; tests move it forward.
    pub clock: crate::clock::Clock,
    /// Where Web Push may go besides public HTTPS push services
    /// (`--push-allow`): a reporter's browser names the address, so this is
    /// not the webhooks' list.
    pub push_allow: crate::egress::AllowList,
    /// Who sends the reporters' SMS (`--sms-provider`).
    pub sms_provider: SmsProviderKind,
    /// The VAPID `sub` claim: a `mailto:` or `https:` contact a push
    /// service can reach the operator at (`--push-contact`).
    pub push_contact: String,
    /// Load balancers and proxies whose `X-Forwarded-For` names the client
    /// (`--trusted-proxies`); none by default.
    pub trusted_proxies: crate::middleware::client_addr::TrustedProxies,
    /// Where photos are kept (`--photo-store`).
    pub photo_store: crate::storage::StoreLocation,
}

/// Who sends SMS: the `log` provider (the embedded default: messages are
/// kept in the database for the console) or Tencent Cloud SMS (configured
/// by `SHANSHUI_TENCENT_*` variables).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SmsProviderKind {
    Log,
    Tencent,
}

/// How the webhook outbox retries: exponential back-off from `retry_base`,
/// capped at `max_delay`; the worker looks for due messages every `poll`.
#[derive(Debug, Clone, Copy)]
pub struct OutboxPolicy {
    pub retry_base: Duration,
    pub max_delay: Duration,
    pub poll: Duration,
    pub request_timeout: Duration,
    /// Attempts after which a message shows as failing in the admin view (it
    /// is still retried, at `max_delay`).
    pub failing_after: i32,
}

impl Default for OutboxPolicy {
    fn default() -> Self {
        Self {
            retry_base: Duration::from_secs(10),
            max_delay: Duration::from_secs(3600),
            poll: Duration::from_secs(2),
            request_timeout: Duration::from_secs(10),
            failing_after: 5,
        }
    }
}

/// Per client address: a burst, then one request per period.
#[derive(Debug, Clone, Copy)]
pub struct RateLimits {
    pub submit_burst: u32,
    pub submit_every: Duration,
    pub track_burst: u32,
    pub track_every: Duration,
    /// `/api/v1/reports/nearby`: the report form asks once or twice per
    /// report; a stranger mapping cases would ask thousands of times.
    pub nearby_burst: u32,
    pub nearby_every: Duration,
    /// 找回 (`/api/v1/recover…`): a person types a phone and a code a few
    /// times; a script guessing codes or probing phones, many times. (Each
    /// phone also has its own limits, in the database.)
    pub recover_burst: u32,
    pub recover_every: Duration,
}

impl Default for RateLimits {
    fn default() -> Self {
        Self {
            // 10 reports at once, then one every 20 s (180 an hour).
            submit_burst: 10,
            submit_every: Duration::from_secs(20),
            // 60 look-ups at once, then one a second.
            track_burst: 60,
            track_every: Duration::from_secs(1),
            // 30 at once, then one every 2 s.
            nearby_burst: 30,
            nearby_every: Duration::from_secs(2),
            // 10 at once, then one every 30 s.
            recover_burst: 10,
            recover_every: Duration::from_secs(30),
        }
    }
}

pub fn default_photo_slots() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

impl ConfigError {
    pub fn new(msg: impl Into<String>) -> Self {
        Self(msg.into())
    }
}

pub fn database_kind(url: &str) -> Result<DatabaseKind, ConfigError> {
    if url.starts_with("sqlite:") {
        Ok(DatabaseKind::Sqlite)
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(DatabaseKind::Postgres)
    } else {
        Err(ConfigError::new(format!(
            "unsupported database URL `{}`: use sqlite://PATH or postgres://USER@HOST/DB",
            redact_url(url)
        )))
    }
}

/// The CSP source that allows a tile URL template's images:
/// `https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png` → `https://*.tile.openstreetmap.org`.
pub fn tile_source(template: &str) -> Option<String> {
    let (scheme, rest) = template.split_once("://")?;
    if !matches!(scheme, "https" | "http") {
        return None;
    }
    let host = rest.split(['/', '?']).next()?;
    let host = host.replace("{s}", "*");
    let valid = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '*'));
    valid.then(|| format!("{scheme}://{host}"))
}

/// A database URL for messages and logs, without its password.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            let user = userinfo.split(':').next().unwrap_or_default();
            format!("{}://{}@{}", &url[..scheme_end], user, &url[at + 1..])
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_and_postgres_urls_are_recognised() {
        assert_eq!(
            database_kind("sqlite://data/x.db?mode=rwc"),
            Ok(DatabaseKind::Sqlite)
        );
        assert_eq!(
            database_kind("postgres://u@h/db"),
            Ok(DatabaseKind::Postgres)
        );
        assert_eq!(
            database_kind("postgresql://u@h/db"),
            Ok(DatabaseKind::Postgres)
        );
    }

    #[test]
    fn another_database_is_refused_with_a_clear_message() {
        let err = database_kind("mysql://root:hunter2@h/db").unwrap_err();
        assert!(err.0.contains("unsupported database URL"));
        assert!(
            !err.0.contains("hunter2"),
            "the password must not be echoed: {}",
            err.0
        );
    }

    #[test]
    fn a_tile_template_becomes_a_csp_source() {
        assert_eq!(
            tile_source("https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png").as_deref(),
            Some("https://*.tile.openstreetmap.org")
        );
        assert_eq!(
            tile_source("http://127.0.0.1:8080/{z}/{x}/{y}.png").as_deref(),
            Some("http://127.0.0.1:8080")
        );
        assert_eq!(tile_source("javascript:alert(1)"), None);
        assert_eq!(tile_source("https://evil.example'; script-src */x"), None);
    }

    #[test]
    fn passwords_are_removed_from_urls_in_messages() {
        assert_eq!(
            redact_url("postgres://u:secret@h:5432/db"),
            "postgres://u@h:5432/db"
        );
        assert_eq!(redact_url("sqlite://data/x.db"), "sqlite://data/x.db");
    }
}

/// How long a staff session lives.
#[derive(Debug, Clone, Copy)]
pub struct SessionPolicy {
    /// Signed out after this long without a request (ASVS 3.3.2: 30 min).
    pub idle: chrono::Duration,
    /// Signed out this long after signing in, whatever happens (12 h).
    pub absolute: chrono::Duration,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        Self {
            idle: chrono::Duration::minutes(30),
            absolute: chrono::Duration::hours(12),
        }
    }
}

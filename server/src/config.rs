//! Settings: parsed once from flags and environment, checked before anything
//! starts. A bad setting stops the program with a clear message (exit 2).

use crate::cli::SettingsArgs;
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
    pub session: crate::auth::session::SessionPolicy,
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
    pub deadlines: crate::cases::Deadlines,
    pub outbox: OutboxPolicy,
    /// Where department webhooks may go besides public addresses
    /// (`--webhook-allow`).
    pub webhook_allow: crate::egress::AllowList,
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
        }
    }
}

const MIB: usize = 1024 * 1024;
/// A report of the largest size must fit (`reports::MAX_BODY`).
const MIN_UPLOAD_BUDGET_MB: usize = crate::reports::MAX_BODY / MIB;
/// A 12-megapixel photo of any accepted kind needs up to about 140 MB (a
/// WebP with alpha), most far less.
const MIN_DECODE_BUDGET_MB: usize = 160;

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

impl TryFrom<SettingsArgs> for Settings {
    type Error = ConfigError;

    fn try_from(args: SettingsArgs) -> Result<Self, Self::Error> {
        if args.submit_burst == 0
            || args.submit_every_secs == 0
            || args.track_burst == 0
            || args.track_every_secs == 0
        {
            return Err(ConfigError::new("rate limits must be at least 1"));
        }
        if tile_source(&args.tile_url).is_none() {
            return Err(ConfigError::new(
                "--tile-url must be an https:// (or http://) URL template like https://{s}.tile.example.org/{z}/{x}/{y}.png",
            ));
        }
        if args.accept_days == 0
            || args.close_days == 0
            || args.max_extension_days == 0
            || args.reward_claim_days == 0
        {
            return Err(ConfigError::new(
                "--accept-days, --close-days, --max-extension-days and --reward-claim-days must be at least 1",
            ));
        }
        if args.upload_budget_mb < MIN_UPLOAD_BUDGET_MB {
            return Err(ConfigError::new(format!(
                "--upload-budget-mb must be at least {MIN_UPLOAD_BUDGET_MB}, the largest report"
            )));
        }
        if args.decode_budget_mb < MIN_DECODE_BUDGET_MB {
            return Err(ConfigError::new(format!(
                "--decode-budget-mb must be at least {MIN_DECODE_BUDGET_MB}: below that, ordinary photos could not be decoded"
            )));
        }
        if args.data_dir.as_os_str().is_empty() {
            return Err(ConfigError::new(
                "--data-dir / SHANSHUI_DATA_DIR must not be empty",
            ));
        }
        let database_url = match args.database_url.filter(|u| !u.trim().is_empty()) {
            Some(url) => url,
            None => {
                let path = args.data_dir.join("shanshui.db");
                format!("sqlite://{}?mode=rwc", path.display())
            }
        };
        let database_kind = database_kind(&database_url)?;
        let webhook_allow = crate::egress::AllowList::parse(&args.webhook_allow).map_err(|e| {
            ConfigError::new(format!("--webhook-allow / SHANSHUI_WEBHOOK_ALLOW: {e}"))
        })?;
        Ok(Settings {
            bind: args.bind,
            data_dir: args.data_dir,
            database_url,
            database_kind,
            site_root: args.site_root,
            log_format: args.log_format,
            request_timeout: Duration::from_secs(60),
            shutdown_grace: Duration::from_secs(20),
            limits: RateLimits {
                submit_burst: args.submit_burst,
                submit_every: Duration::from_secs(args.submit_every_secs),
                track_burst: args.track_burst,
                track_every: Duration::from_secs(args.track_every_secs),
                ..RateLimits::default()
            },
            photo_slots: default_photo_slots(),
            upload_budget: args.upload_budget_mb.saturating_mul(MIB),
            decode_budget: args.decode_budget_mb as u64 * MIB as u64,
            session: crate::auth::session::SessionPolicy {
                idle: chrono::Duration::minutes(i64::from(args.session_idle_minutes.max(1))),
                ..Default::default()
            },
            cookie_secure: args.cookie_secure,
            tile_url: args.tile_url,
            tile_attribution: args.tile_attribution,
            deadlines: crate::cases::Deadlines {
                accept_days: i64::from(args.accept_days),
                close_days: i64::from(args.close_days),
                max_extension_days: i64::from(args.max_extension_days),
                claim_days: i64::from(args.reward_claim_days),
                ..Default::default()
            },
            outbox: OutboxPolicy::default(),
            webhook_allow,
        })
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

    fn settings(args: &[&str]) -> Result<Settings, ConfigError> {
        use clap::Parser;
        let cli =
            crate::cli::Cli::try_parse_from(["shanshui"].iter().chain(args).chain(&["migrate"]))
                .map_err(|e| ConfigError::new(e.to_string()))?;
        Settings::try_from(cli.settings)
    }

    #[test]
    fn the_webhook_allow_list_is_read_from_a_comma_separated_flag() {
        let s = settings(&["--webhook-allow", "10.20.0.0/16,127.0.0.1"]).unwrap();
        assert_eq!(
            s.webhook_allow,
            crate::egress::AllowList::parse(&["10.20.0.0/16", "127.0.0.1/32"]).unwrap()
        );
        assert_eq!(
            settings(&[]).unwrap().webhook_allow,
            crate::egress::AllowList::default(),
            "empty by default"
        );
        let err = settings(&["--webhook-allow", "10.0.0.0/8,0.0.0.0/0"]).unwrap_err();
        assert!(
            err.0.contains("--webhook-allow") && err.0.contains("too wide"),
            "{err}"
        );
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

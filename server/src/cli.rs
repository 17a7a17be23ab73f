//! The command line: `shanshui serve | migrate | user create | api-key create
//! | demo | backup | restore`, with the settings flags accepted by every
//! subcommand.

use crate::config::{
    ConfigError, LogFormat, OutboxPolicy, RateLimits, Settings, database_kind, default_photo_slots,
    tile_source,
};
use crate::{api_keys, db, demo, startup::Application, telemetry, users};
use clap::{Args, Parser, Subcommand};
use shared::Role;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

#[derive(Debug, Parser)]
#[command(
    name = "shanshui",
    version,
    about = "山水 Shanshui — Banan District's environmental-complaint system"
)]
pub struct Cli {
    #[command(flatten)]
    pub settings: SettingsArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Settings, by flag or environment variable, accepted by every subcommand.
#[derive(Debug, Clone, Args)]
pub struct SettingsArgs {
    /// Address to listen on.
    #[arg(
        long,
        env = "SHANSHUI_BIND",
        default_value = "127.0.0.1:3000",
        global = true
    )]
    pub bind: SocketAddr,
    /// Address to serve Prometheus metrics (`/metrics`) on, apart from
    /// `--bind`: keep it on a private network. Off when unset.
    #[arg(long, env = "SHANSHUI_METRICS_BIND", global = true)]
    pub metrics_bind: Option<SocketAddr>,
    /// Directory for the embedded database, photos and keys.
    #[arg(
        long,
        env = "SHANSHUI_DATA_DIR",
        default_value = "./data",
        global = true
    )]
    pub data_dir: PathBuf,
    /// `sqlite://…` or `postgres://…`; default: SQLite in the data directory.
    #[arg(long, env = "DATABASE_URL", global = true)]
    pub database_url: Option<String>,
    /// The built front end (`/pkg`, CSS, icons), written by `cargo xtask`.
    #[arg(
        long,
        env = "SHANSHUI_SITE_ROOT",
        default_value = "target/site",
        global = true
    )]
    pub site_root: PathBuf,
    /// Log lines as human-readable text or as JSON objects.
    #[arg(
        long,
        env = "SHANSHUI_LOG_FORMAT",
        value_enum,
        default_value = "text",
        global = true
    )]
    pub log_format: LogFormat,
    /// Staff are signed out after this many minutes without a request.
    #[arg(
        long,
        env = "SHANSHUI_SESSION_IDLE_MINUTES",
        default_value_t = 30,
        global = true
    )]
    pub session_idle_minutes: u32,
    /// Mark the session cookie `Secure` (sent over HTTPS only; browsers
    /// also accept it on http://localhost). Turn off only for plain-HTTP tests.
    #[arg(long, env = "SHANSHUI_COOKIE_SECURE", default_value_t = true, action = clap::ArgAction::Set, global = true)]
    pub cookie_secure: bool,
    /// Map tiles for the report form, a Leaflet URL template.
    #[arg(long, env = "SHANSHUI_TILE_URL", default_value = app::TILE_URL, global = true)]
    pub tile_url: String,
    /// The tiles' attribution, shown on the map.
    #[arg(long, env = "SHANSHUI_TILE_ATTRIBUTION", default_value = app::TILE_ATTRIBUTION, global = true)]
    pub tile_attribution: String,
    /// Reports one client address may send at once before being slowed…
    #[arg(
        long,
        env = "SHANSHUI_SUBMIT_BURST",
        default_value_t = 10,
        global = true
    )]
    pub submit_burst: u32,
    /// …and then one more every this many seconds.
    #[arg(
        long,
        env = "SHANSHUI_SUBMIT_EVERY_SECS",
        default_value_t = 20,
        global = true
    )]
    pub submit_every_secs: u64,
    /// Tracking look-ups one client address may make at once…
    #[arg(
        long,
        env = "SHANSHUI_TRACK_BURST",
        default_value_t = 60,
        global = true
    )]
    pub track_burst: u32,
    /// …and then one more every this many seconds.
    #[arg(
        long,
        env = "SHANSHUI_TRACK_EVERY_SECS",
        default_value_t = 1,
        global = true
    )]
    pub track_every_secs: u64,
    /// Megabytes of report bodies (photos) the server holds at once, over
    /// every request; past it an upload is answered 503 with Retry-After.
    #[arg(
        long,
        env = "SHANSHUI_UPLOAD_BUDGET_MB",
        default_value_t = 96,
        global = true
    )]
    pub upload_budget_mb: usize,
    /// Megabytes all photo decodes at once may hold (each reserves its
    /// estimate; a photo that alone needs more is refused).
    #[arg(
        long,
        env = "SHANSHUI_DECODE_BUDGET_MB",
        default_value_t = 192,
        global = true
    )]
    pub decode_budget_mb: usize,
    /// Days a department has to accept or refuse a new case (受理时限).
    #[arg(
        long,
        env = "SHANSHUI_ACCEPT_DAYS",
        default_value_t = 15,
        global = true
    )]
    pub accept_days: u32,
    /// Days from the report to the approved reply (办结时限).
    #[arg(long, env = "SHANSHUI_CLOSE_DAYS", default_value_t = 60, global = true)]
    pub close_days: u32,
    /// The longest single extension of a case's deadline (延期).
    #[arg(
        long,
        env = "SHANSHUI_MAX_EXTENSION_DAYS",
        default_value_t = 30,
        global = true
    )]
    pub max_extension_days: u32,
    /// Days a reporter has to claim an approved reward (领奖期限).
    #[arg(
        long,
        env = "SHANSHUI_REWARD_CLAIM_DAYS",
        default_value_t = 60,
        global = true
    )]
    pub reward_claim_days: u32,
    /// Loopback and private ranges department webhooks may reach, as
    /// comma-separated CIDRs (e.g. 10.20.0.0/16); none by default.
    #[arg(
        long,
        env = "SHANSHUI_WEBHOOK_ALLOW",
        value_delimiter = ',',
        global = true
    )]
    pub webhook_allow: Vec<String>,
    /// Loopback and private addresses a Web Push endpoint may name, as
    /// comma-separated CIDRs; none by default (push services are public,
    /// over HTTPS). For a push service of one's own on the government
    /// network, or a test's.
    #[arg(
        long,
        env = "SHANSHUI_PUSH_ALLOW",
        value_delimiter = ',',
        global = true
    )]
    pub push_allow: Vec<String>,
    /// Who sends reporters' SMS: `log` keeps them in the database, for the
    /// console (the default); `tencent` sends through Tencent Cloud SMS,
    /// configured by the `SHANSHUI_TENCENT_*` variables (see the README).
    #[arg(
        long,
        env = "SHANSHUI_SMS_PROVIDER",
        value_enum,
        default_value = "log",
        global = true
    )]
    pub sms_provider: crate::config::SmsProviderKind,
    /// The contact push services may reach the operator at (the VAPID
    /// `sub`): a `mailto:` or `https://` URL.
    #[arg(
        long,
        env = "SHANSHUI_PUSH_CONTACT",
        default_value = "mailto:operator@shanshui.invalid",
        global = true
    )]
    pub push_contact: String,
    /// Where photos are kept: `<data-dir>/photos` when unset, or
    /// `s3://bucket/prefix` in S3-compatible object storage (AWS, MinIO,
    /// Ceph RGW, Aliyun OSS, Tencent COS), reached through the usual
    /// `AWS_ENDPOINT_URL`, `AWS_REGION`, `AWS_ACCESS_KEY_ID` and
    /// `AWS_SECRET_ACCESS_KEY` variables. Replicas must share one.
    #[arg(long, env = "SHANSHUI_PHOTO_STORE", global = true)]
    pub photo_store: Option<String>,
    /// The load balancers and reverse proxies in front of Shanshui, as
    /// comma-separated addresses or CIDRs: their `X-Forwarded-For` names
    /// the client that rate limits and sign-in throttling count. None by
    /// default (the header is then ignored).
    #[arg(
        long,
        env = "SHANSHUI_TRUSTED_PROXIES",
        value_delimiter = ',',
        global = true
    )]
    pub trusted_proxies: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web server (migrates the database first).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage staff accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage API keys (for Open311 clients).
    #[command(subcommand)]
    ApiKey(ApiKeyCommand),
    /// Load the demo data: Banan's departments, 街道 and 镇, routing rules
    /// and staff (idempotent), and — on a database without cases — a year
    /// of invented cases (演示数据) played through the real workflow.
    Demo {
        /// How many demo cases to file (0: none).
        #[arg(long, default_value_t = 3000)]
        cases: usize,
        /// The seed of the invented year (the same seed, the same cases).
        #[arg(long, default_value_t = 2026)]
        seed: u64,
    },
    /// Back up the database and the photo files, while the server runs,
    /// into a new or empty folder. The keys are left out on purpose: see
    /// the README.txt it writes.
    Backup {
        /// The folder to write: it must not exist or be empty.
        #[arg(long)]
        to: PathBuf,
    },
    /// Restore a backup onto the configured data directory and database,
    /// with the servers stopped. Every file is checked before anything is
    /// replaced; a refused restore changes nothing (exit code 2).
    Restore {
        /// The backup's folder.
        #[arg(long)]
        from: PathBuf,
        /// Replace a database that already holds data.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a staff account; the password comes from `SHANSHUI_PASSWORD`.
    Create {
        #[arg(long)]
        username: String,
        #[arg(long)]
        role: Role,
        /// The department's code (required for handlers).
        #[arg(long)]
        department: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum ApiKeyCommand {
    /// Create an API key and print it, alone, on standard output; with a
    /// callback URL or the `platform_12345` scope, its signing secret on a
    /// second line.
    Create {
        #[arg(long)]
        name: String,
        /// `open311` (file requests through Open311) or `platform_12345`
        /// (hand off the 12345 platform's work orders, signed).
        #[arg(long, value_enum, default_value = "open311")]
        scope: crate::api_keys::Scope,
        /// Told of every change of state of the cases filed with this key
        /// (`case.updated`), signed with the key's secret.
        #[arg(long)]
        callback_url: Option<String>,
    },
}

// The settings as flags and environment variables become `Settings` here,
// checked once: `config` holds what the server runs with and knows nothing
// of how it was given.

const MIB: usize = 1024 * 1024;
/// A report of the largest size must fit (`reports::MAX_BODY`).
const MIN_UPLOAD_BUDGET_MB: usize = crate::reports::MAX_BODY / MIB;
/// A 12-megapixel photo of any accepted kind needs up to about 140 MB (a
/// WebP with alpha), most far less.
const MIN_DECODE_BUDGET_MB: usize = 160;

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
        if !(args.push_contact.starts_with("mailto:") || args.push_contact.starts_with("https://"))
        {
            return Err(ConfigError::new(
                "--push-contact / SHANSHUI_PUSH_CONTACT must be a mailto: or https:// URL",
            ));
        }
        let webhook_allow = crate::egress::AllowList::parse(&args.webhook_allow).map_err(|e| {
            ConfigError::new(format!("--webhook-allow / SHANSHUI_WEBHOOK_ALLOW: {e}"))
        })?;
        let push_allow = crate::egress::AllowList::parse(&args.push_allow)
            .map_err(|e| ConfigError::new(format!("--push-allow / SHANSHUI_PUSH_ALLOW: {e}")))?;
        let trusted_proxies =
            crate::middleware::client_addr::TrustedProxies::parse(&args.trusted_proxies).map_err(
                |e| ConfigError::new(format!("--trusted-proxies / SHANSHUI_TRUSTED_PROXIES: {e}")),
            )?;
        let photo_store = match args.photo_store.filter(|u| !u.trim().is_empty()) {
            None => crate::storage::StoreLocation::DataDir,
            Some(url) => {
                crate::storage::s3::check_url(&url).map_err(|e| {
                    ConfigError::new(format!("--photo-store / SHANSHUI_PHOTO_STORE: {e}"))
                })?;
                crate::storage::StoreLocation::S3(crate::storage::S3Settings::from_env(url))
            }
        };
        Ok(Settings {
            bind: args.bind,
            metrics_bind: args.metrics_bind,
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
            session: crate::config::SessionPolicy {
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
            clock: crate::clock::Clock::system(),
            push_allow,
            sms_provider: args.sms_provider,
            push_contact: args.push_contact,
            photo_store,
            trusted_proxies,
        })
    }
}

/// Exit codes: 0 success, 1 a failure while running, 2 bad usage or settings.
pub fn run(cli: Cli) -> ExitCode {
    let settings = match Settings::try_from(cli.settings) {
        Ok(s) => s,
        Err(e) => return fail_config(&e),
    };
    telemetry::init(settings.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        match execute(cli.command, settings).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(CliError::Config(e)) => fail_config(&e),
            Err(CliError::Other(e)) => {
                eprintln!("error: {e:#}");
                ExitCode::FAILURE
            }
        }
    })
}

fn fail_config(e: &ConfigError) -> ExitCode {
    eprintln!("error: {e}");
    ExitCode::from(2)
}

pub enum CliError {
    Config(ConfigError),
    Other(anyhow::Error),
}

impl From<ConfigError> for CliError {
    fn from(e: ConfigError) -> Self {
        CliError::Config(e)
    }
}

impl From<anyhow::Error> for CliError {
    fn from(e: anyhow::Error) -> Self {
        CliError::Other(e)
    }
}

/// A refused backup or restore changed nothing: exit code 2, like bad
/// settings.
impl From<crate::backup::BackupError> for CliError {
    fn from(e: crate::backup::BackupError) -> Self {
        match e {
            crate::backup::BackupError::Refused(why) => CliError::Config(ConfigError::new(why)),
            crate::backup::BackupError::Failed(e) => CliError::Other(e),
        }
    }
}

async fn execute(command: Command, settings: Settings) -> Result<(), CliError> {
    match command {
        Command::Serve => {
            let app = Application::build(settings).await?;
            app.run_until_stopped().await?;
        }
        Command::Migrate => {
            let conn = db::connect_and_migrate(&settings).await?;
            conn.close().await.map_err(anyhow::Error::from)?;
            eprintln!("migrations applied");
        }
        Command::User(UserCommand::Create {
            username,
            role,
            department,
        }) => {
            let password = std::env::var("SHANSHUI_PASSWORD").map_err(|_| {
                ConfigError::new(
                    "set the new user's password in the environment variable SHANSHUI_PASSWORD",
                )
            })?;
            let conn = db::connect_and_migrate(&settings).await?;
            let new = users::NewUser {
                username,
                role,
                department,
                password,
            };
            let created = users::create(&conn, new, "cli", settings.clock.now()).await;
            conn.close().await.map_err(anyhow::Error::from)?;
            let user = created.map_err(|e| match e {
                users::UserError::Invalid(msg) => CliError::Config(ConfigError::new(msg)),
                other => CliError::Other(other.into()),
            })?;
            eprintln!("created user `{}` with role {}", user.username, user.role);
        }
        Command::ApiKey(ApiKeyCommand::Create {
            name,
            scope,
            callback_url,
        }) => {
            let conn = db::connect_and_migrate(&settings).await?;
            let pii =
                crate::privacy::keys::open(&settings.data_dir, &conn, settings.clock.now()).await?;
            let signer =
                crate::outbox::WebhookSigner::new(pii.derive_key(crate::outbox::SIGNING_KEY_LABEL));
            let new = api_keys::NewKey {
                name: &name,
                scope,
                callback_url: callback_url.as_deref(),
            };
            let created = api_keys::create_with(
                &conn,
                new,
                &settings.webhook_allow,
                Some(&signer),
                "cli",
                settings.clock.now(),
            )
            .await;
            conn.close().await.map_err(anyhow::Error::from)?;
            let created = created.map_err(|e| match e {
                api_keys::ApiKeyError::Invalid(msg) => CliError::Config(ConfigError::new(msg)),
                other => CliError::Other(other.into()),
            })?;
            // The key alone on stdout, so scripts can capture it; the secret
            // that signs (and checks) its messages on the next line where
            // there are any.
            println!("{}", created.key);
            if scope == api_keys::Scope::Platform12345 || callback_url.is_some() {
                println!("{}", created.signing_secret);
            }
        }
        Command::Backup { to } => {
            eprintln!("{}", crate::backup::backup(&settings, &to).await?);
        }
        Command::Restore { from, force } => {
            eprintln!("{}", crate::backup::restore(&settings, &from, force).await?);
        }
        Command::Demo { cases, seed } => {
            let conn = db::connect_and_migrate(&settings).await?;
            let summary = demo::load(&conn, settings.clock.now()).await;
            let staff = match &summary {
                Ok(_) => demo::load_staff(&conn, settings.clock.now()).await,
                Err(_) => Ok(None),
            };
            let played = match (&summary, &staff) {
                (Ok(_), Ok(_)) if cases > 0 => {
                    eprintln!("filing {cases} demo cases through the workflow…");
                    let pii =
                        crate::privacy::keys::open(&settings.data_dir, &conn, settings.clock.now())
                            .await?;
                    let store = crate::storage::open(&settings.photo_store, &settings.data_dir)
                        .await
                        .map_err(|e| ConfigError::new(format!("{e:#}")))?;
                    let parts = demo::cases::Parts {
                        db: &conn,
                        pii: &pii,
                        store: store.as_ref(),
                        deadlines: settings.deadlines,
                    };
                    Some(demo::cases::generate(&parts, cases, seed, settings.clock.now()).await)
                }
                _ => None,
            };
            conn.close().await.map_err(anyhow::Error::from)?;
            eprintln!("{}", summary?);
            if let Some(note) = staff? {
                eprintln!("{note}");
            }
            if let Some(played) = played {
                eprintln!("{}", played?);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(args: &[&str]) -> Result<Settings, ConfigError> {
        use clap::Parser;
        let cli =
            crate::cli::Cli::try_parse_from(["shanshui"].iter().chain(args).chain(&["migrate"]))
                .map_err(|e| ConfigError::new(e.to_string()))?;
        Settings::try_from(cli.settings)
    }

    #[test]
    fn metrics_are_off_unless_an_address_is_given() {
        assert_eq!(settings(&[]).unwrap().metrics_bind, None);
        let s = settings(&["--metrics-bind", "127.0.0.1:9464"]).unwrap();
        assert_eq!(s.metrics_bind, Some(([127, 0, 0, 1], 9464).into()));
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
}

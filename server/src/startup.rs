//! Building the application and running it until a signal stops it.

use crate::config::Settings;
use crate::middleware::rate_limit::Limiter;
use crate::photos::{PhotoLimits, PhotoPipeline};
use crate::state::{AppState, Limits};
use crate::storage::PhotoStore;
use crate::{api, db, health, middleware, web};
use anyhow::Context;
use axum::Router;
use axum::http::StatusCode;
use sea_orm::DatabaseConnection;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

pub struct Application {
    listener: TcpListener,
    router: Router,
    db: DatabaseConnection,
    settings: Arc<Settings>,
    signer: Arc<crate::outbox::WebhookSigner>,
    channels: Arc<crate::notify::Channels>,
    public_cache: Arc<middleware::public_cache::PublicCache>,
    announced: tokio::sync::mpsc::UnboundedReceiver<()>,
    /// `/metrics` on its own address, when `--metrics-bind` is given.
    metrics: Option<crate::metrics::Endpoint>,
    /// For the orphan sweep in `jobs`.
    photos: Arc<dyn PhotoStore>,
}

impl Application {
    /// Opens and migrates the database, binds the address and builds the
    /// router. Binding here (not in `run`) lets tests ask for port 0 and read
    /// the port back.
    pub async fn build(settings: Settings) -> Result<Self, crate::config::ConfigError> {
        let db = db::connect_and_migrate(&settings).await?;
        Self::build_with_db(settings, db).await
    }

    pub async fn build_with_db(
        settings: Settings,
        db: DatabaseConnection,
    ) -> Result<Self, crate::config::ConfigError> {
        let listener = TcpListener::bind(settings.bind).await.map_err(|e| {
            crate::config::ConfigError::new(format!("cannot listen on {}: {e}", settings.bind))
        })?;
        let metrics = match settings.metrics_bind {
            Some(addr) => Some(
                crate::metrics::Endpoint::bind(addr, db.clone(), settings.clock.clone()).await?,
            ),
            None => None,
        };
        let recorder = metrics.as_ref().map(crate::metrics::Endpoint::metrics);
        let pii = crate::privacy::keys::open(&settings.data_dir, &db, settings.clock.now()).await?;
        let signer = Arc::new(crate::outbox::WebhookSigner::new(
            pii.derive_key(crate::outbox::SIGNING_KEY_LABEL),
        ));
        let photos: Arc<dyn PhotoStore> =
            crate::storage::open(&settings.photo_store, &settings.data_dir)
                .await
                .map_err(|e| crate::config::ConfigError::new(format!("{e:#}")))?;
        let pipeline = PhotoPipeline::new(PhotoLimits::default(), settings.photo_slots)
            .with_decode_budget(settings.decode_budget)
            .with_timings(recorder.as_ref().map(|m| m.photos()));
        let uploads = crate::reports::upload::UploadBudget::new(settings.upload_budget);
        let limits = Limits {
            submit: Arc::new(Limiter::new(
                settings.limits.submit_burst,
                settings.limits.submit_every,
            )),
            track: Arc::new(Limiter::new(
                settings.limits.track_burst,
                settings.limits.track_every,
            )),
            nearby: Arc::new(Limiter::new(
                settings.limits.nearby_burst,
                settings.limits.nearby_every,
            )),
            sign_in: Arc::new(Limiter::new(20, std::time::Duration::from_secs(3))),
            recover: Arc::new(Limiter::new(
                settings.limits.recover_burst,
                settings.limits.recover_every,
            )),
        };
        let pii = Arc::new(pii);
        let channels = Arc::new(crate::notify::Channels {
            vapid: Arc::new(crate::notify::webpush::VapidKey::load_or_create(
                &settings.data_dir,
            )?),
            contact: settings.push_contact.clone(),
            sms: match settings.sms_provider {
                crate::config::SmsProviderKind::Log => Arc::new(crate::notify::log_sms::LogSms {
                    db: db.clone(),
                    clock: settings.clock.clone(),
                }),
                crate::config::SmsProviderKind::Tencent => {
                    Arc::new(crate::notify::sms::TencentSms::from_env().map_err(|e| {
                        crate::config::ConfigError::new(format!("--sms-provider tencent: {e}"))
                    })?)
                }
            },
            pii: pii.clone(),
        });
        if settings.sms_provider == crate::config::SmsProviderKind::Log {
            tracing::warn!(
                "SMS provider `log`: texts are not sent but kept for admins to read on /admin/messages, \
                 找回 codes included — for trying Shanshui; set --sms-provider tencent before residents use it"
            );
        }
        let settings = Arc::new(settings);
        // Replicas on one PostgreSQL database empty each other's public
        // cache (`cache_bus`); on SQLite the announcements go nowhere.
        let public_cache =
            middleware::public_cache::PublicCache::new(std::time::Duration::from_secs(10));
        let (announce, announced) = tokio::sync::mpsc::unbounded_channel();
        if settings.database_kind == crate::config::DatabaseKind::Postgres {
            public_cache.announce_to(announce);
        }
        let state = AppState {
            db: db.clone(),
            settings: settings.clone(),
            leptos: web::leptos_options(&settings),
            pii,
            signer: signer.clone(),
            pipeline: Arc::new(pipeline),
            uploads,
            photos: photos.clone(),
            limits,
            channels: channels.clone(),
            demo: crate::demo::flag::DemoFlag::default(),
            directory: crate::directory::held::HeldDirectory::new(public_cache.clone()),
            stats: crate::stats::held(public_cache.clone()),
            public_cache: public_cache.clone(),
        };
        let router = crate::metrics::instrument(build_router(state), recorder.as_ref());
        Ok(Self {
            listener,
            router,
            db,
            settings,
            signer,
            channels,
            public_cache,
            announced,
            metrics,
            photos,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().unwrap_or(self.settings.bind)
    }

    /// Where `/metrics` is served, if anywhere.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics.as_ref().and_then(|m| m.local_addr())
    }

    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    /// Serves until SIGTERM or SIGINT; in-flight requests then get
    /// `shutdown_grace` to finish, and the pool is closed.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        // The handlers go in before the server starts: axum polls its
        // shutdown future in a task of its own, which on a busy machine can
        // first run after `/readyz` has answered, and a SIGTERM in that gap
        // killed the process unhandled (CI saw it).
        let stop = shutdown_signal()?;
        self.run_until(stop).await
    }

    pub async fn run_until(
        self,
        stop: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let addr = self.local_addr();
        tracing::info!(%addr, database = ?self.settings.database_kind, "Shanshui is listening on http://{addr}");
        let grace = self.settings.shutdown_grace;
        let (stopping_tx, stopping_rx) = tokio::sync::oneshot::channel::<()>();
        let signal = async move {
            stop.await;
            tracing::info!("shutting down: finishing in-flight requests");
            let _ = stopping_tx.send(());
        };
        let server = axum::serve(
            self.listener,
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(signal);
        let server = tokio::spawn(async move { server.await });
        let mut server = server;
        // The webhook outbox worker lives as long as the server.
        let (outbox_stop, outbox_stopped) = tokio::sync::watch::channel(false);
        let jobs = tokio::spawn(crate::jobs::run(
            self.db.clone(),
            self.photos.clone(),
            self.settings.clock.clone(),
            outbox_stopped.clone(),
        ));
        let outbox = tokio::spawn(crate::outbox::run(
            self.db.clone(),
            self.settings.outbox,
            self.settings.webhook_allow.clone(),
            self.signer.clone(),
            self.settings.clock.clone(),
            outbox_stopped.clone(),
        ));
        let cache_bus = tokio::spawn(crate::cache_bus::run(
            self.db.clone(),
            self.public_cache.clone(),
            self.announced,
            outbox_stopped.clone(),
        ));
        let metrics = self
            .metrics
            .map(|m| tokio::spawn(m.serve(outbox_stopped.clone())));
        // And the reporters' messages (push and SMS).
        let messages = tokio::spawn(crate::notify::worker::run(
            self.db.clone(),
            self.settings.outbox,
            self.settings.push_allow.clone(),
            self.channels.clone(),
            self.settings.clock.clone(),
            outbox_stopped,
        ));
        tokio::select! {
            result = &mut server => { result.context("the server task failed")??; }
            _ = async {
                let _ = stopping_rx.await;
                tokio::time::sleep(grace).await;
            } => {
                tracing::warn!("in-flight requests did not finish within {grace:?}; stopping anyway");
                server.abort();
            }
        }
        let _ = outbox_stop.send(true);
        let _ = tokio::time::timeout(grace, outbox).await;
        let _ = tokio::time::timeout(grace, messages).await;
        let _ = tokio::time::timeout(grace, cache_bus).await;
        let _ = tokio::time::timeout(grace, jobs).await;
        if let Some(metrics) = metrics {
            let _ = tokio::time::timeout(grace, metrics).await;
        }
        self.db.close().await.context("closing the database")?;
        tracing::info!("stopped");
        Ok(())
    }
}

/// The router, with the public micro-cache it answers from.
pub fn build_router(state: AppState) -> Router {
    let public_cache = state.public_cache.clone();
    let timeout = state.settings.request_timeout;
    let router = Router::new()
        .merge(health::router())
        .merge(api::router(&state))
        .merge(crate::reports::photo_router())
        .merge(crate::disclosure::open_data_router())
        .merge(crate::open311::router(&state))
        .merge(web::router(&state))
        .layer(axum::middleware::from_fn(middleware::cache::static_files))
        .layer(axum::middleware::from_fn(
            middleware::csrf::cross_origin_protection,
        ));
    let tile_source = crate::config::tile_source(&state.settings.tile_url).unwrap_or_default();
    let headers = middleware::security_headers::Policy::new(&tile_source);
    let router = router.layer(axum::middleware::from_fn_with_state(
        headers,
        middleware::security_headers::layer,
    ));
    // Brotli at 5 for an answer the micro-cache keeps, zstd or a fast
    // brotli for one reader's; the release front end's files are
    // pre-compressed at build time.
    middleware::compression::layer(router)
        // Outside the compression, so a cached page is kept compressed.
        .layer(axum::middleware::from_fn_with_state(
            public_cache,
            middleware::public_cache::layer,
        ))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            timeout,
        ))
        // Before every limiter: who the client is behind trusted proxies.
        .layer(axum::middleware::from_fn_with_state(
            Arc::new(state.settings.trusted_proxies.clone()),
            middleware::client_addr::resolve,
        ))
        .layer(CatchPanicLayer::custom(crate::middleware::panic_response))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Listens for SIGTERM and SIGINT from the moment it is called, not from its
/// future's first poll.
fn shutdown_signal() -> anyhow::Result<impl std::future::Future<Output = ()> + Send + 'static> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut terminate = signal(SignalKind::terminate()).context("listening for SIGTERM")?;
        let mut interrupt = signal(SignalKind::interrupt()).context("listening for SIGINT")?;
        Ok(async move {
            tokio::select! {
                _ = terminate.recv() => {},
                _ = interrupt.recv() => {},
            }
        })
    }
    #[cfg(not(unix))]
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
    })
}

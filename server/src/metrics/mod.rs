//! Prometheus metrics (`GET /metrics`), for running Shanshui on more than one
//! machine (issue 16): how often each route is asked and how fast it
//! answers, how far behind the two outboxes are, how many cases are open and
//! late, how long photos take, and how full the database pool is — what an
//! operator watches and alerts on across replicas.
//!
//! They are served on a listener of their own (`--metrics-bind`, off by
//! default), never on the public address: the numbers are for the
//! operators' network, not for the internet. Nothing in them identifies a
//! reporter: requests are counted by route *template*
//! (`/api/v1/track/{code}`), never by the path a tracking code was typed
//! into.
//!
//! - [`http`]: the one middleware that counts and times requests;
//! - [`photos`]: the photo pipeline's stages;
//! - [`scrape`]: what the database knows (outboxes, cases, the pool), read
//!   when scraped with one aggregate query each, so no write pays for a
//!   metric.

mod http;
mod photos;
mod scrape;

pub use photos::{PhotoStage, PhotoTimings};

use crate::clock::Clock;
use crate::config::ConfigError;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use prometheus_client::encoding::prometheus_text;
use prometheus_client::registry::Registry;
use sea_orm::DatabaseConnection;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;

/// Every metric's name starts `shanshui_`.
const PREFIX: &str = "shanshui";

/// The metrics recorded as things happen; one per server.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    http: http::HttpMetrics,
    photos: PhotoTimings,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix(PREFIX);
        let http = http::HttpMetrics::register(&mut registry);
        let photos = PhotoTimings::register(&mut registry);
        Self {
            registry,
            http,
            photos,
        }
    }
}

impl Metrics {
    /// Where the photo pipeline records its stages.
    pub fn photos(&self) -> PhotoTimings {
        self.photos.clone()
    }
}

/// The router, counting and timing each request when metrics are on.
pub fn instrument(router: Router, metrics: Option<&Arc<Metrics>>) -> Router {
    match metrics {
        Some(metrics) => router.layer(axum::middleware::from_fn_with_state(
            metrics.clone(),
            http::record,
        )),
        None => router,
    }
}

/// The metrics listener, bound at start-up (a taken address stops the
/// server like a bad setting: exit 2) and served beside the main one.
pub struct Endpoint {
    listener: TcpListener,
    state: Scrape,
}

#[derive(Clone)]
struct Scrape {
    metrics: Arc<Metrics>,
    db: DatabaseConnection,
    clock: Clock,
}

impl Endpoint {
    pub async fn bind(
        addr: SocketAddr,
        db: DatabaseConnection,
        clock: Clock,
    ) -> Result<Self, ConfigError> {
        let listener = TcpListener::bind(addr).await.map_err(|e| {
            ConfigError::new(format!(
                "cannot listen on {addr} for metrics (--metrics-bind): {e}"
            ))
        })?;
        Ok(Self {
            listener,
            state: Scrape {
                metrics: Arc::new(Metrics::default()),
                db,
                clock,
            },
        })
    }

    pub fn metrics(&self) -> Arc<Metrics> {
        self.state.metrics.clone()
    }

    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.listener.local_addr().ok()
    }

    /// Serves `/metrics` until `stop` turns true.
    pub async fn serve(self, mut stop: tokio::sync::watch::Receiver<bool>) -> std::io::Result<()> {
        if let Some(addr) = self.local_addr() {
            tracing::info!(%addr, "metrics on http://{addr}/metrics");
        }
        let router = Router::new()
            .route("/metrics", get(metrics))
            .with_state(self.state);
        axum::serve(self.listener, router)
            .with_graceful_shutdown(async move {
                let _ = stop.wait_for(|stopped| *stopped).await;
            })
            .await
    }
}

/// The recorded metrics, then those read from the database now.
async fn metrics(State(scrape): State<Scrape>) -> Response {
    let now = scrape.clock.now();
    let read = scrape::read(&scrape.db, now).await;
    let mut body = String::new();
    let encoded = prometheus_text::encode(&mut body, &scrape.metrics.registry)
        .and_then(|()| prometheus_text::encode(&mut body, &read));
    match encoded {
        Ok(()) => (
            [(header::CONTENT_TYPE, prometheus_text::CONTENT_TYPE)],
            body,
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "cannot encode the metrics");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    /// As a taken `--bind` does: a message, and exit code 2.
    #[test]
    fn a_taken_metrics_address_stops_the_server_with_exit_code_2() {
        let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = taken.local_addr().unwrap().to_string();
        let dir = tempfile::tempdir().unwrap();
        let data_dir = dir.path().display().to_string();
        let database = format!("sqlite://{data_dir}/shanshui.db?mode=rwc");
        let cli = crate::cli::Cli::try_parse_from([
            "shanshui",
            "--data-dir",
            &data_dir,
            "--database-url",
            &database,
            "--bind",
            "127.0.0.1:0",
            "--metrics-bind",
            &addr,
            "serve",
        ])
        .unwrap();
        assert_eq!(crate::cli::run(cli), std::process::ExitCode::from(2));
    }
}

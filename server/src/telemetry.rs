//! Structured logs with `tracing`: text for people, JSON for collectors.
//! The level comes from `RUST_LOG` (default: info, and warn for dependencies).

use crate::config::LogFormat;
use tracing_subscriber::{EnvFilter, fmt, prelude::*};

pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn,tower_http=info"));
    let registry = tracing_subscriber::registry().with(filter);
    // `try_init`: tests start several servers in one process.
    let _ = match format {
        LogFormat::Text => registry
            .with(fmt::layer().with_writer(std::io::stderr))
            .try_init(),
        LogFormat::Json => registry
            .with(
                fmt::layer()
                    .json()
                    .with_current_span(true)
                    .with_writer(std::io::stderr),
            )
            .try_init(),
    };
}

//! The Leptos front end: server-rendered pages, the built WebAssembly and the
//! files of `public/`, and HTML 404s for unknown pages.

use crate::state::AppState;
use app::{App, OUTPUT_NAME, ShellConfig, shell};
use axum::Router;
use leptos::config::LeptosOptions;
use leptos_axum::{LeptosRoutes, generate_route_list};
use sha2::{Digest, Sha256};
use std::path::Path;

pub fn leptos_options(settings: &crate::Settings) -> LeptosOptions {
    LeptosOptions::builder()
        .output_name(OUTPUT_NAME)
        .site_root(settings.site_root.to_string_lossy().into_owned())
        .site_pkg_dir("pkg")
        .site_addr(settings.bind)
        .build()
}

/// Pages are rendered by the app's router; everything it does not know goes
/// to the fallback, which serves a static file or renders the app's 404.
pub fn router(state: &AppState) -> Router<AppState> {
    let version = asset_version(&state.settings.site_root);
    if version == "unbuilt" {
        tracing::warn!(
            site_root = %state.settings.site_root.display(),
            "the front end is not built: pages render but will not hydrate (run `cargo xtask build`)"
        );
    }
    let config = ShellConfig {
        asset_version: version,
        tile_url: state.settings.tile_url.clone(),
        tile_attribution: state.settings.tile_attribution.clone(),
    };
    let routes = generate_route_list(App);
    let page_shell = {
        let options = state.leptos.clone();
        let config = config.clone();
        move || shell(options.clone(), config.clone())
    };
    Router::new()
        .leptos_routes(state, routes, page_shell)
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(move |options| {
            shell(options, config.clone())
        }))
}

/// A digest of the built front end, so its URLs change when it does.
pub fn asset_version(site_root: &Path) -> String {
    let files = [
        format!("pkg/{OUTPUT_NAME}.js"),
        format!("pkg/{OUTPUT_NAME}_bg.wasm"),
        "style.css".to_owned(),
    ];
    let mut hasher = Sha256::new();
    for file in &files {
        match std::fs::read(site_root.join(file)) {
            Ok(bytes) => hasher.update(&bytes),
            Err(_) => return "unbuilt".to_owned(),
        }
    }
    hex::encode(&hasher.finalize()[..6])
}

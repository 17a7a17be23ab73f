//! The Leptos front end: server-rendered pages, the built WebAssembly and the
//! files of `public/`, and HTML 404s for unknown pages.

use crate::middleware::security_headers::CspNonce;
use crate::state::AppState;
use app::{App, OUTPUT_NAME, ShellConfig, shell};
use axum::Router;
use axum::http::{HeaderValue, Response, header};
use leptos::config::LeptosOptions;
use leptos_axum::{LeptosRoutes, generate_route_list};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use tower::ServiceBuilder;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

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
    // The built front end under a versioned path: wasm-bindgen's JS, the
    // chunk loader and the chunks import and fetch each other by relative
    // URLs, so a version in the directory reaches them all (a `?v=` on the
    // first import would not, and the loader would then import a second copy
    // of the main module). Old versions fall through to a 404.
    let immutable = |res: &Response<_>| {
        res.status()
            .is_success()
            .then(|| HeaderValue::from_static("public, max-age=31536000, immutable"))
    };
    let pkg = ServiceBuilder::new()
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            immutable,
        ))
        .service(
            ServeDir::new(state.settings.site_root.join("pkg"))
                .precompressed_br()
                .precompressed_gzip(),
        );
    let pkg_path = format!("/pkg/{version}");
    let config = ShellConfig {
        asset_version: version,
        tile_url: state.settings.tile_url.clone(),
        tile_attribution: state.settings.tile_attribution.clone(),
        demo: state.demo.shared(),
    };
    // One API router serves both of the pages' in-process uses: their
    // reads, and the tracking page's forms.
    let api_router: Router = crate::api::router(state).with_state(state.clone());
    let api = crate::in_process::api(api_router.clone());
    let routes = generate_route_list(App);
    let page_shell = {
        let options = state.leptos.clone();
        let config = config.clone();
        move || shell(options.clone(), config.clone())
    };
    let context = move || {
        leptos::prelude::provide_context(api.clone());
        provide_csp_nonce();
    };
    let pages = Router::new()
        .leptos_routes_with_context(state, routes, context.clone(), page_shell)
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            refresh_demo_flag,
        ));
    // The tracking page's forms post to the page itself, rendered by the
    // same route as its GET (see `track_page`).
    let track = crate::track_page::TrackPage {
        api: api_router,
        pages: pages.clone().with_state(state.clone()),
    };
    pages
        .route(
            "/track",
            axum::routing::post(move |request: axum::extract::Request| track.clone().post(request)),
        )
        .nest_service(&pkg_path, pkg)
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(context, move |options| {
            shell(options, config.clone())
        }))
}

/// Asks, at most once a minute, whether demo cases exist, before a page is
/// rendered with or without the banner; a failure keeps the last answer.
async fn refresh_demo_flag(
    axum::extract::State(state): axum::extract::State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    if let Err(e) = state
        .demo
        .refresh_if_stale(&state.db, state.settings.clock.now())
        .await
    {
        tracing::warn!(error = %e, "cannot tell whether demo cases exist");
    }
    next.run(request).await
}

/// Hands the nonce the security-headers layer put in the content security
/// policy to Leptos, which puts it on every inline script it writes (the
/// shell's loader, resource data). leptos_axum mints a nonce of its own
/// first; this replaces it, since only ours is in the policy.
fn provide_csp_nonce() {
    use leptos::prelude::{provide_context, use_context};
    let nonce = use_context::<axum::http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<CspNonce>().cloned());
    if let Some(CspNonce(value)) = nonce {
        provide_context(leptos::nonce::Nonce::from_value(value));
    }
}

/// A digest of the built front end — every file of `pkg/` (the main module,
/// its JS and snippets, the chunk loader and the chunks) and the CSS — so
/// its URLs change when it does.
pub fn asset_version(site_root: &Path) -> String {
    let pkg = site_root.join("pkg");
    let built = [
        format!("{OUTPUT_NAME}.js"),
        format!("{OUTPUT_NAME}_bg.wasm"),
    ];
    let mut files = Vec::new();
    if !built.iter().all(|f| pkg.join(f).is_file()) || files_under(&pkg, &mut files).is_err() {
        return "unbuilt".to_owned();
    }
    files.sort();
    files.push(site_root.join("style.css"));
    let mut hasher = Sha256::new();
    for file in &files {
        // The path too: a renamed chunk is a different build.
        hasher.update(
            file.strip_prefix(site_root)
                .unwrap_or(file)
                .as_os_str()
                .as_encoded_bytes(),
        );
        match std::fs::read(file) {
            Ok(bytes) => hasher.update(&bytes),
            Err(_) => return "unbuilt".to_owned(),
        }
    }
    hex::encode(&hasher.finalize()[..6])
}

fn files_under(dir: &Path, files: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            files_under(&path, files)?;
        } else {
            files.push(path);
        }
    }
    Ok(())
}

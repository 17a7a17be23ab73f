//! Shanshui's front end (山水前端). One Leptos app, rendered on the server by
//! `server` (feature `ssr`) and hydrated in the browser from WebAssembly
//! (feature `hydrate`, built by `cargo xtask`).

#![recursion_limit = "256"]

// Generates the `i18n` module from `locales/*.json` (zh-CN first, English
// second). A page adds its strings there; the compiler checks every key.
// The macro is deprecated in favour of `leptos_i18n_build` in build.rs, but
// that crate compiles ICU's data generator with network features for every
// build; the macro does the same job for plain strings at a fraction of it.
#[allow(deprecated)]
mod i18n_gen {
    leptos_i18n::load_locales!();
}
pub use i18n_gen::i18n;

mod browser;
mod components;
pub mod delivery;
mod format;
pub mod lang;
mod markup;
mod pages;
pub mod public_api;
mod send_queue;
#[cfg(feature = "ssr")]
mod shell;

pub use components::app::App;
#[cfg(feature = "ssr")]
pub use shell::{ShellConfig, shell};

/// What the server hands `/track` when one of its forms is posted to it
/// (the server's `track_page`).
#[cfg(feature = "ssr")]
pub mod track_page {
    pub use crate::pages::track::{LookupError, Posted, RecoverStep, Refused};
}

/// The name wasm-bindgen gives the bundle: `/pkg/shanshui.js` and
/// `/pkg/shanshui_bg.wasm`.
pub const OUTPUT_NAME: &str = "shanshui";

/// The report form's map tiles, unless the server is given another URL
/// (`--tile-url`, written into `<meta name="shanshui-tile-url">`).
/// The form works without tiles: the pin can still be placed on a blank map.
pub const TILE_URL: &str = "https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png";
pub const TILE_ATTRIBUTION: &str = "© OpenStreetMap contributors";

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // Lazy routes: hydration waits for the current page's chunk.
    leptos::mount::hydrate_lazy(App);
}

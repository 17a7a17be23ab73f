pub mod admin;
pub mod not_found;
pub mod notify;
pub mod report;

// The open-information pages are server-only (see `crate::delivery`): the
// browser never renders them, so the WebAssembly does not carry them.
#[cfg(feature = "ssr")]
pub mod cases;
#[cfg(feature = "ssr")]
pub mod home;
#[cfg(feature = "ssr")]
pub mod info;
#[cfg(feature = "ssr")]
pub mod stats;
#[cfg(feature = "ssr")]
pub mod track;

/// The pages a resident can open with no signal (离线使用): the service
/// worker keeps them and what they run on (see `public/sw.js`).
pub const OFFLINE_PAGES: [&str; 3] = ["/report", "/track", "/"];

/// Once a resident's page has settled (a few seconds after hydration, so
/// it does not compete with the page's own loading): the offline pages kept.
pub fn keep_offline() {
    leptos::prelude::set_timeout(
        || leptos::task::spawn_local(crate::browser::offline::keep(&OFFLINE_PAGES)),
        std::time::Duration::from_secs(3),
    );
}

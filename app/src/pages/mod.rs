pub mod admin;
pub mod followup;
pub mod not_found;
pub mod notify;
pub mod report;
pub mod track;

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

/// The pages a resident can open with no signal (离线使用): the service
/// worker keeps them and what they run on (see `public/sw.js`).
pub const OFFLINE_PAGES: [&str; 3] = ["/report", "/track", "/"];

/// Once a resident's page has settled (a few seconds after hydration, so
/// it does not compete with the page's own loading): the offline pages
/// kept, `also` loading the other page's code so it is kept too.
pub fn keep_offline<F>(also: impl FnOnce() -> F + 'static)
where
    F: Future<Output = ()> + 'static,
{
    leptos::prelude::set_timeout(
        move || {
            leptos::task::spawn_local(crate::browser::offline::keep(&OFFLINE_PAGES, also()));
        },
        std::time::Duration::from_secs(3),
    );
}

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

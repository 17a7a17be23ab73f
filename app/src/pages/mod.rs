pub mod admin;
pub mod not_found;
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

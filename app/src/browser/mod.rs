//! The browser (浏览器端): requests, uploads with progress, photos, location,
//! the map, local storage, the clipboard, the address bar.
//!
//! Pages call it from effects and event handlers, which run only after
//! hydration. The WebAssembly build (`hydrate`) gets the real thing
//! (`web/`); every other build (the server's `ssr`, the unit tests) gets
//! stand-ins with the same names and signatures that do nothing
//! (`server.rs`), so that a page compiles for both without a `cfg` at each
//! call. What a page holds on to (an HTTP error, an upload's answer, a
//! position) is the same type in both (`answers`).

mod answers;

#[cfg(feature = "hydrate")]
#[path = "web/mod.rs"]
mod imp;
#[cfg(not(feature = "hydrate"))]
#[path = "server.rs"]
mod imp;

pub use imp::*;

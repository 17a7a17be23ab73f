//! Types shared by the server and the WebAssembly front end.
//!
//! Nothing here may depend on tokio, axum or sea-orm: this crate is compiled
//! to WebAssembly as part of the front end.
//!
//! With the `openapi` feature (the server enables it) the DTOs also derive
//! `utoipa::ToSchema` for the API's OpenAPI document; the front end never
//! enables it, so utoipa stays out of the WebAssembly.

pub mod case;
pub mod catalogue;
pub mod directory;
pub mod disclosure;
pub mod enterprise;
pub mod error;
pub mod evidence;
pub mod followup;
pub mod geo;
pub mod info;
pub mod inspection;
pub mod notify;
pub mod report;
pub mod reward;
pub mod roles;
pub mod routing;
pub mod site;
pub mod workbench;

pub use error::{ApiError, ErrorBody, FieldError, FieldErrorCode};
pub use roles::Role;

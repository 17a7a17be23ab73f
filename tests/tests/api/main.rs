//! Black-box tests of the HTTP interface: one binary, one module per area.

mod auth;
mod directory;
mod errors;
mod health;
mod pages;
mod reports;
mod security;

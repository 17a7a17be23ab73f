//! Black-box tests of the HTTP interface: one binary, one module per area.

mod directory;
mod errors;
mod health;
mod pages;
mod reports;
mod security;

//! Black-box tests of the HTTP interface: one binary, one module per area.

mod auth;
mod cases;
mod directory;
mod disclosure;
mod errors;
mod health;
mod info;
mod open311;
mod openapi;
mod outbox;
mod pages;
mod reports;
mod rewards;
mod routing;
mod security;

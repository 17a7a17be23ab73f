//! Black-box tests of the HTTP interface: one binary, one module per area.

// A test's panic is its failure report: `unwrap`/`expect`, denied in the
// server's code (a request must never panic), are how these tests assert.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod auth;
mod backup;
mod cases;
mod catalogue;
mod compression;
mod corrections;
mod counts;
mod demo;
mod directory;
mod disclosure;
mod enforcement;
mod errors;
mod evidence;
mod followup;
mod handoff;
mod health;
mod info;
mod inspections;
mod intake;
mod ledger;
mod metrics;
mod notify;
mod open311;
mod openapi;
mod outbox;
mod pages;
mod photo_store;
mod plans;
mod replicas;
mod reports;
mod rewards;
mod routing;
mod security;
mod sites;
mod statistics;
mod sweep;
mod track_page;
mod workbench;

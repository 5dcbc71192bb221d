//! All integration tests of this crate, as modules of one test binary: one binary links
//! the dependencies once, where a binary per file linked them once each (slow to build and
//! gigabytes of disk).

mod bundle;
mod common;
mod doctor;
mod durability;
#[path = "support/telemetry_server.rs"]
mod harness;
mod otlp;
mod reload;
mod search_cli;
mod serve;
mod serve_config;
mod telemetry;

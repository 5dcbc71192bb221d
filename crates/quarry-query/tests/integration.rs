//! All integration tests of this crate, as modules of one test binary: one binary links
//! the dependencies once, where a binary per file linked them once each (slow to build and
//! gigabytes of disk).

mod common;
mod errors;
mod fields;
mod grammar;
mod pattern_types;
mod props;
mod quoting;
mod revs;
mod spec_examples;

//! All integration tests of this crate, as modules of one test binary: one binary links
//! the dependencies once, where a binary per file linked them once each (slow to build and
//! gigabytes of disk).

mod plan_props;
mod search_lib;
mod trace;

//! quarry-lang

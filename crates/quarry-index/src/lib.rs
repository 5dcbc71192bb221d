//! quarry-index

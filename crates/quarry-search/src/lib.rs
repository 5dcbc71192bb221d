//! quarry-search

//! Photo storage (being written).

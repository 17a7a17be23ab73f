//! The photo pipeline (being written).

//! Run-time `$(var)` expansion (placeholder, being written).

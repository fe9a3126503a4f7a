//! Executing activities; one file per activity kind.

pub mod debug;
pub mod script;

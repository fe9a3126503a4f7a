//! Reports: functions of the final [`RunReport`](crate::run::RunReport); they never reach back into the
//! runner. One module per format.

pub mod summary;

//! Checks and stores: what an activity's result must look like, and what is copied out of it.
//!
//! Results are data: every check yields a [`CheckFailure`] describing expected vs. actual (rendering
//! happens later, in reports). A request that could not be made at all is not a check failure; the
//! activity layer classifies those (timeout, connect) before checks run.

mod response;

pub use response::{ActivityResult, Response};

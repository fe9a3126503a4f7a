//! HAR import for `stressor init --har`: a browser recording (HAR 1.2, as written by the network panel
//! of Chrome, Firefox and Safari) becomes a list of activities for `main_sequence.yaml`.
//!
//! The steps follow the pipeline: [`model`] is the tolerant raw file, [`convert()`] turns its entries into
//! typed [`Activity`] values (base URL detection, skipping other origins, collating bursts of static
//! resources into `StaticRequests`) and counts what it did in [`ConversionStats`], and `render` writes
//! the YAML text. [`HarOptions`] holds the original tool's `--opts` settings.

mod convert;
mod error;
pub mod model;
mod options;
mod render;

pub use convert::{Activity, Body, Conversion, ConversionStats, RequestActivity, SourceInfo, StaticActivity, convert};
pub use error::HarError;
pub use options::{BaseUrlOption, HarOptions, OptionsError};
pub use render::render_sequence;

//! Errors of HAR import; each says what went wrong, where, and how to fix it.

use std::path::PathBuf;

/// A HAR file or an options file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum HarError {
    /// The file cannot be read.
    #[error("cannot read `{}`: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The file is not JSON, or not shaped like a HAR file.
    #[error(
        "{}:{line}:{column}: not a valid HAR file: {message} (export one from the browser's network panel: \"Save all as HAR\")",
        path.display()
    )]
    Json {
        /// The file.
        path: PathBuf,
        /// 1-based line of the problem.
        line: usize,
        /// 1-based column of the problem.
        column: usize,
        /// serde_json's description.
        message: String,
    },
    /// The `--opts` file is not valid.
    #[error("invalid options file `{}`: {reason}", path.display())]
    Options {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: super::options::OptionsError,
    },
    /// Nothing in the recording can become an activity.
    #[error("`{}` has no usable request: {reason}", path.display())]
    Empty {
        /// The file.
        path: PathBuf,
        /// Why, with a hint.
        reason: String,
    },
}

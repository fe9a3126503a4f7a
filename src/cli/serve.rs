//! `stressor serve [DIR] [--port N]`: the built-in target server in the foreground.

use super::args::ServeArgs;
use super::{Exit, Output};

/// Runs the command (wired to the target server once it lands).
pub fn run(_args: &ServeArgs, _out: Output) -> Exit {
    eprintln!("error: `serve` is not available in this build");
    Exit::Invalid
}

//! The `stressor` command line: argument parsing (clap), the commands, and the one place where errors
//! are rendered and turned into exit codes.
//!
//! Exit codes ([`Exit`]; `--help` and the manual's table in docs/src/diagnostics.md are generated from it): 0 pass, 1 failed (errors or thresholds), 2 invalid
//! usage or scenario (also: unreadable or unmergeable results files, a results file that cannot be
//! written), 3 interrupted, 4 inconclusive, 5 a coordinated run broke. `run`, `merge` and
//! `coordinate` exit with the verdict's code ([`crate::verdict::Verdict::exit_code`]), except that an
//! interrupted run exits with 3 and a coordinated shard with 0 once its results are delivered.

mod ab;
mod args;
mod compare;
mod coordinate;
mod init;
mod job_summary;
mod logging;
mod merge;
mod monitor;
mod observe;
mod progress;
mod reports;
mod run;
mod search;
mod serve;
mod service;
mod shard;
mod validate;

pub use args::{Cli, Command};

use clap::Parser;
use std::io::IsTerminal;
use std::process::ExitCode;

/// Named exit codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Exit {
    /// Everything passed.
    Pass = 0,
    /// The run had errors or failed thresholds.
    Failed = 1,
    /// Invalid usage or an invalid scenario.
    Invalid = 2,
    /// Stopped by Ctrl-C / SIGTERM.
    Interrupted = 3,
    /// The load generator itself was the bottleneck.
    Inconclusive = 4,
    /// A coordinated run broke: shards missing at the start (the coordinator), or the coordinator
    /// gone (a shard: its results are printed for `merge --from-logs`).
    Coordination = 5,
}

impl Exit {
    /// Every exit code, in order. `stressor --help` and the manual's table (docs/src/diagnostics.md,
    /// compared by `tests/it/docs.rs`) are made from this list, so neither can drift from the code.
    pub const ALL: [Exit; 6] = [
        Exit::Pass,
        Exit::Failed,
        Exit::Invalid,
        Exit::Interrupted,
        Exit::Inconclusive,
        Exit::Coordination,
    ];

    /// The process exit code.
    pub const fn code(self) -> u8 {
        self as u8
    }

    /// What the code means, in the words of `--help` and the manual.
    pub const fn meaning(self) -> &'static str {
        match self {
            Exit::Pass => "pass",
            Exit::Failed => "failed: errors, or thresholds not met",
            Exit::Invalid => "invalid usage or invalid scenario",
            Exit::Interrupted => "interrupted (Ctrl-C, SIGTERM, or the monitor's Stop button)",
            Exit::Inconclusive => {
                "inconclusive: the load generator was the bottleneck, or a comparison too noisy to tell"
            }
            Exit::Coordination => {
                "a coordinated run broke: shards missing at the start, or (a shard) the coordinator gone; its results are printed"
            }
        }
    }

    /// The list as `--help` ends with it: one line per code.
    pub fn help_text() -> String {
        let mut text = String::from("Exit codes:");
        for e in Exit::ALL {
            text.push_str(&format!("\n  {}  {}", e.code(), e.meaning()));
        }
        text
    }
}

impl From<crate::verdict::Verdict> for Exit {
    fn from(v: crate::verdict::Verdict) -> Self {
        match v {
            crate::verdict::Verdict::Pass => Exit::Pass,
            crate::verdict::Verdict::Failed => Exit::Failed,
            crate::verdict::Verdict::Inconclusive => Exit::Inconclusive,
            crate::verdict::Verdict::Stopped => Exit::Interrupted,
        }
    }
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> Self {
        ExitCode::from(e as u8)
    }
}

/// Output settings shared by all commands.
#[derive(Clone, Copy, Debug)]
pub struct Output {
    /// Use ANSI colours.
    pub color: bool,
    /// -v count minus -q count.
    pub verbosity: i8,
}

impl Output {
    fn from_cli(cli: &Cli) -> Self {
        let color = !cli.global.no_color
            && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            && std::io::stderr().is_terminal();
        Output {
            color,
            verbosity: cli.global.verbose as i8 - cli.global.quiet as i8,
        }
    }
}

/// The multi-threaded tokio runtime commands run on; a failure is reported here, once.
fn runtime() -> Result<tokio::runtime::Runtime, Exit> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|err| {
            eprintln!("error: cannot start the async runtime: {err}");
            Exit::Failed
        })
}

/// Runs the CLI with the process arguments.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // Printed here rather than by clap, so that `stressor run -V` says `stressor`, not `stressor-run`.
        Err(err) if err.kind() == clap::error::ErrorKind::DisplayVersion => {
            if verbose_in_args() {
                print!("{}", long_version());
            } else {
                println!("stressor {}", env!("CARGO_PKG_VERSION"));
            }
            return ExitCode::SUCCESS;
        }
        Err(err) => {
            let code = if err.use_stderr() { Exit::Invalid as i32 } else { 0 };
            let _ = err.print();
            return ExitCode::from(code as u8);
        }
    };
    let out = Output::from_cli(&cli);
    match logging::init(&cli.global, out.color) {
        Ok(Some(path)) => tracing::debug!("stressor {}: logging to {}", env!("CARGO_PKG_VERSION"), path.display()),
        Ok(None) => {}
        Err(message) => {
            eprintln!("error: {message}");
            return Exit::Invalid.into();
        }
    }
    // Only the command's name: its arguments may hold secrets (`-o user.password:...`).
    let name = match &cli.command {
        Command::Run(_) => "run",
        Command::Merge(_) => "merge",
        Command::Coordinate(_) => "coordinate",
        Command::Compare(_) => "compare",
        Command::Ab(_) => "ab",
        Command::Search(_) => "search",
        Command::Validate(_) => "validate",
        Command::Serve(_) => "serve",
        Command::Init(_) => "init",
    };
    tracing::debug!("command: {name}");
    let exit = match &cli.command {
        Command::Run(args) => run::run(args, out),
        Command::Merge(args) => merge::run(args, out),
        Command::Coordinate(args) => coordinate::run(args, out),
        Command::Compare(args) => compare::run(args, out),
        Command::Ab(args) => ab::run(args, out),
        Command::Search(args) => search::run(args, out),
        Command::Validate(args) => validate::run(args, out),
        Command::Serve(args) => serve::run(args, out),
        Command::Init(args) => init::run(args, out),
    };
    tracing::debug!("exit code {}", exit as u8);
    exit.into()
}

/// clap stops at `-V` before it counts `-v`, so `stressor -V -v` is recognised from the raw arguments:
/// `--verbose`, or a cluster of short flags that contains `v` (`-v`, `-vV`, `-Vv`).
fn verbose_in_args() -> bool {
    std::env::args().skip(1).take_while(|a| a != "--").any(|a| {
        a == "--verbose"
            || a.strip_prefix('-').is_some_and(|s| {
                !s.starts_with('-') && s.contains('v') && s.chars().all(|c| matches!(c, 'v' | 'V' | 'q'))
            })
    })
}

/// `stressor -V -v`: the version and how this binary was built (set by build.rs).
fn long_version() -> String {
    format!(
        "stressor {}\ncommit:  {}\nrustc:   {}\ntarget:  {}\nprofile: {}\n",
        env!("CARGO_PKG_VERSION"),
        env!("STRESSOR_BUILD_COMMIT"),
        env!("STRESSOR_BUILD_RUSTC"),
        env!("STRESSOR_BUILD_TARGET"),
        env!("STRESSOR_BUILD_PROFILE"),
    )
}

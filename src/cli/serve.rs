//! `stressor serve [DIR] [--port N]`: the built-in target server in the foreground until Ctrl-C.
//!
//! The first line on stdout is `listening on http://127.0.0.1:PORT`, so scripts and tests started with
//! `--port 0` can read the port that was picked.

use super::args::ServeArgs;
use super::{Exit, Output};
use crate::target::{TargetConfig, TargetServer};
use std::io::Write as _;
use std::net::{Ipv4Addr, SocketAddr};

/// Runs the command.
pub fn run(args: &ServeArgs, out: Output) -> Exit {
    let runtime = match super::runtime() {
        Ok(rt) => rt,
        Err(exit) => return exit,
    };
    let config = TargetConfig {
        root: args.dir.clone(),
        addr: SocketAddr::from((Ipv4Addr::LOCALHOST, args.port)),
    };
    runtime.block_on(async move {
        let server = match TargetServer::start(config).await {
            Ok(server) => server,
            Err(err) => {
                eprintln!("error: {err}");
                return Exit::Invalid;
            }
        };
        let root = args
            .dir
            .as_ref()
            .map_or_else(|| "built-in demo files".to_string(), |d| d.display().to_string());
        println!("listening on {}", server.url());
        let _ = std::io::stdout().flush();
        if out.verbosity >= 0 {
            eprintln!("serving {root}; press Ctrl-C to stop");
        }
        let _ = tokio::signal::ctrl_c().await;
        let handled = server.requests();
        server.shutdown().await;
        if out.verbosity >= 0 {
            eprintln!("stopped after {handled} requests");
        }
        Exit::Pass
    })
}

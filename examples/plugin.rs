//! Registers an activity written in Rust (`Probe`) and runs a YAML scenario that uses it
//! (`examples/plugin.yaml`) against the built-in target server started in this process. Prints the
//! summary; exits 0 pass, 1 failed, 2 when the scenario is invalid.
//!
//! ```text
//! cargo run --example plugin
//! ```

use serde::Deserialize;
use serde_json::{Value, json};
use std::path::Path;
use std::process::ExitCode;
use stressor::activity::plugin::{Activity, PluginContext, Registry};
use stressor::activity::{ActivityError, ErrorClass};
use stressor::report::summary;
use stressor::run::RunOptions;
use stressor::scenario::{LoadOptions, load_file};
use stressor::target::{TargetConfig, TargetServer};
use stressor::verdict::Judgement;

/// GETs `path` (relative to `config.base_url`) `attempts` times and fails unless every answer has the
/// status `expect`. Its result, `{"status": .., "attempts": ..}`, can be checked and stored like any
/// activity's.
struct Probe;

/// `Probe`'s arguments, checked when the scenario is loaded.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProbeArgs {
    path: String,
    expect: u16,
    #[serde(default = "one")]
    attempts: u32,
}

fn one() -> u32 {
    1
}

impl Activity for Probe {
    const NAME: &'static str = "Probe";
    type Args = ProbeArgs;

    async fn run(&self, args: ProbeArgs, mut ctx: PluginContext<'_>) -> Result<Value, ActivityError> {
        let base = ctx.base_url().unwrap_or_default().trim_end_matches('/').to_string();
        let url = format!("{base}{}", args.path);
        let mut status = 0;
        for _ in 0..args.attempts {
            let response = ctx
                .http()?
                .get(&url)
                .send()
                .await
                .map_err(|e| ActivityError::new(ErrorClass::Connect, format!("GET {url}: {e}")))?;
            status = response.status().as_u16();
            let body = response
                .bytes()
                .await
                .map_err(|e| ActivityError::new(ErrorClass::Connect, format!("GET {url}: {e}")))?;
            ctx.count_bytes(0, body.len() as u64);
            if status != args.expect {
                return Err(ActivityError::new(
                    ErrorClass::Status,
                    format!("GET {url}: status {status}, expected {}", args.expect),
                ));
            }
        }
        Ok(json!({"status": status, "attempts": args.attempts}))
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let registry = match Registry::new().register(Probe) {
        Ok(r) => r,
        Err(err) => {
            eprintln!("error: {err}");
            return ExitCode::from(2);
        }
    };
    let server = match TargetServer::start(TargetConfig::default()).await {
        Ok(s) => s,
        Err(err) => {
            eprintln!("error: cannot start the target server: {err}");
            return ExitCode::from(2);
        }
    };
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/plugin.yaml");
    let options = LoadOptions {
        overrides: vec![format!("base_url:{}", server.url()).into()],
        ..LoadOptions::default()
    }
    .with_plugins(registry.clone());
    let loaded = load_file(&path, &options);
    eprint!("{}", loaded.render(false));
    let Some(scenario) = loaded.scenario else {
        return ExitCode::from(2);
    };
    let report = match stressor::run(scenario.clone(), RunOptions::default().with_activities(registry)).await {
        Ok(r) => r,
        Err(err) => {
            eprintln!("error: {err}");
            return ExitCode::from(2);
        }
    };
    let judgement = Judgement::of(&scenario, report);
    print!("{}", summary::render(&judgement, false));
    ExitCode::from(judgement.exit_code())
}

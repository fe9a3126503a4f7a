//! Builds a scenario in Rust (no YAML), runs it against the built-in target server started in this
//! process, prints the summary and exits like `stressor run`: 0 pass, 1 failed, 2 could not run.
//!
//! ```text
//! cargo run --example builder
//! ```

use serde_json::json;
use std::process::ExitCode;
use stressor::report::summary;
use stressor::run::RunOptions;
use stressor::scenario::ScenarioBuilder;
use stressor::target::{TargetConfig, TargetServer};
use stressor::verdict::Judgement;

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::from(2)
        }
    }
}

async fn run() -> Result<ExitCode, Box<dyn std::error::Error>> {
    let server = TargetServer::start(TargetConfig::default()).await?;
    let scenario = ScenarioBuilder::new("builder-example")
        .base_url(server.url())
        .sessions(3)
        .user("ann", "ann-secret")
        .user("bob", "bob-secret")
        .sequence("init", |s| {
            s.post("/login")
                .name("login")
                .arg("data", json!({"name": "$(user.name)", "password": "$(user.password)"}))
                .assert_json("status", "ok")
                .store_json("user_guid", "result.user_guid")
        })
        .sequence("main", |s| {
            s.get("/")
                .name("index")
                .assert_match("Index of /")
                .post("/echo")
                .name("echo")
                .header("X-User-Guid", "$(user_guid)")
                .json(json!({"session": "$(session_id)", "n": 1}))
                .assert_json("json.n", 1)
        })
        .repeat("init", 1)
        .repeat("main", 20)
        .threshold("p95", "500ms")
        .threshold("error_rate", 0)
        .build()
        .map_err(|e| e.render(false))?;

    let report = stressor::run(scenario.clone(), RunOptions::default()).await?;
    let judgement = Judgement::of(&scenario, report);
    print!("{}", summary::render(&judgement, false));
    Ok(ExitCode::from(judgement.exit_code()))
}

//! `stressor init DIR [--har FILE] [--opts FILE] [--force]`: writes a scenario folder in the original's
//! layout: `scenario.yaml` `$load`s `users.yaml` and `main_sequence.yaml`.
//!
//! Without a HAR file the scaffold is a working example against the built-in target server (its
//! default address is `stressor serve`'s); with one, `main_sequence.yaml` is the recording converted
//! by [`crate::har`] and `base_url` its origin. Nothing is written when any of the three files exists,
//! unless `--force`.

use super::args::InitArgs;
use super::{Exit, Output};
use crate::har::{self, Conversion, HarOptions};
use crate::rfc3339::format_rfc3339;
use std::path::PathBuf;

/// `stressor serve`'s default address, so `stressor serve` + `stressor run DIR` work together.
const DEFAULT_BASE_URL: &str = "http://127.0.0.1:8082";

const USERS: &str = "\
# Virtual users: session 1 gets the first user, session 2 the second, and so on (round robin).
# Activities read them as $(user.name) and $(user.password); other keys work too ($(user.KEY)).
- name: User_1
  password: secret
- name: User_2
  password: guessme
";

const DEMO_SEQUENCE: &str = "\
# The main sequence: each session repeats it until `duration` (in scenario.yaml) has passed.
# It works as written against the built-in target server; replace it with your own requests.
- activity: GetRequest
  name: home
  url: /
  assert_html: {'//img[@class=\"logo\"]': true}
- activity: GetRequest
  name: test1
  url: /test1.json
  assert_json: {foo: bar}
- activity: $sleep(0.1, 0.3)
";

/// The three files, in writing order (`scenario.yaml` last: it is the one that refers to the others).
const FILES: [&str; 3] = ["users.yaml", "main_sequence.yaml", "scenario.yaml"];

/// Runs the command.
pub fn run(args: &InitArgs, out: Output) -> Exit {
    match init(args, out) {
        Ok(()) => Exit::Pass,
        Err(message) => {
            eprintln!("error: {message}");
            Exit::Invalid
        }
    }
}

fn init(args: &InitArgs, out: Output) -> Result<(), String> {
    let dir = &args.dir;
    if dir.exists() && !dir.is_dir() {
        return Err(format!("`{}` exists and is not a folder", dir.display()));
    }
    let paths: Vec<PathBuf> = FILES.iter().map(|f| dir.join(f)).collect();
    // Checked before anything is written, so a refusal leaves the folder as it was.
    if !args.force {
        let existing: Vec<String> = paths
            .iter()
            .filter(|p| p.exists())
            .map(|p| format!("`{}`", p.display()))
            .collect();
        if !existing.is_empty() {
            return Err(format!(
                "{} already exist(s); nothing was written (use --force to overwrite, or choose another folder)",
                existing.join(", ")
            ));
        }
    }
    // The HAR file is converted before the folder is created, so a bad recording leaves nothing behind.
    let conversion = match &args.har {
        Some(har_path) => {
            let opts = match &args.opts {
                Some(path) => HarOptions::from_file(path).map_err(|e| e.to_string())?,
                None => HarOptions::default(),
            };
            Some(har::convert(har_path, &opts).map_err(|e| e.to_string())?)
        }
        None => None,
    };
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create the folder `{}`: {e}", dir.display()))?;
    let now = format_rfc3339(std::time::SystemTime::now());
    let name = dir
        .canonicalize()
        .ok()
        .and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "scenario".to_string());
    let sequence = match (&conversion, &args.har) {
        (Some(conv), Some(har_path)) => har::render_sequence(conv, &har_path.display().to_string(), &now),
        _ => DEMO_SEQUENCE.to_string(),
    };
    let scenario = scenario_text(&name, conversion.as_ref(), &now);
    for (path, text) in paths.iter().zip([USERS, sequence.as_str(), scenario.as_str()]) {
        std::fs::write(path, text).map_err(|e| format!("cannot write `{}`: {e}", path.display()))?;
        tracing::info!("wrote {} ({} bytes)", path.display(), text.len());
    }
    if out.verbosity >= 0 {
        report(args, conversion.as_ref());
    }
    Ok(())
}

/// What was made, and what to do next (stdout: it is the command's result).
fn report(args: &InitArgs, conversion: Option<&Conversion>) {
    let dir = args.dir.display();
    println!("Created {dir}/scenario.yaml, {dir}/users.yaml and {dir}/main_sequence.yaml");
    if let (Some(conv), Some(har_path)) = (conversion, &args.har) {
        let s = &conv.stats;
        println!(
            "Imported {}: {} entries -> {} activities ({} URLs collated into {} StaticRequests), {} external URL(s) skipped (-v lists them), {} unusable; base URL {}",
            har_path.display(),
            s.entries_total,
            s.activities,
            s.collated_urls,
            s.collated_activities,
            s.external_skipped,
            s.unusable,
            conv.base_url
        );
        println!("Next: stressor validate {dir}   then   stressor run {dir}");
    } else {
        println!("Next: stressor run {dir} --serve   (or start `stressor serve` and run `stressor run {dir}`)");
    }
}

fn scenario_text(name: &str, conversion: Option<&Conversion>, now: &str) -> String {
    let base_url = conversion.map_or(DEFAULT_BASE_URL, |c| c.base_url.as_str());
    let (init, thresholds) = match conversion {
        // A recording's login cannot be guessed, so `init` is a placeholder; its latencies are unknown,
        // so the thresholds are examples to adapt.
        Some(_) => (
            "    # Log in here; `init` runs once per session before `main`.\n    - activity: $sleep(0.1)\n",
            "# thresholds:\n#   p95: 1s\n#   error_rate: 1%\n",
        ),
        None => (
            "    - activity: PostRequest\n      name: login\n      url: /login\n      data: {name: $(user.name), password: $(user.password)}\n      assert_json: {status: ok}\n      store_json: {user_guid: result.user_guid}\n      # What a dry run (`stressor run -n`) stores instead of a real answer.\n      mock_result: {status: ok, result: {user_guid: dry-run}}\n",
            "thresholds:\n  p95: 1s\n  error_rate: 1%\n",
        ),
    };
    format!(
        "\
# stressor scenario, created by `stressor init` on {now}.
# Check it: stressor validate <this folder>. Run it: stressor run <this folder>
# The file format is described in stressor's manual, docs/src/reference/index.md (\"Scenario format reference\").
file_version: stressor#0

config:
  name: {name}
  base_url: {base_url}
  request_timeout: 10s
  max_errors: 100

sessions:
  users: $load(users.yaml)
  count: 3
  ramp_up_delay: 100ms

scenario:
  - sequence: init
  - sequence: main
    duration: 5s
  - sequence: end

sequences:
  init:
{init}  main: $load(main_sequence.yaml)
  end:
    - activity: $sleep(0.1)

{thresholds}",
        name = yaml_string(name),
        base_url = yaml_string(base_url),
    )
}

/// A string as a YAML double-quoted scalar (a JSON string is one), whatever it contains.
fn yaml_string(text: &str) -> String {
    serde_json::Value::String(text.to_string()).to_string()
}

//! The Kubernetes manifests under `deploy/kubernetes/` (no cluster here, so what can be checked
//! without one): each document parses, the example scenario in the ConfigMap is a valid scenario,
//! and the settings that must agree do: the shard count in its three places, the scenario's mount
//! path, and the results files the run writes and the merge job reads.

use serde_json::Value;
use std::path::Path;

fn documents(path: &str) -> Vec<Value> {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).expect(path);
    text.split("\n---\n")
        .map(|doc| serde_saphyr::from_str::<Value>(doc).unwrap_or_else(|e| panic!("{path}: {e}")))
        .collect()
}

fn of_kind<'a>(docs: &'a [Value], kind: &str) -> &'a Value {
    docs.iter()
        .find(|d| d["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind}"))
}

#[test]
fn the_sharded_job_is_consistent_and_its_scenario_valid() {
    let docs = documents("deploy/kubernetes/stressor-job.yaml");
    let scenario = of_kind(&docs, "ConfigMap")["data"]["scenario.yaml"]
        .as_str()
        .expect("scenario.yaml in the ConfigMap");
    let loaded = stressor::scenario::load_str(Path::new("scenario.yaml"), scenario.to_string(), &Default::default());
    assert!(!loaded.diagnostics.has_errors(), "{}", loaded.render(false));

    let job = &of_kind(&docs, "Job")["spec"];
    assert_eq!(job["completionMode"], "Indexed");
    assert_eq!(job["backoffLimit"], 0, "a shard must never run twice");
    let container = &job["template"]["spec"]["containers"][0];
    let env_value = |name: &str| {
        container["env"]
            .as_array()
            .and_then(|e| e.iter().find(|v| v["name"] == name))
            .unwrap_or_else(|| panic!("env {name}"))
            .clone()
    };
    let shards = env_value("JOB_COMPLETIONS")["value"]
        .as_str()
        .and_then(|v| v.parse::<u64>().ok())
        .expect("JOB_COMPLETIONS");
    assert_eq!(job["completions"].as_u64(), Some(shards));
    assert_eq!(job["parallelism"].as_u64(), Some(shards));
    assert_eq!(
        env_value("JOB_COMPLETION_INDEX")["valueFrom"]["fieldRef"]["fieldPath"],
        "metadata.annotations['batch.kubernetes.io/job-completion-index']"
    );
    let args: Vec<&str> = container["args"]
        .as_array()
        .expect("args")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(
        args,
        [
            "run",
            "--out",
            "/results/shard-$(JOB_COMPLETION_INDEX).json",
            "/scenario/scenario.yaml"
        ]
    );
    let mounts = container["volumeMounts"].as_array().expect("mounts");
    assert!(
        mounts
            .iter()
            .any(|m| m["mountPath"] == "/scenario" && m["name"] == "scenario")
    );
    assert!(
        mounts
            .iter()
            .any(|m| m["mountPath"] == "/results" && m["name"] == "results")
    );

    let merge = documents("deploy/kubernetes/stressor-merge.yaml");
    let merge_args = merge[0]["spec"]["template"]["spec"]["containers"][0]["args"][0]
        .as_str()
        .expect("merge command");
    assert_eq!(
        merge_args,
        "stressor merge --out /results/merged.json /results/shard-*.json"
    );
}

//! The Kubernetes manifest under `deploy/kubernetes/` (no cluster or container runtime here, so what
//! can be checked without one): it validates against the Kubernetes 1.33 API schema
//! (`kubernetes-validate --strict`, installed by `.ci/run`), its example scenario is valid, and the
//! settings that must agree do — the shard count in its three places, the coordinator's name, port
//! and token, and the Job's failure and success policies.

use crate::common;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

const JOB: &str = "deploy/kubernetes/stressor-job.yaml";

fn path(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

fn documents(relative: &str) -> Vec<Value> {
    let text = std::fs::read_to_string(path(relative)).expect(relative);
    text.split("\n---\n")
        .map(|doc| serde_saphyr::from_str::<Value>(doc).unwrap_or_else(|e| panic!("{relative}: {e}")))
        .collect()
}

fn of_kind<'a>(docs: &'a [Value], kind: &str) -> &'a Value {
    docs.iter()
        .find(|d| d["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind}"))
}

#[test]
fn the_manifest_validates_against_kubernetes_1_33() {
    if !common::available(
        Command::new("kubernetes-validate").arg("--version"),
        "kubernetes-validate (pip install kubernetes-validate)",
    ) {
        return;
    }
    let out = Command::new("kubernetes-validate")
        .args(["--strict", "--kubernetes-version", "1.33"])
        .arg(path(JOB))
        .output()
        .expect("run kubernetes-validate");
    let text = common::output_text(&out);
    assert!(out.status.success(), "{text}");
    for resource in ["configmap/stressor-scenario", "service/stressor", "job/stressor"] {
        assert!(
            text.contains(&format!("passed for resource {resource} against version 1.33")),
            "{text}"
        );
    }
}

#[test]
fn the_coordinated_job_is_consistent_and_its_scenario_valid() {
    let docs = documents(JOB);
    assert!(
        docs.iter().all(|d| d["kind"] != "PersistentVolumeClaim"),
        "no shared volume: results travel over HTTP"
    );
    let scenario = of_kind(&docs, "ConfigMap")["data"]["scenario.yaml"]
        .as_str()
        .expect("scenario.yaml in the ConfigMap");
    let loaded = stressor::scenario::load_str(Path::new("scenario.yaml"), scenario.to_string(), &Default::default());
    assert!(!loaded.diagnostics.has_errors(), "{}", loaded.render(false));

    let job_doc = of_kind(&docs, "Job");
    let job = &job_doc["spec"];
    let name = job_doc["metadata"]["name"].as_str().expect("job name");
    assert_eq!(job["completionMode"], "Indexed");
    assert_eq!(job["backoffLimitPerIndex"], 0, "a shard never runs twice");
    assert!(job["backoffLimit"].is_null(), "one failed pod must not end the others");
    assert!(job["maxFailedIndexes"].is_null(), "a lost shard does not end the run");
    assert_eq!(
        job["successPolicy"]["rules"][0]["succeededIndexes"], "0",
        "the coordinator's exit code is the Job's status"
    );
    let pod = &job["template"]["spec"];
    assert_eq!(pod["restartPolicy"], "Never");
    let container = &pod["containers"][0];
    let env = |name: &str| {
        container["env"]
            .as_array()
            .and_then(|e| e.iter().find(|v| v["name"] == name))
            .unwrap_or_else(|| panic!("env {name}"))
            .clone()
    };
    let shards = env("JOB_COMPLETIONS")["value"]
        .as_str()
        .and_then(|v| v.parse::<u64>().ok())
        .expect("JOB_COMPLETIONS");
    assert_eq!(job["completions"].as_u64(), Some(shards));
    assert_eq!(job["parallelism"].as_u64(), Some(shards), "all shards at once");
    assert_eq!(
        env("JOB_COMPLETION_INDEX")["valueFrom"]["fieldRef"]["fieldPath"],
        "metadata.annotations['batch.kubernetes.io/job-completion-index']"
    );
    assert_eq!(
        env("STRESSOR_COORDINATOR_TOKEN")["valueFrom"]["secretKeyRef"]["key"],
        "token",
        "the token comes from a Secret"
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
            "--coordinate",
            "0.0.0.0:7070",
            "--print-results",
            "/scenario/scenario.yaml"
        ]
    );
    // Pod 0 is reachable as JOB-0.SERVICE on the port it coordinates on.
    let service = of_kind(&docs, "Service");
    let service_name = service["metadata"]["name"].as_str().expect("service name");
    assert_eq!(service["spec"]["clusterIP"], "None", "headless");
    assert_eq!(service["spec"]["selector"]["batch.kubernetes.io/job-name"], name);
    assert_eq!(pod["subdomain"], service_name);
    assert_eq!(service["spec"]["ports"][0]["port"], 7070);
    assert_eq!(
        env("STRESSOR_COORDINATOR")["value"],
        format!("http://{name}-0.{service_name}:7070")
    );
    let mounts = container["volumeMounts"].as_array().expect("mounts");
    assert!(
        mounts
            .iter()
            .any(|m| m["mountPath"] == "/scenario" && m["name"] == "scenario")
    );
}

//! Results carried in a log: one marked line of compact JSON that a process prints to stdout, so that
//! results survive where nothing but the log does — a Kubernetes pod without a volume whose
//! coordinator is gone (`kubectl logs -l job-name=stressor | stressor merge --from-logs -`).
//!
//! A framed line is [`MARKER`], a space, and a JSON object `{"kind": "part" | "merged", "results":
//! {...}}` on one line, where `results` is a results file's contents ([`Results`], schema
//! `stressor-results/1`). The marker may come anywhere in the line, so prefixes that log collectors
//! add (`kubectl logs --prefix`, `--timestamps`) do not hide it. `part` is one process's own results
//! (a shard's); `merged` a coordinator's merged results.

use super::ReportError;
use super::json::Results;
use serde::{Deserialize, Serialize};
use std::io::BufRead;
use std::path::{Path, PathBuf};

/// What starts a framed line's payload.
pub const MARKER: &str = "STRESSOR_RESULTS/1";

/// Whose results a framed line holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FrameKind {
    /// One process's own results (a shard's part, or a whole run).
    Part,
    /// A coordinator's merged results of all shards.
    Merged,
}

#[derive(Serialize)]
struct FrameOut<'a> {
    kind: FrameKind,
    results: &'a Results,
}

#[derive(Deserialize)]
struct FrameIn {
    kind: FrameKind,
    results: serde_json::Value,
}

/// One framed line found in a log.
#[derive(Clone, Debug)]
pub struct Framed {
    /// Whose results.
    pub kind: FrameKind,
    /// The results.
    pub results: Results,
    /// `LOG:LINE` (or `-:LINE` for stdin), for messages.
    pub origin: PathBuf,
}

/// The framed line for `results`, without a line break.
pub fn frame(kind: FrameKind, results: &Results) -> Result<String, serde_json::Error> {
    Ok(format!(
        "{MARKER} {}",
        serde_json::to_string(&FrameOut { kind, results })?
    ))
}

/// Every framed line of a log, in order; `name` names the log in messages (`-` for stdin). Lines
/// without the marker are skipped; a marked line that is not a valid frame is an error naming its
/// line, since results that were meant to be there must not go missing silently.
pub fn read(log: impl BufRead, name: &Path) -> Result<Vec<Framed>, ReportError> {
    let mut found = Vec::new();
    for (i, line) in log.split(b'\n').enumerate() {
        let line = line.map_err(|source| ReportError::Read {
            path: name.to_path_buf(),
            source,
        })?;
        let Some(at) = find(&line, MARKER.as_bytes()) else {
            continue;
        };
        let origin = PathBuf::from(format!("{}:{}", name.display(), i + 1));
        let payload = &line[at + MARKER.len()..];
        let frame: FrameIn = serde_json::from_slice(payload).map_err(|source| ReportError::Json {
            path: origin.clone(),
            source,
        })?;
        let bytes = serde_json::to_vec(&frame.results).map_err(|source| ReportError::Json {
            path: origin.clone(),
            source,
        })?;
        let results = super::json::from_slice(&bytes, &origin)?;
        found.push(Framed {
            kind: frame.kind,
            results,
            origin,
        });
    }
    Ok(found)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verdict::{Judgement, Policy};

    fn results(shard: &str) -> Results {
        let mut r = Results::of(&Judgement::from_parts(
            crate::run::RunReport {
                scenario: "shop".into(),
                ..Default::default()
            },
            Vec::new(),
            Vec::new(),
            Default::default(),
            Policy::default(),
        ));
        r.shard = Some(shard.into());
        r
    }

    #[test]
    fn framed_lines_are_found_behind_log_prefixes_and_a_broken_one_is_an_error() {
        let a = frame(FrameKind::Part, &results("1/2")).unwrap();
        let b = frame(FrameKind::Part, &results("2/2")).unwrap();
        assert!(!a.contains('\n'), "one line");
        let log = format!("Running 'shop'\n{a}\n[pod/stressor-1-x/stressor] 2025-03-01T12:00:00Z {b}\r\nResult: ok\n");
        let found = read(log.as_bytes(), Path::new("-")).unwrap();
        let shards: Vec<_> = found.iter().map(|f| f.results.shard.clone().unwrap()).collect();
        assert_eq!(shards, ["1/2", "2/2"]);
        assert_eq!(found[1].origin, Path::new("-:3"));
        assert_eq!(found[0].kind, FrameKind::Part);

        let cut = &a[..a.len() / 2];
        let err = read(format!("x\n{cut}\n").as_bytes(), Path::new("job.log")).unwrap_err();
        assert!(err.to_string().starts_with("failed to read `job.log:2`"), "{err}");
    }
}

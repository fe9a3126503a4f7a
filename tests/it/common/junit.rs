//! Reading JUnit XML files the way CI tools do: the Jenkins schema (`xmllint --schema
//! tests/junit/junit-10.xsd`) and the `junitparser` PyPI package (`tests/junit/read_junit.py`).
//! `.ci/run` installs both. Locally a missing tool skips the check with a note; with `CI` set it fails.

use super::available;
use std::path::{Path, PathBuf};
use std::process::Command;

fn junit_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/junit")
}

/// Validates `xml` against the Jenkins JUnit schema; panics with xmllint's messages when invalid.
pub fn assert_valid(xml: &Path) {
    if !available(
        Command::new("xmllint").arg("--version"),
        "xmllint (Debian: libxml2-utils)",
    ) {
        return;
    }
    let out = Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(junit_dir().join("junit-10.xsd"))
        .arg(xml)
        .output()
        .expect("run xmllint");
    assert!(
        out.status.success(),
        "{} does not validate against junit-10.xsd:\n{}",
        xml.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// junitparser's view of `xml`, one line per suite
/// (`name tests=N failures=N errors=N passed=N failed=N skipped=N`); `None` when it is not installed.
pub fn junitparser_view(xml: &Path) -> Option<Vec<String>> {
    if !available(
        Command::new("python3").args(["-c", "import junitparser"]),
        "the junitparser Python package",
    ) {
        return None;
    }
    let out = Command::new("python3")
        .arg(junit_dir().join("read_junit.py"))
        .arg(xml)
        .output()
        .expect("run python3");
    assert!(
        out.status.success(),
        "junitparser could not read {}:\n{}",
        xml.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    Some(
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_string)
            .collect(),
    )
}

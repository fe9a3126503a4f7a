//! Finding the scenario files at run time.
//!
//! A pattern such as `fixtures/**/*.yaml` also matches YAML that is not a scenario: the parts a
//! scenario `$load`s (`users.yaml`, `main_sequence.yaml` of `stressor init`'s scaffold), data, other
//! tools' files. Only a file with `file_version:` at its top level is a scenario ([`is_scenario`]);
//! the others are skipped, each with a one-line note, instead of failing as broken scenarios. The test
//! is on the text, not on parsed YAML, so a scenario with a syntax error is still found and fails its
//! `load` trial with the error.

use std::path::{Path, PathBuf};

/// One scenario file found by the harness.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioFile {
    /// The path, relative to the current directory when the file is below it (`cargo test` runs a
    /// test binary in its package directory), so that diagnostics and failed checks read
    /// `fixtures/smoke.yaml:12:5`, as CI annotators want; absolute otherwise.
    pub path: PathBuf,
    /// The trial name prefix: the path relative to the manifest dir, without extension, with `/`
    /// separators (`fixtures/smoke`).
    pub name: String,
}

/// Expands `pattern` (a [`glob`] pattern relative to `manifest_dir`) into files, sorted by path.
/// Directories are skipped. An invalid pattern is an error message.
pub fn discover(manifest_dir: &Path, pattern: &str) -> Result<Vec<ScenarioFile>, String> {
    let full = manifest_dir.join(pattern);
    let full = full.to_string_lossy();
    let paths = glob::glob(&full).map_err(|e| format!("invalid pattern {pattern:?}: {e}"))?;
    let cwd = std::env::current_dir().ok();
    let mut files: Vec<ScenarioFile> = paths
        .filter_map(Result::ok)
        .filter(|p| p.is_file())
        .map(|path| {
            let name = trial_prefix(manifest_dir, &path);
            let shown = cwd
                .as_deref()
                .and_then(|cwd| path.strip_prefix(cwd).ok())
                .map(Path::to_path_buf);
            ScenarioFile {
                path: shown.unwrap_or(path),
                name,
            }
        })
        .collect();
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}

/// Whether a file's text is a scenario: a line that starts with the key `file_version` (plain or
/// quoted) followed by `:`, at the top level (no indentation).
pub fn is_scenario(text: &str) -> bool {
    text.trim_start_matches('\u{feff}').lines().any(|line| {
        let key = line
            .strip_prefix("file_version")
            .or_else(|| line.strip_prefix("\"file_version\""))
            .or_else(|| line.strip_prefix("'file_version'"));
        key.is_some_and(|rest| rest.trim_start().starts_with(':'))
    })
}

/// Splits found files into scenarios and the others (see [`is_scenario`]); a file that cannot be read
/// counts as a scenario, so that its `load` trial says why.
pub fn scenarios_only(files: Vec<ScenarioFile>) -> (Vec<ScenarioFile>, Vec<ScenarioFile>) {
    files
        .into_iter()
        .partition(|f| std::fs::read_to_string(&f.path).map_or(true, |text| is_scenario(&text)))
}

/// `fixtures/smoke` for `<manifest_dir>/fixtures/smoke.yaml`.
pub fn trial_prefix(manifest_dir: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(manifest_dir).unwrap_or(path).with_extension("");
    // Root and `.` components would give `//tmp/x` or `./x`; a name keeps only the path's steps.
    rel.components()
        .filter(|c| matches!(c, std::path::Component::Normal(_) | std::path::Component::ParentDir))
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_files_sorted_with_relative_names() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("fx/sub")).unwrap();
        std::fs::write(dir.path().join("fx/b.yaml"), "").unwrap();
        std::fs::write(dir.path().join("fx/sub/a.yaml"), "").unwrap();
        std::fs::write(dir.path().join("fx/c.txt"), "").unwrap();
        let found = discover(dir.path(), "fx/**/*.yaml").unwrap();
        let names: Vec<&str> = found.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["fx/b", "fx/sub/a"]);
        assert!(discover(dir.path(), "fx/[").is_err());
        assert_eq!(
            trial_prefix(Path::new(""), Path::new("/tmp/x/gated.yaml")),
            "tmp/x/gated"
        );
        assert_eq!(trial_prefix(Path::new(""), Path::new("./gated.yaml")), "gated");
    }

    #[test]
    fn a_scenario_has_file_version_at_its_top_level() {
        for (text, yes) in [
            ("file_version: stressor#0\nscenario: []\n", true),
            ("# made by init\n\nfile_version : stressor#0\n", true),
            ("\u{feff}\"file_version\": stressor#0\n", true),
            ("file_version: [broken\n", true),
            ("- name: User_1\n  password: secret\n", false),
            ("- activity: GetRequest\n  file_version: 1\n", false),
            ("file_versions: 2\n", false),
            ("", false),
        ] {
            assert_eq!(is_scenario(text), yes, "{text:?}");
        }
    }
}

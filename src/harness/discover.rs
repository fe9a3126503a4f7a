//! Finding the scenario files at run time.

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
}

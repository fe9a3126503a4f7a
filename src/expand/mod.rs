//! Run-time `$(var)` expansion (placeholder, being written).

/// Temporary stand-in until the expansion engine lands (replaced at merge).
pub fn parse_path(path: &str) -> Result<(), String> {
    if path.is_empty() || path.contains("..") {
        Err("malformed path".into())
    } else {
        Ok(())
    }
}

//! "Did you mean ...?" for misspelled keys, activity names and metrics.

/// The candidate closest to `word`, if it is close enough to be a plausible typo: within an edit
/// distance of 2 (Damerau-Levenshtein, so a swapped pair of letters counts once), or a case-insensitive
/// match. Short words get a distance of at most 1, so `n` does not suggest `name`.
pub fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let lower = word.to_lowercase();
    let limit = if word.chars().count() <= 3 { 1 } else { 2 };
    candidates
        .into_iter()
        .map(|c| {
            let d = if c.to_lowercase() == lower {
                0
            } else {
                strsim::damerau_levenshtein(&lower, &c.to_lowercase())
            };
            (d, c)
        })
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// A caret label for a misspelling: "did you mean `x`?".
pub fn label<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
    did_you_mean(word, candidates).map(|c| format!("did you mean `{c}`?"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_close_words_only() {
        let keys = ["name", "base_url", "request_timeout", "max_errors"];
        assert_eq!(did_you_mean("nmae", keys), Some("name"));
        assert_eq!(did_you_mean("base_ulr", keys), Some("base_url"));
        assert_eq!(did_you_mean("Base_URL", keys), Some("base_url"));
        assert_eq!(did_you_mean("max_error", keys), Some("max_errors"));
        assert_eq!(did_you_mean("verbose", keys), None);
        assert_eq!(did_you_mean("n", keys), None);
    }
}

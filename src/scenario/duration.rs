//! Durations: a number is seconds (as in the original); a string may carry units, alone or combined as
//! in Go and k6: `250ms`, `1.5s`, `2m`, `1h`, `1m30s`, `500us`.

use std::time::Duration;

/// Why a text is not a duration (the message reads after "invalid duration: ").
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum DurationError {
    /// Nothing was written.
    #[error("empty duration")]
    Empty,
    /// A number without its unit (`1m30`).
    #[error("`{0}` is missing a unit after the number")]
    MissingUnit(String),
    /// Not a number with units at all.
    #[error("`{0}` is not a duration")]
    NotADuration(String),
    /// The number part does not parse (`1.2.3s`).
    #[error("`{0}` is not a number")]
    NotANumber(String),
    /// A unit other than `us`, `ms`, `s`, `m`, `h`.
    #[error("unknown unit `{unit}` in `{text}`")]
    UnknownUnit {
        /// The unit as written.
        unit: String,
        /// The whole text.
        text: String,
    },
    /// Negative, infinite or too large.
    #[error("{0} is not a valid duration (must be zero or positive)")]
    OutOfRange(String),
}

/// Parses a duration string; the error says what was wrong.
pub fn parse_duration(text: &str) -> Result<Duration, DurationError> {
    let t = text.trim();
    if t.is_empty() {
        return Err(DurationError::Empty);
    }
    if let Ok(secs) = t.parse::<f64>() {
        return from_secs(secs);
    }
    let mut total = 0f64;
    let mut rest = t;
    while !rest.is_empty() {
        let num_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(|| DurationError::MissingUnit(t.to_string()))?;
        if num_end == 0 {
            return Err(DurationError::NotADuration(t.to_string()));
        }
        let number: f64 = rest[..num_end]
            .parse()
            .map_err(|_| DurationError::NotANumber(rest[..num_end].to_string()))?;
        let unit_text = &rest[num_end..];
        let unit_end = unit_text
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(unit_text.len());
        let unit = unit_text[..unit_end].trim();
        let factor = match unit {
            "us" | "µs" => 1e-6,
            "ms" => 1e-3,
            "s" | "sec" => 1.0,
            "m" | "min" => 60.0,
            "h" => 3600.0,
            other => {
                return Err(DurationError::UnknownUnit {
                    unit: other.to_string(),
                    text: t.to_string(),
                });
            }
        };
        total += number * factor;
        rest = &unit_text[unit_end..];
    }
    from_secs(total)
}

fn from_secs(secs: f64) -> Result<Duration, DurationError> {
    Duration::try_from_secs_f64(secs).map_err(|_| DurationError::OutOfRange(secs.to_string()))
}

/// Formats a duration the way a user writes it (`250ms`, `1.5s`, `2m`), for messages.
pub fn format_duration(d: Duration) -> String {
    let secs = d.as_secs_f64();
    if secs == 0.0 {
        "0s".into()
    } else if secs < 1e-3 {
        format!("{}us", trim(secs * 1e6))
    } else if secs < 1.0 {
        format!("{}ms", trim(secs * 1e3))
    } else if secs < 60.0 || secs.fract() != 0.0 {
        format!("{}s", trim(secs))
    } else if secs % 3600.0 == 0.0 {
        format!("{}h", secs / 3600.0)
    } else if secs % 60.0 == 0.0 {
        format!("{}m", secs / 60.0)
    } else {
        format!("{}s", trim(secs))
    }
}

fn trim(v: f64) -> String {
    let s = format!("{v:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_numbers_and_units() {
        let ms = Duration::from_millis;
        for (text, want) in [
            ("1.5", ms(1500)),
            ("250ms", ms(250)),
            ("1.5s", ms(1500)),
            ("2m", ms(120_000)),
            ("1h", ms(3_600_000)),
            ("1m30s", ms(90_000)),
            ("500us", Duration::from_micros(500)),
            (" 0 ", ms(0)),
        ] {
            assert_eq!(parse_duration(text), Ok(want), "{text}");
        }
    }

    #[test]
    fn rejects_nonsense() {
        assert_eq!(
            parse_duration("5 parsecs").unwrap_err().to_string(),
            "unknown unit `parsecs` in `5 parsecs`"
        );
        assert_eq!(
            parse_duration("fast").unwrap_err().to_string(),
            "`fast` is not a duration"
        );
        assert!(
            parse_duration("-1")
                .unwrap_err()
                .to_string()
                .contains("must be zero or positive")
        );
        assert_eq!(parse_duration("10").unwrap(), Duration::from_secs(10));
    }

    #[test]
    fn formats_like_users_write() {
        assert_eq!(format_duration(Duration::from_millis(250)), "250ms");
        assert_eq!(format_duration(Duration::from_millis(1500)), "1.5s");
        assert_eq!(format_duration(Duration::from_secs(120)), "2m");
    }
}

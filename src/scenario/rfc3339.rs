//! RFC 3339 timestamps in UTC (`2025-03-01T12:34:56.789Z`) for results files and generated test data
//! (`now`), without a date crate: the civil-from-days conversion of Howard Hinnant's
//! `chrono`-compatible algorithms. Here, below the reports, so that the runner can use it too.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Formats a time as RFC 3339 UTC with milliseconds: `2025-03-01T12:34:56.789Z`. Times before 1970
/// are shown as the epoch.
pub fn format_rfc3339(t: SystemTime) -> String {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs();
    let (y, m, day) = civil_from_days((secs / 86_400) as i64);
    let rem = secs % 86_400;
    format!(
        "{y:04}-{m:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        d.subsec_millis()
    )
}

/// Formats a time as RFC 3339 UTC with microseconds: `2025-03-01T12:34:56.789012Z` (the request
/// log's timestamps, where milliseconds cannot order the requests of one session).
pub fn format_rfc3339_micros(t: SystemTime) -> String {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let millis = format_rfc3339(t);
    // `...SS.mmmZ` → `...SS.mmmuuuZ`
    format!("{}{:03}Z", &millis[..millis.len() - 1], d.subsec_micros() % 1000)
}

/// Parses an RFC 3339 timestamp (`Z` or a `±HH:MM` offset, optional fraction); `None` if it is not
/// one or lies before 1970.
pub fn parse_rfc3339(text: &str) -> Option<SystemTime> {
    let b = text.trim().as_bytes();
    let num = |range: std::ops::Range<usize>| -> Option<u32> {
        let part = b.get(range)?;
        part.iter()
            .all(u8::is_ascii_digit)
            .then(|| part.iter().fold(0u32, |n, c| n * 10 + u32::from(c - b'0')))
    };
    let sep = |i: usize, allowed: &[u8]| b.get(i).is_some_and(|c| allowed.contains(c));
    if !(sep(4, b"-") && sep(7, b"-") && sep(10, b"Tt ") && sep(13, b":") && sep(16, b":")) {
        return None;
    }
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let mut i = 19;
    let mut nanos = 0u32;
    if sep(i, b".") {
        i += 1;
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            if i - start < 9 {
                nanos = nanos * 10 + u32::from(b[i] - b'0');
            }
            i += 1;
        }
        if i == start {
            return None;
        }
        nanos *= 10u32.pow(9u32.saturating_sub((i - start) as u32));
    }
    let offset: i64 = match b.get(i)? {
        b'Z' | b'z' if i + 1 == b.len() => 0,
        sign @ (b'+' | b'-') if i + 6 == b.len() && b[i + 3] == b':' => {
            let minutes = i64::from(num(i + 1..i + 3)?) * 60 + i64::from(num(i + 4..i + 6)?);
            if *sign == b'+' { minutes * 60 } else { -minutes * 60 }
        }
        _ => return None,
    };
    let days = days_from_civil(i64::from(year), month, day);
    let secs = days * 86_400 + i64::from(hour * 3600 + minute * 60 + second) - offset;
    let secs = u64::try_from(secs).ok()?;
    UNIX_EPOCH.checked_add(Duration::new(secs, nanos))
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => 29,
        2 => 28,
        _ => 31,
    }
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(month);
    let doy = (153 * if m > 2 { m - 3 } else { m + 9 } + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_parses_utc() {
        let cases = [
            // (comment, seconds since the epoch, millis, text)
            ("the epoch", 0, 0, "1970-01-01T00:00:00.000Z"),
            ("a leap day", 951_782_400, 5, "2000-02-29T00:00:00.005Z"),
            ("end of a year", 1_704_067_199, 999, "2023-12-31T23:59:59.999Z"),
            ("a recent time", 1_740_832_496, 789, "2025-03-01T12:34:56.789Z"),
        ];
        for (comment, secs, millis, text) in cases {
            let t = UNIX_EPOCH + Duration::from_secs(secs) + Duration::from_millis(millis);
            assert_eq!(format_rfc3339(t), text, "{comment}");
            assert_eq!(parse_rfc3339(text), Some(t), "{comment}");
        }
    }

    #[test]
    fn parses_offsets_and_fractions_and_rejects_nonsense() {
        let base = parse_rfc3339("2025-03-01T12:00:00Z").unwrap();
        assert_eq!(parse_rfc3339("2025-03-01T14:00:00+02:00"), Some(base));
        assert_eq!(parse_rfc3339("2025-03-01t11:30:00-00:30"), Some(base));
        assert_eq!(
            parse_rfc3339("2025-03-01T12:00:00.123456789Z"),
            Some(base + Duration::from_nanos(123_456_789))
        );
        for bad in [
            "",
            "2025-03-01",
            "2025-02-29T00:00:00Z",
            "2025-13-01T00:00:00Z",
            "2025-03-01T12:00:00",
            "2025-03-01T12:00:00.Z",
            "2025-03-01T12:00:00Zjunk",
            "1969-12-31T23:59:59Z",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad:?}");
        }
    }
}

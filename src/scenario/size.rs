//! Byte sizes (`max_body_size`): a whole number is bytes; a string carries a unit, decimal (`kB`, `MB`,
//! `GB`: powers of 1000) or binary (`KiB`, `MiB`, `GiB`: powers of 1024), with or without a space:
//! `16MiB`, `512 KiB`, `2.5MB`, `1000`.

/// Parses a size; the error says what was wrong.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(t.len());
    let (number, unit) = (&t[..split], t[split..].trim());
    if number.is_empty() {
        return Err(format!("`{t}` is not a size"));
    }
    let number: f64 = number.parse().map_err(|_| format!("`{number}` is not a number"))?;
    let factor: f64 = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "kb" => 1e3,
        "mb" => 1e6,
        "gb" => 1e9,
        "kib" => 1024.0,
        "mib" => 1024.0 * 1024.0,
        "gib" => 1024.0 * 1024.0 * 1024.0,
        _ => {
            return Err(format!(
                "unknown unit `{unit}` in `{t}` (use B, kB, MB, GB, KiB, MiB or GiB)"
            ));
        }
    };
    let bytes = (number * factor).round();
    // 2^63: beyond that a size means nothing here, and the cast below would saturate silently.
    if !(0.0..9.2e18).contains(&bytes) {
        return Err(format!("`{t}` is too large"));
    }
    Ok(bytes as u64)
}

/// Formats a size the way a user writes it (`16 MiB`, `1.5 KiB`, `300 B`), for messages: the
/// expansion's size limit names sizes too, and it is the lower layer.
pub use crate::expand::format_size;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_with_and_without_units() {
        let cases = [
            ("1000", 1000),
            ("0", 0),
            ("16MiB", 16 << 20),
            ("16 MiB", 16 << 20),
            ("512 kib", 512 << 10),
            ("2.5MB", 2_500_000),
            ("1 GB", 1_000_000_000),
            ("1GiB", 1 << 30),
            ("10 B", 10),
        ];
        for (text, bytes) in cases {
            assert_eq!(parse_size(text), Ok(bytes), "{text}");
        }
    }

    #[test]
    fn bad_sizes_say_why() {
        for (text, why) in [
            ("", "is not a size"),
            ("MiB", "is not a size"),
            ("16 MiBs", "unknown unit `MiBs`"),
            ("1.2.3", "is not a number"),
            ("99999999999 GiB", "too large"),
        ] {
            let err = parse_size(text).expect_err(text);
            assert!(err.contains(why), "{text}: {err}");
        }
    }

    #[test]
    fn formatting() {
        assert_eq!(format_size(16 << 20), "16 MiB");
        assert_eq!(format_size(1536), "1.5 KiB");
        assert_eq!(format_size(300), "300 B");
        assert_eq!(format_size(50_000_000), "47.68 MiB");
    }
}

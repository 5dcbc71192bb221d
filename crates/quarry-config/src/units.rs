//! Durations (`"10s"`, `"1h30m"`, `"7d"`) and byte sizes (`1048576`, `"1MiB"`): parsing,
//! serde and JSON Schema.

use std::borrow::Cow;
use std::time::Duration;

use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::de::{self, Visitor};
use serde::{Deserializer, Serializer};

/// The JSON Schema `format` of durations.
pub(crate) const FORMAT_DURATION: &str = "duration";
/// The JSON Schema `format` of byte sizes.
pub(crate) const FORMAT_BYTE_SIZE: &str = "byte-size";
/// The JSON Schema `format` of socket addresses.
pub(crate) const FORMAT_SOCKET_ADDRESS: &str = "socket-address";
/// The JSON Schema `format` of `log.level`.
pub(crate) const FORMAT_LOG_FILTER: &str = "log-filter";
/// The JSON Schema `format` of URLs.
pub(crate) const FORMAT_URL: &str = "uri";

/// How to write a duration, for error messages.
pub(crate) const DURATION_HELP: &str =
    "write a number and a unit, e.g. \"30s\", \"5m\", \"1h30m\" or \"7d\"";
/// How to write a size, for error messages.
pub(crate) const SIZE_HELP: &str =
    "write a number of bytes, or a number and a unit, e.g. 1048576, \"512KiB\", \"1MiB\", \"2GB\"";

/// Parses a duration as `humantime` does: `10s`, `5m`, `1h30m`, `7d`, `2 weeks`.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let t = s.trim();
    if t.is_empty() {
        return Err("empty duration".into());
    }
    humantime::parse_duration(t).map_err(|e| match e {
        humantime::DurationError::UnknownUnit { unit, .. } => format!(
            "unknown unit `{unit}` (units: ns, us, ms, s, m, h, d, w, and spelled out: seconds, minutes, hours, days, weeks)"
        ),
        humantime::DurationError::NumberExpected(_) => {
            "expected a number before each unit".to_string()
        }
        humantime::DurationError::InvalidCharacter(_) => {
            "only digits, letters and spaces may appear in a duration".to_string()
        }
        other => other.to_string(),
    })
}

/// Formats a duration compactly so that [`parse_duration`] reads it back: `10s`, `1h30m`, `7d`,
/// `1500ms`.
pub fn format_duration(d: Duration) -> String {
    if d.is_zero() {
        return "0s".to_string();
    }
    let mut out = String::new();
    let mut secs = d.as_secs();
    for (unit, size) in [("d", 86_400u64), ("h", 3_600), ("m", 60), ("s", 1)] {
        if secs >= size {
            out.push_str(&format!("{}{unit}", secs / size));
            secs %= size;
        }
    }
    let nanos = d.subsec_nanos();
    if nanos != 0 {
        if nanos % 1_000_000 == 0 {
            out.push_str(&format!("{}ms", nanos / 1_000_000));
        } else if nanos % 1_000 == 0 {
            out.push_str(&format!("{}us", nanos / 1_000));
        } else {
            out.push_str(&format!("{nanos}ns"));
        }
    }
    out
}

const UNITS: &[(&str, u64)] = &[
    ("b", 1),
    ("kb", 1_000),
    ("mb", 1_000_000),
    ("gb", 1_000_000_000),
    ("tb", 1_000_000_000_000),
    ("kib", 1 << 10),
    ("mib", 1 << 20),
    ("gib", 1 << 30),
    ("tib", 1 << 40),
];

/// Parses a byte size: a number of bytes, or a number (fractions allowed) and a unit: `B`,
/// `KB`/`MB`/`GB`/`TB` (powers of 1000), `KiB`/`MiB`/`GiB`/`TiB` (powers of 1024). Units are
/// case-insensitive, a space may separate them from the number.
pub fn parse_byte_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '_'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let number = number.replace('_', "");
    let unit = unit.trim();
    if number.is_empty() {
        return Err("expected a number".to_string());
    }
    let multiplier = if unit.is_empty() {
        1
    } else {
        let lower = unit.to_ascii_lowercase();
        match UNITS.iter().find(|(name, _)| *name == lower) {
            Some((_, m)) => *m,
            None => {
                return Err(format!(
                    "unknown unit `{unit}` (units: B, KB, MB, GB, TB, KiB, MiB, GiB, TiB)"
                ))
            }
        }
    };
    if let Ok(n) = number.parse::<u64>() {
        return n
            .checked_mul(multiplier)
            .ok_or_else(|| "too large".to_string());
    }
    match number.parse::<f64>() {
        Ok(f) if f.is_finite() && f >= 0.0 => {
            let bytes = f * multiplier as f64;
            if bytes > u64::MAX as f64 {
                Err("too large".to_string())
            } else {
                Ok(bytes as u64)
            }
        }
        _ => Err(format!("`{number}` is not a number")),
    }
}

/// Formats a byte size so that [`parse_byte_size`] reads it back: `"1MiB"` when a whole number
/// of KiB/MiB/GiB/TiB, else the number of bytes as text.
pub fn format_byte_size(n: u64) -> String {
    for (unit, m) in [
        ("TiB", 1u64 << 40),
        ("GiB", 1 << 30),
        ("MiB", 1 << 20),
        ("KiB", 1 << 10),
    ] {
        if n >= m && n % m == 0 {
            return format!("{}{unit}", n / m);
        }
    }
    n.to_string()
}

/// serde for `Duration` as a human-readable string.
pub(crate) mod duration {
    use super::*;

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format_duration(*d))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        d.deserialize_str(DurationVisitor)
    }

    pub(super) struct DurationVisitor;

    impl Visitor<'_> for DurationVisitor {
        type Value = Duration;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a duration such as \"30s\", \"5m\", \"1h30m\" or \"7d\"")
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<Duration, E> {
            parse_duration(v).map_err(|e| E::custom(format!("invalid duration `{v}`: {e}")))
        }
    }
}

/// serde for `Option<Duration>` as a human-readable string.
pub(crate) mod opt_duration {
    use super::*;

    pub fn serialize<S: Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.serialize_some(&format_duration(*d)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
        super::duration::deserialize(d).map(Some)
    }
}

/// serde for a byte size `u64`: an integer or a string with a unit.
pub(crate) mod byte_size {
    use super::*;

    pub fn serialize<S: Serializer>(n: &u64, s: S) -> Result<S::Ok, S::Error> {
        let text = format_byte_size(*n);
        match text.parse::<u64>() {
            Ok(n) => s.serialize_u64(n),
            Err(_) => s.serialize_str(&text),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
        d.deserialize_any(SizeVisitor)
    }

    struct SizeVisitor;

    impl Visitor<'_> for SizeVisitor {
        type Value = u64;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a size: a number of bytes, or a string such as \"1MiB\"")
        }

        fn visit_u64<E: de::Error>(self, v: u64) -> Result<u64, E> {
            Ok(v)
        }

        fn visit_i64<E: de::Error>(self, v: i64) -> Result<u64, E> {
            u64::try_from(v).map_err(|_| E::custom("a size cannot be negative"))
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<u64, E> {
            parse_byte_size(v).map_err(|e| E::custom(format!("invalid size `{v}`: {e}")))
        }
    }
}

/// The schema of a duration: a string in `humantime` syntax.
pub(crate) struct DurationSchema;

impl JsonSchema for DurationSchema {
    fn schema_name() -> Cow<'static, str> {
        "Duration".into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "format": FORMAT_DURATION,
            "examples": ["30s", "5m", "1h30m", "7d"],
        })
    }
}

/// The schema of a byte size: an integer number of bytes or a string with a unit.
pub(crate) struct ByteSizeSchema;

impl JsonSchema for ByteSizeSchema {
    fn schema_name() -> Cow<'static, str> {
        "ByteSize".into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": ["integer", "string"],
            "format": FORMAT_BYTE_SIZE,
            "minimum": 0,
            "examples": [1048576, "512KiB", "1MiB", "2GB"],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("7d"), Ok(Duration::from_secs(7 * 86400)));
        assert!(parse_duration("10 parsecs")
            .unwrap_err()
            .contains("unknown unit `parsecs`"));
        assert!(parse_duration("").is_err());
        for d in [1u64, 59, 60, 3600, 5400, 86400 * 7, 86400 * 365] {
            let d = Duration::from_secs(d);
            assert_eq!(parse_duration(&format_duration(d)), Ok(d));
        }
        assert_eq!(format_duration(Duration::from_secs(7 * 86400)), "7d");
        assert_eq!(format_duration(Duration::from_secs(5400)), "1h30m");
        assert_eq!(format_duration(Duration::from_millis(1500)), "1s500ms");
        assert_eq!(parse_duration("1s500ms"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("1ms5us"), Ok(Duration::from_micros(1005)));
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_byte_size("1MiB"), Ok(1 << 20));
        assert_eq!(parse_byte_size("1 mib"), Ok(1 << 20));
        assert_eq!(parse_byte_size("100MiB"), Ok(100 << 20));
        assert_eq!(parse_byte_size("2GB"), Ok(2_000_000_000));
        assert_eq!(parse_byte_size("1.5KiB"), Ok(1536));
        assert_eq!(parse_byte_size("4096"), Ok(4096));
        assert_eq!(parse_byte_size("1_000"), Ok(1000));
        assert!(parse_byte_size("1 parsec").is_err());
        assert!(parse_byte_size("MiB").is_err());
        assert!(parse_byte_size("99999999999TiB").is_err());
        assert_eq!(format_byte_size(1 << 20), "1MiB");
        assert_eq!(format_byte_size(1000), "1000");
        assert_eq!(format_byte_size(1536), "1536");
    }
}

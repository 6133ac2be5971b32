//! Serde helpers for the JSON forms of heads and proofs: fixed-size byte arrays as lower-case hex
//! (accepting either case on input), lists of hashes as lists of hex strings, and timestamps as
//! RFC 3339 UTC with exactly millisecond precision (`2025-01-31T08:15:00.123Z`).

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Deserializer, Serializer};

fn decode_array<const N: usize, E: serde::de::Error>(text: &str) -> Result<[u8; N], E> {
    let mut out = [0u8; N];
    hex::decode_to_slice(text, &mut out).map_err(|e| {
        E::custom(format!(
            "expected {N} bytes as {} hex digits, got {text:?}: {e}",
            2 * N
        ))
    })?;
    Ok(out)
}

/// `[u8; N]` as a hex string.
pub(crate) mod hex_array {
    use super::{Deserialize, Deserializer, Serializer, decode_array};

    pub(crate) fn serialize<const N: usize, S: Serializer>(
        bytes: &[u8; N],
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(bytes))
    }

    pub(crate) fn deserialize<'de, const N: usize, D: Deserializer<'de>>(
        d: D,
    ) -> Result<[u8; N], D::Error> {
        let text = String::deserialize(d)?;
        decode_array(&text)
    }
}

/// `Vec<[u8; 32]>` as a list of hex strings.
pub(crate) mod hex_hashes {
    use super::{Deserialize, Deserializer, Serializer, decode_array};
    use crate::proofs::merkle::Hash;
    use serde::ser::SerializeSeq;

    pub(crate) fn serialize<S: Serializer>(hashes: &[Hash], s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(hashes.len()))?;
        for h in hashes {
            seq.serialize_element(&hex::encode(h))?;
        }
        seq.end()
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Hash>, D::Error> {
        let texts = Vec::<String>::deserialize(d)?;
        texts.iter().map(|t| decode_array(t)).collect()
    }
}

/// Formats a timestamp the way heads carry it: RFC 3339, UTC, `Z`, three fractional digits.
pub(crate) fn format_millis(ts: &DateTime<Utc>) -> String {
    ts.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Parses an RFC 3339 timestamp (any offset, converted to UTC) with at most millisecond precision.
pub(crate) fn parse_millis(text: &str) -> Result<DateTime<Utc>, String> {
    let ts = DateTime::parse_from_rfc3339(text)
        .map_err(|e| format!("{text:?} is not an RFC 3339 timestamp: {e}"))?
        .with_timezone(&Utc);
    if ts.timestamp_subsec_nanos() % 1_000_000 != 0 {
        return Err(format!("{text:?} is more precise than a millisecond"));
    }
    Ok(ts)
}

/// `DateTime<Utc>` as RFC 3339 with milliseconds.
pub(crate) mod rfc3339_millis {
    use super::{
        DateTime, Deserialize, Deserializer, Serializer, Utc, format_millis, parse_millis,
    };
    use serde::de::Error as _;

    pub(crate) fn serialize<S: Serializer>(ts: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format_millis(ts))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        let text = String::deserialize(d)?;
        parse_millis(&text).map_err(D::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_millisecond_utc() {
        let ts = parse_millis("2025-01-31T15:15:00.123+07:00").unwrap();
        assert_eq!(format_millis(&ts), "2025-01-31T08:15:00.123Z");
        assert!(parse_millis("2025-01-31T08:15:00.1234Z").is_err());
        assert!(parse_millis("yesterday").is_err());
    }

    #[test]
    fn hex_arrays_need_the_exact_length() {
        let ok: Result<[u8; 2], serde_json::Error> = decode_array("aBcd");
        assert_eq!(ok.unwrap(), [0xab, 0xcd]);
        let short: Result<[u8; 2], serde_json::Error> = decode_array("ab");
        assert!(
            short
                .unwrap_err()
                .to_string()
                .contains("expected 2 bytes as 4 hex digits")
        );
    }
}

//! The hash chain over `$all`: the canonical byte encoding of an event envelope and the SHA-256
//! that links each event to the one before it.
//!
//! `hash(e) = SHA-256(prev_hash || encode(e))`, where `prev_hash` is the hash of the event at the
//! previous position (32 zero bytes before the first event) and `encode` is:
//!
//! ```text
//! "kinerja-event-v1"
//! u64 position | 16 bytes event_id | str stream_id | u64 revision | str event_type
//! u32 schema_version | str data | str metadata | i64 recorded_at (µs since the epoch)
//! ```
//!
//! with integers big-endian and each `str` written as a u32 big-endian byte length followed by
//! its UTF-8 bytes. `data` and `metadata` are canonical JSON (see [`canonical_json`]).

use sha2::{Digest, Sha256};

use super::{Hash, RecordedEvent};

const DOMAIN_TAG: &[u8] = b"kinerja-event-v1";

/// Canonical JSON text: object keys sorted, no insignificant whitespace, numbers as serde_json
/// prints them. `serde_json::Map` is a `BTreeMap` (the `preserve_order` feature is off), so the
/// ordinary serializer already sorts keys.
pub fn canonical_json(value: &serde_json::Value) -> String {
    value.to_string()
}

/// The fields of an envelope that the hash covers.
#[derive(Debug, Clone, Copy)]
pub struct EnvelopeRef<'a> {
    pub position: u64,
    pub event_id: &'a uuid::Uuid,
    pub stream_id: &'a str,
    pub revision: u64,
    pub event_type: &'a str,
    pub schema_version: u32,
    pub data: &'a str,
    pub metadata: &'a str,
    pub recorded_at_micros: i64,
}

impl<'a> From<&'a RecordedEvent> for EnvelopeRef<'a> {
    fn from(e: &'a RecordedEvent) -> Self {
        EnvelopeRef {
            position: e.position,
            event_id: &e.event_id,
            stream_id: &e.stream_id,
            revision: e.revision,
            event_type: &e.event_type,
            schema_version: e.schema_version,
            data: &e.data,
            metadata: &e.metadata,
            recorded_at_micros: e.recorded_at.timestamp_micros(),
        }
    }
}

fn put_str(h: &mut Sha256, s: &str) {
    // Stream ids, types and bodies are bounded far below 4 GiB by validation.
    let len = u32::try_from(s.len()).unwrap_or(u32::MAX);
    h.update(len.to_be_bytes());
    h.update(s.as_bytes());
}

/// The chain hash of one envelope given the previous event's hash.
pub fn event_hash(prev: &Hash, e: EnvelopeRef<'_>) -> Hash {
    let mut h = Sha256::new();
    h.update(prev);
    h.update(DOMAIN_TAG);
    h.update(e.position.to_be_bytes());
    h.update(e.event_id.as_bytes());
    put_str(&mut h, e.stream_id);
    h.update(e.revision.to_be_bytes());
    put_str(&mut h, e.event_type);
    h.update(e.schema_version.to_be_bytes());
    put_str(&mut h, e.data);
    put_str(&mut h, e.metadata);
    h.update(e.recorded_at_micros.to_be_bytes());
    h.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn sample(position: u64) -> RecordedEvent {
        RecordedEvent {
            position,
            event_id: uuid::Uuid::from_u128(position.into()),
            stream_id: "officer-1".into(),
            revision: position - 1,
            event_type: "OfficerRegistered".into(),
            schema_version: 1,
            data: r#"{"a":1}"#.into(),
            metadata: "{}".into(),
            recorded_at: chrono::Utc.timestamp_micros(1_700_000_000_000_000).unwrap(),
            hash: [0; 32],
        }
    }

    #[test]
    fn canonical_json_sorts_keys_and_drops_whitespace() {
        let v: serde_json::Value =
            serde_json::from_str(r#"{ "b": 1, "a": {"d": 2, "c": [3, 4]} }"#).unwrap();
        assert_eq!(canonical_json(&v), r#"{"a":{"c":[3,4],"d":2},"b":1}"#);
    }

    #[test]
    fn the_hash_covers_every_field_and_the_previous_hash() {
        let base = sample(1);
        let h = event_hash(&[0; 32], (&base).into());
        let mut variants = Vec::new();
        let mut e = base.clone();
        e.position = 2;
        variants.push(e);
        let mut e = base.clone();
        e.event_id = uuid::Uuid::from_u128(99);
        variants.push(e);
        let mut e = base.clone();
        e.stream_id = "officer-2".into();
        variants.push(e);
        let mut e = base.clone();
        e.revision = 7;
        variants.push(e);
        let mut e = base.clone();
        e.event_type = "X".into();
        variants.push(e);
        let mut e = base.clone();
        e.schema_version = 2;
        variants.push(e);
        let mut e = base.clone();
        e.data = r#"{"a":2}"#.into();
        variants.push(e);
        let mut e = base.clone();
        e.metadata = r#"{"x":1}"#.into();
        variants.push(e);
        let mut e = base.clone();
        e.recorded_at = chrono::Utc.timestamp_micros(1_700_000_000_000_001).unwrap();
        variants.push(e);
        for v in &variants {
            assert_ne!(event_hash(&[0; 32], v.into()), h, "{v:?}");
        }
        assert_ne!(event_hash(&[1; 32], (&base).into()), h);
        assert_eq!(event_hash(&[0; 32], (&base).into()), h);
    }

    #[test]
    fn length_prefixes_keep_adjacent_fields_apart() {
        let mut a = sample(1);
        a.data = r#"{"a":1}"#.into();
        a.metadata = "{}".into();
        let mut b = a.clone();
        b.data = r#"{"a":1}{"#.into();
        b.metadata = "}".into();
        assert_ne!(
            event_hash(&[0; 32], (&a).into()),
            event_hash(&[0; 32], (&b).into())
        );
    }
}

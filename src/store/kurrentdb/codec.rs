//! How an event is written to KurrentDB and read back.
//!
//! The data is the event's canonical JSON (content type `application/json`, so the server's own
//! projections can read it). The custom metadata is the event's metadata object with one more key,
//! [`SCHEMA_VERSION_KEY`], holding the schema version; it is taken out again on reading. An event
//! that lacks the key (written by another tool) is read as schema version 1, and empty metadata
//! as `{}`.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::store::chain::canonical_json;
use crate::store::plan::PreparedEvent;
use crate::store::{NewEvent, StoreError};

/// The metadata key that carries the schema version in KurrentDB.
pub const SCHEMA_VERSION_KEY: &str = "$kinerjaSchemaVersion";

/// An event as it came out of `$all`, in plain types (so the sealer can be tested without a
/// server).
#[derive(Debug, Clone, PartialEq)]
pub struct RawEvent {
    pub stream_id: String,
    pub event_id: Uuid,
    pub revision: u64,
    pub event_type: String,
    pub data: Vec<u8>,
    pub custom_metadata: Vec<u8>,
    /// The server's position of the event in `$all`.
    pub commit: u64,
    pub prepare: u64,
    /// The server's `created` time.
    pub created: DateTime<Utc>,
}

impl From<&kurrentdb::RecordedEvent> for RawEvent {
    fn from(e: &kurrentdb::RecordedEvent) -> Self {
        Self {
            stream_id: e.stream_id().to_string(),
            event_id: e.id,
            revision: e.revision,
            event_type: e.event_type.clone(),
            data: e.data.to_vec(),
            custom_metadata: e.custom_metadata.to_vec(),
            commit: e.position.commit,
            prepare: e.position.prepare,
            created: e.created,
        }
    }
}

impl RawEvent {
    /// A system event (`$`-prefixed stream or type: metadata, links, statistics…), never sealed.
    pub fn is_system(&self) -> bool {
        self.stream_id.starts_with('$') || self.event_type.starts_with('$')
    }

    /// The event as kinerja appended it.
    pub fn decode(&self) -> Result<NewEvent, String> {
        let data: serde_json::Value =
            serde_json::from_slice(&self.data).map_err(|e| format!("the data is not JSON: {e}"))?;
        let mut metadata = if self.custom_metadata.iter().all(u8::is_ascii_whitespace) {
            serde_json::Value::Object(Default::default())
        } else {
            serde_json::from_slice(&self.custom_metadata)
                .map_err(|e| format!("the metadata is not JSON: {e}"))?
        };
        let schema_version = match metadata
            .as_object_mut()
            .and_then(|m| m.remove(SCHEMA_VERSION_KEY))
        {
            None => 1,
            Some(v) => v
                .as_u64()
                .and_then(|v| u32::try_from(v).ok())
                .ok_or_else(|| format!("{SCHEMA_VERSION_KEY} is not a schema version: {v}"))?,
        };
        Ok(NewEvent {
            event_id: self.event_id,
            event_type: self.event_type.clone(),
            schema_version,
            data,
            metadata,
        })
    }
}

/// The event to send for a validated event.
pub fn encode(e: &PreparedEvent) -> Result<kurrentdb::EventData, StoreError> {
    let data: serde_json::Value = serde_json::from_str(&e.data).map_err(internal)?;
    let metadata = metadata_bytes(&e.metadata, e.schema_version)?;
    Ok(kurrentdb::EventData::json(&e.event_type, &data)
        .map_err(internal)?
        .id(e.event_id)
        .metadata(metadata.into()))
}

/// The custom metadata for an event: its metadata object plus the schema version.
pub fn metadata_bytes(metadata: &str, schema_version: u32) -> Result<Vec<u8>, StoreError> {
    let mut metadata: serde_json::Value = serde_json::from_str(metadata).map_err(internal)?;
    let object = metadata
        .as_object_mut()
        .ok_or_else(|| StoreError::InvalidEvent {
            reason: "event metadata must be a JSON object".into(),
        })?;
    if object.contains_key(SCHEMA_VERSION_KEY) {
        return Err(StoreError::InvalidEvent {
            reason: format!("the metadata key {SCHEMA_VERSION_KEY} is reserved"),
        });
    }
    object.insert(SCHEMA_VERSION_KEY.into(), schema_version.into());
    Ok(canonical_json(&metadata).into_bytes())
}

fn internal(e: serde_json::Error) -> StoreError {
    StoreError::Backend(format!("re-encoding a validated event: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn raw(data: &[u8], metadata: &[u8]) -> RawEvent {
        RawEvent {
            stream_id: "officer-1".into(),
            event_id: Uuid::from_u128(1),
            revision: 0,
            event_type: "OfficerRegistered".into(),
            data: data.to_vec(),
            custom_metadata: metadata.to_vec(),
            commit: 10,
            prepare: 10,
            created: Utc::now(),
        }
    }

    #[test]
    fn what_is_written_reads_back_the_same() {
        let event = NewEvent::new("ReportFiled", json!({"b": 1, "a": [1, 2]}))
            .with_metadata(json!({"actor": "1987", "$correlationId": "c"}));
        let mut event = event;
        event.schema_version = 3;
        let prepared = PreparedEvent::prepare(event.clone()).unwrap();
        let metadata = metadata_bytes(&prepared.metadata, prepared.schema_version).unwrap();
        let mut stored = raw(prepared.data.as_bytes(), &metadata);
        stored.event_type = prepared.event_type.clone();
        let back = stored.decode().unwrap();
        assert_eq!(back.schema_version, 3);
        assert_eq!(back.data, event.data);
        assert_eq!(back.metadata, event.metadata);
        assert_eq!(
            PreparedEvent::prepare(back.with_id(event.event_id)).unwrap(),
            prepared
        );
    }

    #[test]
    fn foreign_events_default_sensibly_and_bad_ones_are_named() {
        let e = raw(br#"{"x":1}"#, b"").decode().unwrap();
        assert_eq!(e.schema_version, 1);
        assert_eq!(e.metadata, json!({}));
        assert!(raw(b"not json", b"").decode().is_err());
        assert!(
            raw(br#"{}"#, br#"{"$kinerjaSchemaVersion":"x"}"#)
                .decode()
                .is_err()
        );
    }

    #[test]
    fn the_reserved_key_is_refused_in_callers_metadata() {
        let e = metadata_bytes(r#"{"$kinerjaSchemaVersion":2}"#, 1).unwrap_err();
        assert!(matches!(e, StoreError::InvalidEvent { .. }));
    }

    #[test]
    fn system_events_are_recognised() {
        let mut e = raw(b"{}", b"");
        assert!(!e.is_system());
        e.event_type = "$>".into();
        assert!(e.is_system());
        let mut e = raw(b"{}", b"");
        e.stream_id = "$$officer-1".into();
        assert!(e.is_system());
    }
}

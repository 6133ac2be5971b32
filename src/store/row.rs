//! The stored row of an event, as both SQL backends return it, and its conversion to the envelope.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{Position, RecordedEvent, StoreError};

/// One row of the `events` table.
#[derive(Debug, sqlx::FromRow)]
pub struct EventRow {
    pub position: i64,
    pub event_id: Uuid,
    pub stream_id: String,
    pub revision: i64,
    pub event_type: String,
    pub schema_version: i64,
    pub data: String,
    pub metadata: String,
    /// Microseconds since the Unix epoch.
    pub recorded_at: i64,
    pub hash: Vec<u8>,
}

impl TryFrom<EventRow> for RecordedEvent {
    type Error = StoreError;

    fn try_from(row: EventRow) -> Result<Self, StoreError> {
        let position = u64::try_from(row.position).unwrap_or(0);
        let corrupt = |reason: &str| StoreError::Corrupt {
            position,
            reason: reason.to_string(),
        };
        Ok(RecordedEvent {
            position,
            event_id: row.event_id,
            stream_id: row.stream_id,
            revision: u64::try_from(row.revision).map_err(|_| corrupt("negative revision"))?,
            event_type: row.event_type,
            schema_version: u32::try_from(row.schema_version)
                .map_err(|_| corrupt("schema version out of range"))?,
            data: row.data,
            metadata: row.metadata,
            recorded_at: DateTime::<Utc>::from_timestamp_micros(row.recorded_at)
                .ok_or_else(|| corrupt("recorded_at out of range"))?,
            hash: row
                .hash
                .try_into()
                .map_err(|_| corrupt("hash is not 32 bytes"))?,
        })
    }
}

/// Convert many rows.
pub fn to_events(rows: Vec<EventRow>) -> Result<Vec<RecordedEvent>, StoreError> {
    rows.into_iter().map(RecordedEvent::try_from).collect()
}

/// A position or revision as the signed 64-bit integer SQL stores (saturating).
pub fn sql_int(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// A limit as SQL takes it.
pub fn sql_limit(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// A stored position back as [`Position`].
pub fn position_of(n: i64) -> Position {
    u64::try_from(n).unwrap_or(0)
}

/// A stored 32-byte hash.
pub fn to_hash(bytes: Vec<u8>) -> Result<crate::proofs::Hash, StoreError> {
    bytes
        .try_into()
        .map_err(|_| StoreError::Backend("a stored hash is not 32 bytes".into()))
}

/// A stored Merkle node address.
pub fn node_ref(level: i64, idx: i64) -> Result<crate::proofs::NodeRef, StoreError> {
    let level = u8::try_from(level)
        .map_err(|_| StoreError::Backend(format!("merkle node level {level} out of range")))?;
    Ok(crate::proofs::NodeRef::new(level, position_of(idx)))
}

/// One row of the `tree_heads` table.
#[derive(Debug, sqlx::FromRow)]
pub struct TreeHeadRow {
    pub tree_size: i64,
    pub root_hash: Vec<u8>,
    pub timestamp_ms: i64,
    pub key_id: String,
    pub signature: Vec<u8>,
}

impl TryFrom<TreeHeadRow> for crate::proofs::SignedTreeHead {
    type Error = StoreError;

    fn try_from(row: TreeHeadRow) -> Result<Self, StoreError> {
        Ok(crate::proofs::SignedTreeHead {
            tree_size: position_of(row.tree_size),
            root_hash: to_hash(row.root_hash)?,
            timestamp: DateTime::<Utc>::from_timestamp_millis(row.timestamp_ms)
                .ok_or_else(|| StoreError::Backend("tree head time out of range".into()))?,
            key_id: row.key_id,
            signature: row
                .signature
                .try_into()
                .map_err(|_| StoreError::Backend("a stored signature is not 64 bytes".into()))?,
        })
    }
}

//! The stored row of an event, as both SQL backends return it, and its conversion to the envelope.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{Position, RecordedEvent, StoreError};

/// One row of the `events` table, selected in the column order of the `.sql` files (position,
/// event_id, stream_id, revision, event_type, schema_version, data, metadata, recorded_at, hash)
/// and decoded by index, which is measurably cheaper than by name on a million-row replay.
#[derive(Debug)]
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

impl<'r, R: sqlx::Row> sqlx::FromRow<'r, R> for EventRow
where
    usize: sqlx::ColumnIndex<R>,
    i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    Vec<u8>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    Uuid: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    fn from_row(row: &'r R) -> Result<Self, sqlx::Error> {
        Ok(EventRow {
            position: row.try_get(0)?,
            event_id: row.try_get(1)?,
            stream_id: row.try_get(2)?,
            revision: row.try_get(3)?,
            event_type: row.try_get(4)?,
            schema_version: row.try_get(5)?,
            data: row.try_get(6)?,
            metadata: row.try_get(7)?,
            recorded_at: row.try_get(8)?,
            hash: row.try_get(9)?,
        })
    }
}

impl TryFrom<EventRow> for RecordedEvent {
    type Error = StoreError;

    fn try_from(row: EventRow) -> Result<Self, StoreError> {
        Columns {
            position: row.position,
            event_id: row.event_id,
            stream_id: row.stream_id,
            revision: row.revision,
            event_type: row.event_type,
            schema_version: row.schema_version,
            data: row.data,
            metadata: row.metadata,
            recorded_at: row.recorded_at,
            hash: &row.hash,
        }
        .into_event()
    }
}

/// The columns of one stored event as SQL gives them, before they are checked: the one place
/// where a stored row becomes a [`RecordedEvent`] or is reported [`StoreError::Corrupt`] (the
/// sqlx rows above and the SQLite C-API rows of `sqlite::raw` both come through here).
pub struct Columns<'a> {
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
    pub hash: &'a [u8],
}

impl Columns<'_> {
    /// Check the ranges and build the event.
    pub fn into_event(self) -> Result<RecordedEvent, StoreError> {
        let position = u64::try_from(self.position).unwrap_or(0);
        let corrupt = |reason: &str| corrupt(position, reason);
        Ok(RecordedEvent {
            position,
            event_id: self.event_id,
            stream_id: self.stream_id,
            revision: u64::try_from(self.revision).map_err(|_| corrupt("negative revision"))?,
            event_type: self.event_type,
            schema_version: u32::try_from(self.schema_version)
                .map_err(|_| corrupt("schema version out of range"))?,
            data: self.data,
            metadata: self.metadata,
            recorded_at: DateTime::<Utc>::from_timestamp_micros(self.recorded_at)
                .ok_or_else(|| corrupt("recorded_at out of range"))?,
            hash: self
                .hash
                .try_into()
                .map_err(|_| corrupt("hash is not 32 bytes"))?,
        })
    }
}

/// A stored row at `position` that cannot be an event.
pub fn corrupt(position: Position, reason: &str) -> StoreError {
    StoreError::Corrupt {
        position,
        reason: reason.to_string(),
    }
}

/// Convert many rows.
pub fn to_events(rows: Vec<EventRow>) -> Result<Vec<RecordedEvent>, StoreError> {
    rows.into_iter().map(RecordedEvent::try_from).collect()
}

/// Decode event rows as they arrive from the database (so that decoding overlaps with the
/// database producing the next rows, instead of waiting for the whole page first).
pub async fn collect_events<R, S>(
    mut rows: S,
    classify: fn(sqlx::Error) -> StoreError,
) -> Result<Vec<RecordedEvent>, StoreError>
where
    R: sqlx::Row,
    S: futures::Stream<Item = Result<R, sqlx::Error>> + Unpin,
    for<'r> EventRow: sqlx::FromRow<'r, R>,
{
    use futures::TryStreamExt;
    let mut events = Vec::new();
    while let Some(row) = rows.try_next().await.map_err(classify)? {
        let row: EventRow = sqlx::FromRow::from_row(&row).map_err(classify)?;
        events.push(RecordedEvent::try_from(row)?);
    }
    Ok(events)
}

/// The most events a page of `$all` is made for up front (more grow it as rows arrive).
pub const PAGE_CAPACITY: usize = 10_000;

/// How many events a read of `$all` after `after`, at most `limit`, can expect when this
/// process knows the head at `head`: a hint for sizing the page (rows committed since still come).
pub fn expected_after(head: Position, after: Position, limit: usize) -> usize {
    limit.min(usize::try_from(head.saturating_sub(after)).unwrap_or(usize::MAX))
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

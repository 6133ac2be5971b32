//! The event store: the contract every backend honours (EventStoreDB semantics), the types of the
//! event envelope, and the backends themselves.
//!
//! # Layout
//!
//! - this file: [`EventStore`], [`StreamId`], [`ExpectedRevision`], [`NewEvent`], [`RecordedEvent`],
//!   [`AppendResult`] and the one error type of the layer, [`StoreError`];
//! - [`chain`]: the canonical encoding of an envelope and the SHA-256 hash chain over `$all`;
//! - [`plan`]: the pure part of an append batch: expectations, idempotency, revisions, positions,
//!   hashes;
//! - [`writer`]: the one writer per process that drains waiting appends and commits them together
//!   (group commit);
//! - [`subscription`]: catch-up-then-live subscriptions to `$all` and to a category;
//! - [`verify`]: re-walks the chain and names the first position that does not match;
//! - [`memory`], [`sqlite`], [`postgres`]: the backends; [`open`] picks one from a URL.
//!
//! Positions in `$all` start at 1; position 0 means "before the first event", so `read_all(0, n)`
//! reads from the beginning. Revisions within a stream start at 0.

pub mod chain;
#[cfg(feature = "kurrentdb")]
pub mod kurrentdb;
pub mod memory;
pub mod plan;
pub mod postgres;
pub mod row;
pub mod sqlite;
pub mod subscription;
pub mod tree;
pub mod verify;
pub mod writer;

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tokio::sync::watch;
use uuid::Uuid;

use crate::proofs::{NodeRef, SignedTreeHead};
pub use subscription::Subscription;

/// Position of an event in the global log (`$all`), 1-based; 0 is "before the first event".
pub type Position = u64;

/// A SHA-256 digest.
pub type Hash = [u8; 32];

/// Largest accepted stream id, in bytes.
pub const MAX_STREAM_ID_BYTES: usize = 200;
/// Largest accepted event `data` (canonical JSON), in bytes.
pub const MAX_EVENT_DATA_BYTES: usize = 1024 * 1024;
/// Largest accepted event `metadata` (canonical JSON), in bytes.
pub const MAX_EVENT_METADATA_BYTES: usize = 64 * 1024;
/// Largest accepted event type name, in bytes.
pub const MAX_EVENT_TYPE_BYTES: usize = 100;

/// A validated stream id, `{category}-{id}` by EventStoreDB convention.
///
/// Non-empty, at most [`MAX_STREAM_ID_BYTES`] bytes, with no whitespace and no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct StreamId(String);

impl StreamId {
    /// Check and wrap a stream id.
    pub fn parse(id: impl Into<String>) -> Result<Self, StoreError> {
        let id = id.into();
        let invalid = |reason: &str| StoreError::InvalidStreamId {
            stream_id: id.chars().take(MAX_STREAM_ID_BYTES).collect(),
            reason: reason.to_string(),
        };
        if id.is_empty() {
            return Err(invalid("empty"));
        }
        if id.len() > MAX_STREAM_ID_BYTES {
            return Err(invalid("longer than 200 bytes"));
        }
        if id.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err(invalid("contains whitespace or a control character"));
        }
        Ok(Self(id))
    }

    /// The stream id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The category: the text before the first `-` (the whole id when there is none).
    pub fn category(&self) -> &str {
        category_of(&self.0)
    }
}

impl fmt::Display for StreamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for StreamId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        StreamId::parse(s).map_err(serde::de::Error::custom)
    }
}

/// The category of a stream id: the text before the first `-`.
pub fn category_of(stream_id: &str) -> &str {
    stream_id.split_once('-').map_or(stream_id, |(c, _)| c)
}

/// What the caller expects of the stream before the append (KurrentDB's `StreamState`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "revision")]
pub enum ExpectedRevision {
    /// No check.
    Any,
    /// The stream must not exist yet.
    NoStream,
    /// The stream must have at least one event.
    StreamExists,
    /// The stream's last event must have exactly this revision.
    Revision(u64),
}

impl ExpectedRevision {
    /// Does a stream whose last revision is `actual` (None: no stream) meet this expectation?
    pub fn admits(self, actual: Option<u64>) -> bool {
        match self {
            Self::Any => true,
            Self::NoStream => actual.is_none(),
            Self::StreamExists => actual.is_some(),
            Self::Revision(n) => actual == Some(n),
        }
    }
}

impl fmt::Display for ExpectedRevision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Any => f.write_str("any"),
            Self::NoStream => f.write_str("no stream"),
            Self::StreamExists => f.write_str("stream exists"),
            Self::Revision(n) => write!(f, "revision {n}"),
        }
    }
}

/// An event to append, before the store gives it a place in the log.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    /// The idempotency key of the append (UUID v7 when generated here).
    pub event_id: Uuid,
    /// Stable event type name, e.g. `ReportFiled`.
    pub event_type: String,
    /// Version of the event's schema; older versions are upcast on read.
    pub schema_version: u32,
    /// The event's JSON; must be an object.
    pub data: serde_json::Value,
    /// JSON object: actor, role, reason, `$correlationId`, `$causationId`, request id, client time…
    pub metadata: serde_json::Value,
}

impl NewEvent {
    /// A new event with a fresh UUID v7, schema version 1 and empty metadata.
    pub fn new(event_type: impl Into<String>, data: serde_json::Value) -> Self {
        Self {
            event_id: Uuid::now_v7(),
            event_type: event_type.into(),
            schema_version: 1,
            data,
            metadata: serde_json::Value::Object(Default::default()),
        }
    }

    /// Replace the metadata.
    pub fn with_metadata(mut self, metadata: serde_json::Value) -> Self {
        self.metadata = metadata;
        self
    }

    /// Replace the event id.
    pub fn with_id(mut self, event_id: Uuid) -> Self {
        self.event_id = event_id;
        self
    }
}

/// An event as recorded in the log: the full envelope of architecture.md.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedEvent {
    /// Position in `$all`, 1-based, strictly increasing in commit order.
    pub position: Position,
    /// The idempotency key given at append.
    pub event_id: Uuid,
    /// `{category}-{id}`.
    pub stream_id: String,
    /// 0-based position within its stream.
    pub revision: u64,
    pub event_type: String,
    pub schema_version: u32,
    /// Canonical JSON text of the data (keys sorted, no insignificant whitespace), exactly as hashed.
    pub data: String,
    /// Canonical JSON text of the metadata, exactly as hashed.
    pub metadata: String,
    /// Server time (UTC, microsecond precision) of the commit; never decreases along `$all`.
    pub recorded_at: DateTime<Utc>,
    /// SHA-256 over the previous event's hash and this event's canonical encoding.
    #[serde(with = "hex_hash")]
    pub hash: Hash,
}

impl RecordedEvent {
    /// The data parsed as JSON.
    pub fn data_json(&self) -> serde_json::Value {
        serde_json::from_str(&self.data).unwrap_or(serde_json::Value::Null)
    }

    /// The metadata parsed as JSON.
    pub fn metadata_json(&self) -> serde_json::Value {
        serde_json::from_str(&self.metadata).unwrap_or(serde_json::Value::Null)
    }

    /// The category of the event's stream.
    pub fn category(&self) -> &str {
        category_of(&self.stream_id)
    }
}

/// Serde helper: a [`Hash`] as lowercase hex.
pub mod hex_hash {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(h: &[u8; 32], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(h))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 32], D::Error> {
        let text = String::deserialize(d)?;
        let bytes = hex::decode(text).map_err(serde::de::Error::custom)?;
        bytes
            .try_into()
            .map_err(|_| serde::de::Error::custom("a hash has 32 bytes"))
    }
}

/// What a successful append returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppendResult {
    /// Revision of the last event written (the next expected revision).
    pub revision: u64,
    /// Position of the first event written.
    pub first_position: Position,
    /// Position of the last event written: a query may wait for read models to reach it.
    pub position: Position,
}

/// The head of the global log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogHead {
    /// Position of the last event (0 when the log is empty).
    pub position: Position,
    /// Hash of the last event (zeros when the log is empty).
    pub hash: Hash,
    /// Commit time of the last event (micros since the epoch; 0 when the log is empty).
    pub recorded_at_micros: i64,
}

impl LogHead {
    /// The head of an empty log.
    pub const EMPTY: LogHead = LogHead {
        position: 0,
        hash: [0; 32],
        recorded_at_micros: 0,
    };
}

/// Where to start reading a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadFrom {
    Start,
    End,
    Revision(u64),
}

/// Which way to read a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Forwards,
    Backwards,
}

/// The one error type of the store layer.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StoreError {
    /// The stream was not where the caller expected it; nothing was written.
    #[error("stream {stream_id}: expected {expected}, actual {}", fmt_actual(*.actual))]
    WrongExpectedVersion {
        stream_id: String,
        expected: ExpectedRevision,
        /// The stream's last revision, None when the stream does not exist.
        actual: Option<u64>,
    },
    #[error("invalid stream id {stream_id:?}: {reason}")]
    InvalidStreamId { stream_id: String, reason: String },
    #[error("invalid event: {reason}")]
    InvalidEvent { reason: String },
    /// An event id that is already stored came again with other content or in another place.
    #[error("event id {event_id} is already stored with other content or in another stream")]
    DuplicateEventId { event_id: Uuid },
    /// The batch did not commit (e.g. the connection dropped); nothing of it is stored.
    #[error("not committed, nothing was written: {0}")]
    NotCommitted(String),
    /// The commit was sent but its outcome could not be learnt.
    #[error("commit outcome unknown: {0}")]
    CommitUnknown(String),
    /// The writer has stopped (the service is shutting down).
    #[error("the event store is shutting down")]
    ShuttingDown,
    /// A stored row could not be read back as an event.
    #[error("corrupt row at position {position}: {reason}")]
    Corrupt { position: Position, reason: String },
    /// Any other failure of the backend (I/O, connection, SQL).
    #[error("backend: {0}")]
    Backend(String),
}

fn fmt_actual(actual: Option<u64>) -> String {
    match actual {
        None => "no stream".to_string(),
        Some(n) => format!("revision {n}"),
    }
}

/// The event store contract (EventStoreDB semantics). Held as `Arc<dyn EventStore>`.
#[async_trait]
pub trait EventStore: Send + Sync + 'static {
    /// Append `events` atomically to `stream` if it meets `expected`. Re-appending events whose ids
    /// are stored, with the same expectation, returns the original result and writes nothing.
    async fn append(
        &self,
        stream: &StreamId,
        expected: ExpectedRevision,
        events: Vec<NewEvent>,
    ) -> Result<AppendResult, StoreError>;

    /// Read up to `limit` events of a stream from `from` in `direction`.
    async fn read_stream(
        &self,
        stream: &StreamId,
        from: ReadFrom,
        direction: Direction,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError>;

    /// The stream's last revision (None when it does not exist).
    async fn stream_revision(&self, stream: &StreamId) -> Result<Option<u64>, StoreError>;

    /// Up to `limit` events of `$all` with position > `after`, in position order.
    async fn read_all(
        &self,
        after: Position,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError>;

    /// The events at `positions` (any order, repeats allowed), each once, in position order;
    /// a position the log does not hold is left out. The default reads each one with
    /// [`EventStore::read_all`]; the SQL stores answer with one query.
    async fn read_positions(
        &self,
        positions: &[Position],
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let mut wanted: Vec<Position> = positions.iter().copied().filter(|p| *p > 0).collect();
        wanted.sort_unstable();
        wanted.dedup();
        let mut out = Vec::with_capacity(wanted.len());
        for p in wanted {
            let found = self.read_all(p - 1, 1).await?;
            out.extend(found.into_iter().filter(|e| e.position == p));
        }
        Ok(out)
    }

    /// `$ce-{category}`: up to `limit` events of streams in `category`, position > `after`.
    async fn read_category(
        &self,
        category: &str,
        after: Position,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError>;

    /// `$et-{event_type}`: up to `limit` events of this type, position > `after`.
    async fn read_event_type(
        &self,
        event_type: &str,
        after: Position,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError>;

    /// The committed head of `$all`.
    async fn head(&self) -> Result<LogHead, StoreError>;

    /// A watch of the last committed position, for live subscriptions. It may lag or miss changes
    /// made by other processes; subscribers also poll.
    fn watch_head(&self) -> watch::Receiver<Position>;

    /// Stop accepting appends, let the writer drain what is queued, and wait for it.
    async fn shutdown(&self);

    /// The Merkle tree nodes (complete subtrees) at `refs`; nodes beyond the log are left out.
    async fn tree_nodes(&self, refs: &[NodeRef]) -> Result<HashMap<NodeRef, Hash>, StoreError>;

    /// Keep a signed tree head. The first head kept at a size stays; later ones are ignored.
    async fn save_tree_head(&self, head: &SignedTreeHead) -> Result<(), StoreError>;

    /// Kept heads with `tree_size >= from_size`, smallest first.
    async fn tree_heads(
        &self,
        from_size: u64,
        limit: usize,
    ) -> Result<Vec<SignedTreeHead>, StoreError>;

    /// The largest kept head.
    async fn latest_tree_head(&self) -> Result<Option<SignedTreeHead>, StoreError>;
}

/// Open the store named by `url`: `sqlite:…`, `postgres:…`/`postgresql:…`, `memory:`, or (with the
/// `kurrentdb` feature) `kurrentdb:…`/`esdb:…` with a ledger database beside the cluster.
pub async fn open(
    url: &str,
    options: writer::WriterOptions,
) -> Result<Arc<dyn EventStore>, StoreError> {
    if url.starts_with("sqlite:") {
        Ok(Arc::new(sqlite::SqliteStore::open(url, options).await?))
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        Ok(Arc::new(postgres::PostgresStore::open(url, options).await?))
    } else if url.starts_with("memory:") {
        Ok(Arc::new(memory::MemoryStore::new()))
    } else if [
        "kurrentdb:",
        "kurrentdb+discover:",
        "esdb:",
        "esdb+discover:",
    ]
    .iter()
    .any(|s| url.starts_with(s))
    {
        #[cfg(feature = "kurrentdb")]
        {
            Ok(Arc::new(
                self::kurrentdb::KurrentDbStore::open(url, options).await?,
            ))
        }
        #[cfg(not(feature = "kurrentdb"))]
        {
            Err(StoreError::Backend(
                "this kinerja was built without the `kurrentdb` feature; rebuild with \
                 `cargo build --release --features kurrentdb` to use a KurrentDB (EventStoreDB) \
                 cluster"
                    .to_string(),
            ))
        }
    } else {
        Err(StoreError::Backend(format!(
            "unknown database URL scheme in {url:?}: use sqlite:, postgres: or memory:"
        )))
    }
}

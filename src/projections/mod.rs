//! The read side: projections fold `$all` into read-model tables (prefixed `rm_`), and the queries
//! that the HTTP layer serves from them. On SQLite the tables live in a file of their own next to
//! the event log (`data/kinerja.projections.db`, WAL, `synchronous=NORMAL`: disposable, see
//! [`db`]); on PostgreSQL in the events' database.
//!
//! # How it works
//!
//! - A projection ([`Projection`]) has a stable name and a version, a disposable schema (one `.sql`
//!   per backend under `projections/`), and a pure fold: [`Projection::apply`] turns one decoded
//!   event into changes of its in-memory state, and [`Projection::flush`] turns the state it
//!   touched into row upserts ([`Changes`], keyed by primary key `k`). The state is the set of rows
//!   themselves: every table has a `doc` column with the entity as JSON, and
//!   [`Projection::restore`] rebuilds the state from the tables at start, so a restarted projector
//!   continues from its checkpoint without replaying. Handlers are idempotent: applying an event
//!   at or below a projection's checkpoint is skipped, and a row is the function of its state.
//! - The [`Projector`](projector::Projector) reads `$all` once per page, decodes each event once
//!   ([`Envelope`]: typed straight from its stored text, metadata read as borrowed raw fields),
//!   feeds every projection whose checkpoint is behind it, and writes all row changes and every
//!   checkpoint
//!   (`projection_checkpoints(name, version, position, updated_at)`) in one transaction; reading,
//!   folding and committing overlap page by page. The checkpoint update is a compare-and-set on the previous position: when
//!   another process moved it, the transaction is rolled back and the state reloaded.
//! - A version bump (or `kinerja rebuild NAME`) drops the projection's tables, recreates them and
//!   replays from position 0.
//! - Rows are upserted in multi-row statements, deduplicated by key within a batch: on SQLite up
//!   to 4,000 parameters a statement, on PostgreSQL one `unnest` of arrays per table and batch.
//!
//! # Layout
//!
//! - [`db`]: [`db::ReadDb`], the pool of the read side (SQLite or PostgreSQL) and where its
//!   database is, checkpoints, schemas, the generic upsert.
//! - [`projector`]: catch-up and live running, rebuild with progress, lag, the committed-position
//!   watch and the change feed.
//! - [`docs`]: the entity documents shared by the folds (officer, SKP, award, programme, unit) and
//!   the fold functions that update them.
//! - [`performance`]: the `performance` projection: units, officers, SKPs, awards, training; the
//!   scorecard, the team/unit dashboard and the training views are queries over it.
//! - [`scorecard`]: the scorecard query.
//! - [`dashboard`]: the unit dashboard (a unit with its sub-units, per year and period).
//! - [`training`]: enrolment and completion per programme, JP per officer, R17 compliance.
//! - [`survey`]: the `survey` projection (SKM sums per unit, period and service) and the IKM
//!   report (R13, R14, R16).
//! - [`audit`]: the `audit` projection: every event about an officer; filters, CSV and JSON Lines.
//! - [`accountability`]: the `accountability` projection: the inspectorate's findings.
//! - [`asof`]: time travel: a scorecard as of a time or position, folded from the streams.
//! - [`export`]: CSV writing.
//! - [`live`]: the topics a reconnecting live-feed client missed.
//! - [`cli`]: `kinerja rebuild [NAME]`.

pub mod accountability;
pub mod asof;
pub mod audit;
pub mod cli;
pub mod dashboard;
pub mod db;
pub mod docs;
pub mod export;
pub mod live;
pub mod performance;
pub mod projector;
pub mod scorecard;
pub mod survey;
pub mod training;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::{
    AwardEvent, DomainEvent, OfficerEvent, PlanEvent, SurveyEvent, TrainingEvent, UnitEvent,
};
use crate::store::RecordedEvent;

pub use db::{Backend, ReadDb};
pub use projector::{ChangedDoc, Lag, LiveChange, Projector, Topic};

/// Errors of the read side.
#[derive(Debug, thiserror::Error)]
pub enum ProjectionError {
    #[error("read-model database: {0}")]
    Db(#[from] sqlx::Error),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error("unknown projection {0:?}")]
    UnknownProjection(String),
    #[error("corrupt read-model row in {table}: {reason}")]
    Corrupt { table: String, reason: String },
    /// The read model did not reach the asked position in time.
    #[error("read model at position {current}, asked for {wanted}")]
    NotYet { current: u64, wanted: u64 },
    #[error("{0}")]
    Invalid(String),
}

/// Result of the read side.
pub type Result<T, E = ProjectionError> = std::result::Result<T, E>;

/// A column type of a read-model table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColType {
    Text,
    Int,
}

/// A read-model table: the first column is the primary key `k` (text), the last is `doc` (JSON
/// text) in every table that keeps documents (all but `rm_audit`, an index into the log);
/// between them, the columns the queries filter on.
#[derive(Debug)]
pub struct TableDef {
    pub name: &'static str,
    pub columns: &'static [(&'static str, ColType)],
    /// Whether [`Projection::restore`] needs its rows at start.
    pub restore: bool,
}

/// A column value.
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    Text(Option<String>),
    Int(Option<i64>),
}

impl From<&str> for Val {
    fn from(s: &str) -> Self {
        Val::Text(Some(s.to_string()))
    }
}
impl From<String> for Val {
    fn from(s: String) -> Self {
        Val::Text(Some(s))
    }
}
impl From<Option<String>> for Val {
    fn from(s: Option<String>) -> Self {
        Val::Text(s)
    }
}
impl From<i64> for Val {
    fn from(v: i64) -> Self {
        Val::Int(Some(v))
    }
}
impl From<i32> for Val {
    fn from(v: i32) -> Self {
        Val::Int(Some(i64::from(v)))
    }
}
impl From<Option<i64>> for Val {
    fn from(v: Option<i64>) -> Self {
        Val::Int(v)
    }
}

/// Row changes of one batch, by table and key; the last change of a key wins. `None` deletes.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Changes {
    pub rows: BTreeMap<(&'static str, String), Option<Vec<Val>>>,
}

impl Changes {
    /// Upsert a row (values in the table's column order, key first, doc last).
    pub fn upsert(&mut self, table: &'static str, row: Vec<Val>) {
        let key = match row.first() {
            Some(Val::Text(Some(k))) => k.clone(),
            other => format!("{other:?}"),
        };
        self.rows.insert((table, key), Some(row));
    }

    /// Delete a row.
    pub fn delete(&mut self, table: &'static str, key: String) {
        self.rows.insert((table, key), None);
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
}

/// A decoded domain event, picked by the stream category.
#[derive(Debug, Clone)]
pub enum Decoded {
    Unit(UnitEvent),
    Officer(OfficerEvent),
    Plan(PlanEvent),
    Award(AwardEvent),
    Training(TrainingEvent),
    Survey(SurveyEvent),
    /// Another category, or an event this build cannot decode (kept in the audit trail).
    Other,
}

impl Decoded {
    /// Decode a recorded event straight from its stored data text (see
    /// [`DomainEvent::from_stored`]: no JSON tree of the data first).
    pub fn of(e: &RecordedEvent) -> Self {
        let (t, v, data) = (e.event_type.as_str(), e.schema_version, e.data.as_str());
        let d = match e.category() {
            "unit" => UnitEvent::from_stored(t, v, data).map(Decoded::Unit),
            "officer" => OfficerEvent::from_stored(t, v, data).map(Decoded::Officer),
            "skp" => PlanEvent::from_stored(t, v, data).map(Decoded::Plan),
            "award" => AwardEvent::from_stored(t, v, data).map(Decoded::Award),
            "training" => TrainingEvent::from_stored(t, v, data).map(Decoded::Training),
            "survey" => SurveyEvent::from_stored(t, v, data).map(Decoded::Survey),
            _ => return Decoded::Other,
        };
        d.unwrap_or(Decoded::Other)
    }
}

/// The metadata fields the read side uses (all optional; the application layer writes them).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Meta {
    pub actor: Option<String>,
    pub role: Option<String>,
    pub reason: Option<String>,
    pub request_id: Option<String>,
    pub client_time: Option<DateTime<Utc>>,
}

/// The metadata as stored, each field borrowed as raw JSON (so a field of another type is
/// neither an error nor a copy).
#[derive(Deserialize)]
struct RawMeta<'a> {
    #[serde(borrow, default)]
    actor: Option<&'a serde_json::value::RawValue>,
    #[serde(borrow, default)]
    role: Option<&'a serde_json::value::RawValue>,
    #[serde(borrow, default)]
    reason: Option<&'a serde_json::value::RawValue>,
    #[serde(borrow, default)]
    request_id: Option<&'a serde_json::value::RawValue>,
    #[serde(borrow, default)]
    client_time: Option<&'a serde_json::value::RawValue>,
}

/// A raw JSON value as text: a string's contents, `None` for `null`, any other value as JSON.
fn raw_text(raw: Option<&serde_json::value::RawValue>) -> Option<String> {
    let raw = raw?.get();
    if raw == "null" {
        None
    } else if raw.starts_with('"') {
        serde_json::from_str::<String>(raw).ok()
    } else {
        Some(raw.to_string())
    }
}

impl Meta {
    /// Parse the metadata text of an event (unknown fields ignored, a non-string value kept as
    /// its JSON text, metadata that is not a JSON object taken as empty).
    pub fn of(e: &RecordedEvent) -> Self {
        // (A struct would also be read from an array, field by field: only objects count.)
        if !e.metadata.trim_start().starts_with('{') {
            return Meta::default();
        }
        let Ok(raw) = serde_json::from_str::<RawMeta<'_>>(&e.metadata) else {
            return Meta::default();
        };
        Meta {
            actor: raw_text(raw.actor),
            role: raw_text(raw.role),
            reason: raw_text(raw.reason),
            request_id: raw_text(raw.request_id),
            client_time: raw_text(raw.client_time).and_then(|s| s.parse().ok()),
        }
    }
}

/// One event as the folds see it: the envelope, the decoded event (decoded once, for every
/// projection) and the metadata.
#[derive(Debug, Clone)]
pub struct Envelope {
    pub event: RecordedEvent,
    pub decoded: Decoded,
    pub meta: Meta,
}

impl Envelope {
    pub fn new(event: RecordedEvent) -> Self {
        let decoded = Decoded::of(&event);
        let meta = Meta::of(&event);
        Self {
            event,
            decoded,
            meta,
        }
    }
}

/// A named, versioned, pure fold from events to read-model rows.
pub trait Projection: Send + Sync {
    /// Stable name (the checkpoint key).
    fn name(&self) -> &'static str;
    /// Bumping it drops and rebuilds the read model.
    fn version(&self) -> u32;
    /// The `create table` statements for a backend (from `projections/{backend}/{name}.sql`).
    fn schema(&self, backend: Backend) -> &'static str;
    /// The tables, for drop, upsert and restore.
    fn tables(&self) -> &'static [TableDef];
    /// Forget all state (before a rebuild or a restore).
    fn reset(&mut self);
    /// Take one stored row's doc back into the state (tables with `restore`).
    fn restore(&mut self, table: &str, doc: &str) -> Result<()>;
    /// Fold one event into the state. Pure: no I/O.
    fn apply(&mut self, env: &Envelope);
    /// Write the rows of the state touched since the last flush, and the topics they change.
    fn flush(&mut self, changes: &mut Changes, topics: &mut Vec<Topic>);
}

/// Every projection of this build, in a fixed order.
pub fn all() -> Vec<Box<dyn Projection>> {
    vec![
        Box::new(performance::Performance::default()),
        Box::new(audit::Audit::default()),
        Box::new(accountability::Accountability::default()),
        Box::new(survey::Survey::default()),
    ]
}

/// The names of every projection.
pub fn names() -> Vec<&'static str> {
    all().iter().map(|p| p.name()).collect()
}

/// Convert a position to a database integer.
pub(crate) fn pos_i64(p: u64) -> i64 {
    i64::try_from(p).unwrap_or(i64::MAX)
}

/// Convert a database integer to a position.
pub(crate) fn pos_u64(p: i64) -> u64 {
    u64::try_from(p).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_metadata(metadata: &str) -> RecordedEvent {
        RecordedEvent {
            position: 1,
            event_id: uuid::Uuid::nil(),
            stream_id: "officer-199001012015011001".into(),
            revision: 0,
            event_type: "Unknown".into(),
            schema_version: 1,
            data: "{}".into(),
            metadata: metadata.into(),
            recorded_at: Utc::now(),
            hash: [0; 32],
        }
    }

    #[test]
    fn metadata_fields_are_read_as_text_and_others_ignored() {
        let m = Meta::of(&with_metadata(
            r#"{"actor":"staff:bkpsdm","role":"ADMIN","reason":null,"request_id":17,"client_time":"2025-04-01T08:00:00+07:00","other":[1,2]}"#,
        ));
        assert_eq!(m.actor.as_deref(), Some("staff:bkpsdm"));
        assert_eq!(m.role.as_deref(), Some("ADMIN"));
        assert_eq!(m.reason, None);
        assert_eq!(m.request_id.as_deref(), Some("17"));
        assert_eq!(m.client_time, Some("2025-04-01T01:00:00Z".parse().unwrap()));
    }

    #[test]
    fn metadata_that_is_not_an_object_or_a_bad_time_gives_nothing() {
        for text in ["", "null", "[1]", "\"x\"", "{\"actor\":"] {
            assert_eq!(Meta::of(&with_metadata(text)), Meta::default(), "{text:?}");
        }
        let m = Meta::of(&with_metadata(
            r#"{"client_time":"kemarin","actor":"a\"b"}"#,
        ));
        assert_eq!(m.client_time, None);
        assert_eq!(m.actor.as_deref(), Some("a\"b"));
    }

    #[test]
    fn an_event_of_another_category_or_bad_data_decodes_as_other() {
        let mut e = with_metadata("{}");
        assert!(matches!(Decoded::of(&e), Decoded::Other));
        e.stream_id = "skp-199001012015011001_2025_1".into();
        e.event_type = "PlanSubmitted".into();
        e.data = r#"{"at":"2025-01-10T00:00:00Z"}"#.into();
        assert!(matches!(
            Decoded::of(&e),
            Decoded::Plan(PlanEvent::PlanSubmitted { .. })
        ));
        e.data = r#"{"at":"bukan waktu"}"#.into();
        assert!(matches!(Decoded::of(&e), Decoded::Other));
    }
}

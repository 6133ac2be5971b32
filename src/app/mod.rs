//! The application layer: use cases that load a stream, fold it, run the pure decider and append
//! with the expected revision, retrying a few times when another writer got there first. Also the
//! in-memory registry of access tokens that the HTTP layer authenticates against.
//!
//! # Layout
//!
//! - this file: [`App`], [`Meta`] (who, why, request id — the event metadata), [`Committed`],
//!   the one error type [`AppError`], and the generic [`App::execute`];
//! - [`access`]: token issue/revoke and the [`access::TokenRegistry`].

pub mod access;
pub mod gate;
pub mod officers;
pub mod plans;
pub mod tracked;

pub use tracked::Tracked;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::domain::{Actor, ActorId, DomainConfig, DomainError, DomainEvent};
use crate::store::{
    Direction, EventStore, ExpectedRevision, Position, ReadFrom, RecordedEvent, StoreError,
    StreamId,
};

/// How many times a command is decided and appended before a concurrent write answers 409.
pub const MAX_ATTEMPTS: usize = 8;

/// The longest pause before deciding again after a concurrent write (the pause is random, up
/// to 1 ms after the first conflict and doubling after each further one).
pub const MAX_RETRY_PAUSE_MS: u64 = 16;

/// A random pause before attempt `attempt` (1-based) after a conflict, so that writers from
/// several processes that met on a stream do not meet again at once.
pub(crate) async fn retry_pause(attempt: usize) {
    use rand::Rng;
    let cap_us = (1000u64 << attempt.saturating_sub(1).min(8)).min(MAX_RETRY_PAUSE_MS * 1000);
    let us = rand::thread_rng().gen_range(0..=cap_us);
    tokio::time::sleep(std::time::Duration::from_micros(us)).await;
}

/// Everything a use case needs.
#[derive(Clone)]
pub struct App {
    pub store: Arc<dyn EventStore>,
    pub config: Arc<DomainConfig>,
    /// One command at a time per stream in this process (see [`gate`]).
    gates: Arc<gate::StreamGates>,
}

/// Who issues a command, and why: recorded as the events' metadata.
#[derive(Debug, Clone, Default)]
pub struct Meta {
    /// The acting officer or staff member and the role they act in.
    pub actor: Option<Actor>,
    /// The reason given, if any.
    pub reason: Option<String>,
    /// The HTTP request id.
    pub request_id: Option<String>,
    /// The caller's Idempotency-Key: a retry with the same key appends nothing.
    pub idempotency_key: Option<String>,
    /// The device clock claimed by the client (may be wrong).
    pub client_time: Option<DateTime<Utc>>,
    /// If-Match: append only if the stream is at exactly this revision.
    pub expected_revision: Option<u64>,
    /// Correlates the events of one business transaction.
    pub correlation_id: Option<Uuid>,
}

impl Meta {
    /// The metadata object written with each event.
    pub fn to_json(&self, at: DateTime<Utc>) -> Value {
        let mut m = Map::new();
        if let Some(actor) = &self.actor {
            let id = match &actor.id {
                ActorId::Nip(nip) => nip.as_str().to_string(),
                ActorId::Staff(s) => s.clone(),
            };
            m.insert("actor".into(), json!(id));
            m.insert(
                "role".into(),
                serde_json::to_value(actor.role).unwrap_or(Value::Null),
            );
        }
        let mut put = |k: &str, v: Option<Value>| {
            if let Some(v) = v {
                m.insert(k.into(), v);
            }
        };
        put("reason", self.reason.clone().map(Value::String));
        put("request_id", self.request_id.clone().map(Value::String));
        put(
            "idempotency_key",
            self.idempotency_key.clone().map(Value::String),
        );
        put("client_time", self.client_time.map(|t| json!(t)));
        put("$correlationId", self.correlation_id.map(|c| json!(c)));
        m.insert("server_time".into(), json!(at));
        Value::Object(m)
    }
}

/// What a successful command answers: where its events landed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Committed {
    pub stream_id: String,
    /// The stream revision after the command (the next If-Match).
    pub revision: u64,
    /// The global position of the last event written: pass it as `min_position` to read it back.
    pub position: Position,
    /// The event types written (empty when the command changed nothing).
    pub events: Vec<String>,
}

/// The one error type of the application layer.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// A domain rule refused the command.
    #[error(transparent)]
    Domain(#[from] DomainError),
    /// Another writer kept moving the stream; or If-Match did not hold.
    #[error("stream {stream_id}: expected {expected}, actual {actual:?}")]
    Conflict {
        stream_id: String,
        expected: ExpectedRevision,
        actual: Option<u64>,
    },
    /// The thing asked for does not exist.
    #[error("{0} not found")]
    NotFound(String),
    /// The caller may not do this.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// Bad input that is not a domain rule (a malformed id, for instance).
    #[error("invalid {field}: {detail}")]
    Invalid { field: String, detail: String },
    /// The store failed or is shutting down.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl App {
    /// An application over `store` with the default domain configuration.
    pub fn new(store: Arc<dyn EventStore>) -> Self {
        Self {
            store,
            config: Arc::new(DomainConfig::default()),
            gates: Arc::default(),
        }
    }

    /// Every event of a stream, oldest first.
    pub async fn read_stream(&self, stream: &StreamId) -> Result<Vec<RecordedEvent>, AppError> {
        let mut out = Vec::new();
        loop {
            let from = out.last().map_or(ReadFrom::Start, |e: &RecordedEvent| {
                ReadFrom::Revision(e.revision + 1)
            });
            let page = self
                .store
                .read_stream(stream, from, Direction::Forwards, 1000)
                .await?;
            let done = page.len() < 1000;
            out.extend(page);
            if done {
                return Ok(out);
            }
        }
    }

    /// Load and fold a stream: its state, its revision (None: no stream) and its events.
    pub async fn load<E: DomainEvent>(
        &self,
        stream: &StreamId,
    ) -> Result<(E::State, Option<u64>, Vec<RecordedEvent>), AppError> {
        let events = self.read_stream(stream).await?;
        let mut state = E::State::default();
        for e in &events {
            let decoded = E::from_stored(&e.event_type, e.schema_version, &e.data)?;
            state = E::evolve(state, &decoded);
        }
        Ok((state, events.last().map(|e| e.revision), events))
    }

    /// [`App::load`], also keeping the decoded events (for views that show them).
    pub async fn load_decoded<E: DomainEvent>(
        &self,
        stream: &StreamId,
    ) -> Result<(E::State, Option<u64>, Vec<RecordedEvent>, Vec<E>), AppError> {
        let events = self.read_stream(stream).await?;
        let mut state = E::State::default();
        let mut decoded = Vec::with_capacity(events.len());
        for e in &events {
            let d = E::from_stored(&e.event_type, e.schema_version, &e.data)?;
            state = E::evolve(state, &d);
            decoded.push(d);
        }
        Ok((state, events.last().map(|e| e.revision), events, decoded))
    }

    /// Load and fold a stream that must exist.
    pub async fn load_existing<E: DomainEvent>(
        &self,
        stream: &StreamId,
        what: &str,
    ) -> Result<E::State, AppError> {
        let (state, revision, _) = self.load::<E>(stream).await?;
        if revision.is_none() {
            return Err(AppError::NotFound(what.to_string()));
        }
        Ok(state)
    }

    /// Load `stream`, run `decide` on its state, append the events with the expected revision;
    /// on a concurrent write, pause a random moment, load and decide again (up to
    /// [`MAX_ATTEMPTS`] times). Commands of this process on the same stream run one after the
    /// other ([`gate`]), so only writers in other processes can get there first. With an
    /// Idempotency-Key already used on this stream by the same actor, answer as the first time
    /// and append nothing.
    pub async fn execute<E: DomainEvent>(
        &self,
        stream: &StreamId,
        meta: &Meta,
        at: DateTime<Utc>,
        decide: impl Fn(&E::State) -> Result<Vec<E>, DomainError>,
    ) -> Result<Committed, AppError> {
        let _gate = self.gates.enter(stream.as_str()).await;
        let mut last_conflict = None;
        for attempt in 0..MAX_ATTEMPTS {
            if attempt > 0 {
                retry_pause(attempt).await;
            }
            let (state, revision, events) = self.load::<E>(stream).await?;
            if let Some(done) = replayed(stream, meta, &events) {
                return Ok(done);
            }
            if let Some(wanted) = meta.expected_revision
                && revision != Some(wanted)
            {
                return Err(AppError::Conflict {
                    stream_id: stream.to_string(),
                    expected: ExpectedRevision::Revision(wanted),
                    actual: revision,
                });
            }
            let new = decide(&state)?;
            if new.is_empty() {
                return Ok(Committed {
                    stream_id: stream.to_string(),
                    revision: revision.unwrap_or(0),
                    position: events.last().map_or(0, |e| e.position),
                    events: Vec::new(),
                });
            }
            let expected = revision.map_or(ExpectedRevision::NoStream, ExpectedRevision::Revision);
            match self.append_decided(stream, expected, meta, at, &new).await {
                Ok(committed) => return Ok(committed),
                Err(conflict @ AppError::Conflict { .. }) => last_conflict = Some(conflict),
                Err(e) => return Err(e),
            }
        }
        Err(last_conflict.unwrap_or_else(|| AppError::Conflict {
            stream_id: stream.to_string(),
            expected: ExpectedRevision::Any,
            actual: None,
        }))
    }
}

/// The first answer to a command already applied under the same Idempotency-Key and actor.
fn replayed(stream: &StreamId, meta: &Meta, events: &[RecordedEvent]) -> Option<Committed> {
    let key = meta.idempotency_key.as_deref()?;
    let actor = meta.to_json(DateTime::<Utc>::UNIX_EPOCH)["actor"].clone();
    let matching: Vec<&RecordedEvent> = events
        .iter()
        .filter(|e| {
            let m = e.metadata_json();
            m["idempotency_key"].as_str() == Some(key) && m["actor"] == actor
        })
        .collect();
    let last = matching.last()?;
    Some(Committed {
        stream_id: stream.to_string(),
        revision: last.revision,
        position: last.position,
        events: matching.iter().map(|e| e.event_type.clone()).collect(),
    })
}

/// Parse a stream id built from validated parts (never fails for ids the domain makes).
pub fn stream(id: String) -> Result<StreamId, AppError> {
    StreamId::parse(id).map_err(|e| AppError::Invalid {
        field: "id".into(),
        detail: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::survey::{self, SurveyCommand, SurveyEvent};
    use crate::domain::{Period, UnitCode, Year};

    /// Another process (its own gates) appends to the stream between this command's load and
    /// its append, five times in a row: each append fails on the expected revision, and the
    /// command is decided again on the reloaded stream until it goes through.
    #[tokio::test]
    async fn an_answer_outlasts_concurrent_writes_from_another_process() {
        let store: Arc<dyn EventStore> = Arc::new(crate::store::memory::MemoryStore::new());
        let app = App::new(store.clone());
        let unit = UnitCode::parse("DISDUKCAPIL").unwrap();
        let year = Year::new(2025).unwrap();
        let s = stream(survey::stream_id(&unit, year)).unwrap();
        let at: DateTime<Utc> = "2025-03-10T05:00:00Z".parse().unwrap();
        let digests: Vec<String> = (0..8).map(|i| format!("{i:064x}")).collect();
        let issue = SurveyCommand::IssueSurveyCodes {
            batch_id: Uuid::from_u128(1),
            unit,
            year,
            period: Period::Tw1,
            service: "KTP-el".into(),
            code_digests: digests.clone(),
        };
        let config = app.config.clone();
        app.execute::<SurveyEvent>(&s, &Meta::default(), at, |st| {
            survey::decide(st, &issue, &config, at)
        })
        .await
        .unwrap();
        // The other process answers codes 1..=5, one each time this command has decided.
        let rival = std::sync::atomic::AtomicUsize::new(1);
        let command = SurveyCommand::AnswerSurvey {
            code_digest: digests[0].clone(),
            answers: vec![4; 9],
            comment: None,
        };
        let committed = app
            .execute::<SurveyEvent>(&s, &Meta::default(), at, |st| {
                let decided = survey::decide(st, &command, &config, at);
                let n = rival.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if n <= 5 {
                    let other = SurveyEvent::SurveyAnswered {
                        code_digest: digests[n].clone(),
                        answers: vec![3; 9],
                        comment: None,
                        at,
                    };
                    let event = crate::store::NewEvent::new(other.event_type(), other.to_data());
                    futures::executor::block_on(store.append(
                        &s,
                        ExpectedRevision::Any,
                        vec![event],
                    ))
                    .unwrap();
                }
                decided
            })
            .await
            .unwrap();
        assert_eq!(committed.revision, 6);
        let (state, _, _) = app.load::<SurveyEvent>(&s).await.unwrap();
        assert_eq!(state.codes.values().filter(|c| c.used).count(), 6);
        assert!(app.gates.is_empty());
    }
}

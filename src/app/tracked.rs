//! Commands on a stream whose folded state the caller already holds: [`Tracked`] keeps a
//! stream's state and revision, [`App::execute_tracked`] decides on that state and appends with
//! its revision as the expected one, then evolves the state with the new events. A concurrent
//! write makes the append fail on the revision, and the stream is then loaded again and decided
//! again, as [`App::execute`] does. It saves the load before every command when one writer (the
//! demo seed) issues many commands to the same stream; the decision and the append are the same.

use chrono::{DateTime, Utc};

use super::{App, AppError, Committed, MAX_ATTEMPTS, Meta};
use crate::domain::{DomainError, DomainEvent};
use crate::store::{ExpectedRevision, StoreError, StreamId};

/// A stream, its folded state and its revision (None: no stream yet).
#[derive(Debug, Clone)]
pub struct Tracked<E: DomainEvent> {
    pub stream: StreamId,
    pub state: E::State,
    pub revision: Option<u64>,
}

impl<E: DomainEvent> Tracked<E> {
    /// A stream known not to exist yet (the first append expects no stream).
    pub fn new_stream(stream: StreamId) -> Self {
        Self {
            stream,
            state: E::State::default(),
            revision: None,
        }
    }
}

impl App {
    /// Load a stream to track it.
    pub async fn track<E: DomainEvent>(&self, stream: StreamId) -> Result<Tracked<E>, AppError> {
        let (state, revision, _) = self.load::<E>(&stream).await?;
        Ok(Tracked {
            stream,
            state,
            revision,
        })
    }

    /// Decide on the tracked state and append with the tracked revision; on success the state
    /// and revision follow the new events. A caller's Idempotency-Key or If-Match takes the
    /// ordinary path ([`App::execute`]) and the stream is loaded again afterwards.
    pub async fn execute_tracked<E: DomainEvent>(
        &self,
        t: &mut Tracked<E>,
        meta: &Meta,
        at: DateTime<Utc>,
        decide: impl Fn(&E::State) -> Result<Vec<E>, DomainError>,
    ) -> Result<Committed, AppError> {
        if meta.idempotency_key.is_some() || meta.expected_revision.is_some() {
            let committed = self.execute::<E>(&t.stream, meta, at, decide).await?;
            *t = self.track(t.stream.clone()).await?;
            return Ok(committed);
        }
        let mut last_conflict = None;
        for _ in 0..MAX_ATTEMPTS {
            let new = decide(&t.state)?;
            if new.is_empty() {
                return Ok(Committed {
                    stream_id: t.stream.to_string(),
                    revision: t.revision.unwrap_or(0),
                    position: 0,
                    events: Vec::new(),
                });
            }
            let expected = t
                .revision
                .map_or(ExpectedRevision::NoStream, ExpectedRevision::Revision);
            match self
                .append_decided(&t.stream, expected, meta, at, &new)
                .await
            {
                Ok(committed) => {
                    for e in &new {
                        t.state = E::evolve(std::mem::take(&mut t.state), e);
                    }
                    t.revision = Some(committed.revision);
                    return Ok(committed);
                }
                Err(conflict @ AppError::Conflict { .. }) => {
                    last_conflict = Some(conflict);
                    *t = self.track(t.stream.clone()).await?;
                }
                Err(e) => return Err(e),
            }
        }
        Err(last_conflict.unwrap_or_else(|| AppError::Conflict {
            stream_id: t.stream.to_string(),
            expected: ExpectedRevision::Any,
            actual: None,
        }))
    }

    /// Append decided events with their metadata; a wrong expected revision is a
    /// [`AppError::Conflict`].
    pub(crate) async fn append_decided<E: DomainEvent>(
        &self,
        stream: &StreamId,
        expected: ExpectedRevision,
        meta: &Meta,
        at: DateTime<Utc>,
        new: &[E],
    ) -> Result<Committed, AppError> {
        let metadata = meta.to_json(at);
        let types: Vec<String> = new.iter().map(|e| e.event_type().to_string()).collect();
        let batch = new
            .iter()
            .map(|e| crate::store::NewEvent {
                event_id: uuid::Uuid::now_v7(),
                event_type: e.event_type().to_string(),
                schema_version: e.schema_version(),
                data: e.to_data(),
                metadata: metadata.clone(),
            })
            .collect();
        match self.store.append(stream, expected, batch).await {
            Ok(r) => Ok(Committed {
                stream_id: stream.to_string(),
                revision: r.revision,
                position: r.position,
                events: types,
            }),
            Err(StoreError::WrongExpectedVersion {
                stream_id,
                expected,
                actual,
            }) => Err(AppError::Conflict {
                stream_id,
                expected,
                actual,
            }),
            Err(e) => Err(e.into()),
        }
    }
}

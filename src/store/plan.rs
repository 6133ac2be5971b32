//! The pure heart of an append batch, shared by every backend: validate and canonicalise events,
//! check each request's expected revision and idempotency, assign revisions and positions, and
//! compute the hash chain. The backend reads the facts ([`BatchFacts`]) inside its transaction,
//! calls [`plan_batch`], writes the planned rows and commits.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::chain::{EnvelopeRef, canonical_json, event_hash};
use super::{
    AppendResult, ExpectedRevision, LogHead, MAX_EVENT_DATA_BYTES, MAX_EVENT_METADATA_BYTES,
    MAX_EVENT_TYPE_BYTES, NewEvent, RecordedEvent, StoreError, StreamId,
};

/// An event checked and put in canonical form, ready to be placed in the log.
#[derive(Debug, Clone, PartialEq)]
pub struct PreparedEvent {
    pub event_id: Uuid,
    pub event_type: String,
    pub schema_version: u32,
    pub data: String,
    pub metadata: String,
}

/// One caller's append request, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct PreparedAppend {
    pub stream: StreamId,
    pub expected: ExpectedRevision,
    pub events: Vec<PreparedEvent>,
}

fn invalid(reason: impl Into<String>) -> StoreError {
    StoreError::InvalidEvent {
        reason: reason.into(),
    }
}

impl PreparedEvent {
    /// Validate one event: a JSON object as data (≤ 1 MiB), an object as metadata, a sensible type.
    pub fn prepare(e: NewEvent) -> Result<Self, StoreError> {
        if e.event_type.is_empty() || e.event_type.len() > MAX_EVENT_TYPE_BYTES {
            return Err(invalid("event type must be 1 to 100 bytes"));
        }
        if e.event_type
            .chars()
            .any(|c| c.is_control() || c.is_whitespace())
        {
            return Err(invalid(
                "event type contains whitespace or a control character",
            ));
        }
        if e.schema_version == 0 {
            return Err(invalid("schema version starts at 1"));
        }
        if !e.data.is_object() {
            return Err(invalid("event data must be a JSON object"));
        }
        if !e.metadata.is_object() {
            return Err(invalid("event metadata must be a JSON object"));
        }
        let data = canonical_json(&e.data);
        if data.len() > MAX_EVENT_DATA_BYTES {
            return Err(invalid(format!(
                "event data is {} bytes, over the limit of {MAX_EVENT_DATA_BYTES}",
                data.len()
            )));
        }
        let metadata = canonical_json(&e.metadata);
        if metadata.len() > MAX_EVENT_METADATA_BYTES {
            return Err(invalid(format!(
                "event metadata is {} bytes, over the limit of {MAX_EVENT_METADATA_BYTES}",
                metadata.len()
            )));
        }
        Ok(Self {
            event_id: e.event_id,
            event_type: e.event_type,
            schema_version: e.schema_version,
            data,
            metadata,
        })
    }
}

impl PreparedAppend {
    /// Validate a whole request: at least one event, each valid, no id twice.
    pub fn prepare(
        stream: StreamId,
        expected: ExpectedRevision,
        events: Vec<NewEvent>,
    ) -> Result<Self, StoreError> {
        if events.is_empty() {
            return Err(invalid("an append needs at least one event"));
        }
        let mut seen = HashSet::with_capacity(events.len());
        let events = events
            .into_iter()
            .map(|e| {
                if !seen.insert(e.event_id) {
                    return Err(invalid(format!("event id {} appears twice", e.event_id)));
                }
                PreparedEvent::prepare(e)
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            stream,
            expected,
            events,
        })
    }

    /// The ids of the request's events.
    pub fn event_ids(&self) -> impl Iterator<Item = Uuid> + '_ {
        self.events.iter().map(|e| e.event_id)
    }
}

/// What the planner needs to know about the store, read in the batch's transaction.
#[derive(Debug, Clone, Default)]
pub struct BatchFacts {
    /// The committed head of the log.
    pub head: Option<LogHead>,
    /// The last revision of every stream named in the batch (None: no stream).
    pub revisions: HashMap<String, Option<u64>>,
    /// Already stored events whose ids appear in the batch.
    pub existing: HashMap<Uuid, RecordedEvent>,
}

/// The outcome of planning: rows to insert, one answer per request, and the new head.
#[derive(Debug, Clone)]
pub struct BatchPlan {
    pub rows: Vec<RecordedEvent>,
    pub outcomes: Vec<Result<AppendResult, StoreError>>,
    pub head: LogHead,
    /// The last revision of every stream named in the batch once the batch is committed.
    pub revisions: HashMap<String, Option<u64>>,
}

/// The last revisions of streams this writer read or wrote recently, valid only while the log
/// head is where this writer left it: when any other writer (another process or instance) has
/// committed since, the cache is dropped and every revision is read again.
#[derive(Debug, Default)]
pub struct RevisionCache {
    valid_at: Option<u64>,
    revisions: HashMap<String, Option<u64>>,
}

impl RevisionCache {
    /// Entries kept at most; the cache is cleared when it would grow past this.
    pub const CAPACITY: usize = 100_000;

    /// The known revisions among `streams` given the current head, and the streams to read.
    pub fn lookup(
        &mut self,
        head: u64,
        streams: Vec<String>,
    ) -> (HashMap<String, Option<u64>>, Vec<String>) {
        if self.valid_at != Some(head) {
            self.revisions.clear();
            self.valid_at = None;
        }
        let mut known = HashMap::new();
        let mut unknown = Vec::new();
        for s in streams {
            match self.revisions.get(&s) {
                Some(r) => {
                    known.insert(s, *r);
                }
                None => unknown.push(s),
            }
        }
        (known, unknown)
    }

    /// After a commit that left the head at `head`: remember the batch's revisions.
    pub fn remember(&mut self, head: u64, revisions: HashMap<String, Option<u64>>) {
        if self.revisions.len() + revisions.len() > Self::CAPACITY {
            self.revisions.clear();
        }
        self.revisions.extend(revisions);
        self.valid_at = Some(head);
    }

    /// Forget everything (after a failed or doubtful commit).
    pub fn invalidate(&mut self) {
        self.revisions.clear();
        self.valid_at = None;
    }
}

/// Every stream id named in the batch, once.
pub fn streams_of(requests: &[PreparedAppend]) -> Vec<String> {
    let mut set: Vec<String> = requests
        .iter()
        .map(|r| r.stream.as_str().to_string())
        .collect();
    set.sort();
    set.dedup();
    set
}

/// Every event id in the batch.
pub fn event_ids_of(requests: &[PreparedAppend]) -> Vec<Uuid> {
    requests.iter().flat_map(|r| r.event_ids()).collect()
}

/// Plan a batch. `now_micros` is the server clock; recorded times never go back along the log.
pub fn plan_batch(facts: BatchFacts, requests: &[PreparedAppend], now_micros: i64) -> BatchPlan {
    let BatchFacts {
        head,
        mut revisions,
        mut existing,
    } = facts;
    let mut head = head.unwrap_or(LogHead::EMPTY);
    let recorded_micros = now_micros.max(head.recorded_at_micros);
    let recorded_at = DateTime::<Utc>::from_timestamp_micros(recorded_micros).unwrap_or_default();
    let mut rows = Vec::new();
    let mut outcomes = Vec::with_capacity(requests.len());

    for request in requests {
        let actual = revisions
            .get(request.stream.as_str())
            .copied()
            .unwrap_or(None);
        if let Some(outcome) = replayed(request, actual, &existing) {
            outcomes.push(outcome);
            continue;
        }
        if !request.expected.admits(actual) {
            outcomes.push(Err(StoreError::WrongExpectedVersion {
                stream_id: request.stream.to_string(),
                expected: request.expected,
                actual,
            }));
            continue;
        }
        let first_position = head.position + 1;
        let mut revision = actual.map_or(0, |r| r + 1);
        for e in &request.events {
            let position = head.position + 1;
            let mut row = RecordedEvent {
                position,
                event_id: e.event_id,
                stream_id: request.stream.to_string(),
                revision,
                event_type: e.event_type.clone(),
                schema_version: e.schema_version,
                data: e.data.clone(),
                metadata: e.metadata.clone(),
                recorded_at,
                hash: [0; 32],
            };
            row.hash = event_hash(&head.hash, EnvelopeRef::from(&row));
            head = LogHead {
                position,
                hash: row.hash,
                recorded_at_micros: recorded_micros,
            };
            existing.insert(row.event_id, row.clone());
            rows.push(row);
            revision += 1;
        }
        let last = revision - 1;
        revisions.insert(request.stream.to_string(), Some(last));
        outcomes.push(Ok(AppendResult {
            revision: last,
            first_position,
            position: head.position,
        }));
    }
    BatchPlan {
        rows,
        outcomes,
        head,
        revisions,
    }
}

/// If the request's events are already stored, the answer to give (the original result, or an
/// error when they are stored differently); None when none of its ids is stored.
fn replayed(
    request: &PreparedAppend,
    actual: Option<u64>,
    existing: &HashMap<Uuid, RecordedEvent>,
) -> Option<Result<AppendResult, StoreError>> {
    let found: Vec<Option<&RecordedEvent>> =
        request.event_ids().map(|id| existing.get(&id)).collect();
    if found.iter().all(Option::is_none) {
        return None;
    }
    let mut stored = Vec::with_capacity(found.len());
    for (new, old) in request.events.iter().zip(found) {
        let same = old.is_some_and(|old| {
            old.stream_id == request.stream.as_str()
                && old.event_type == new.event_type
                && old.schema_version == new.schema_version
                && old.data == new.data
                && old.metadata == new.metadata
        });
        match old {
            Some(old) if same => stored.push(old),
            _ => {
                return Some(Err(StoreError::DuplicateEventId {
                    event_id: new.event_id,
                }));
            }
        }
    }
    let contiguous = stored
        .windows(2)
        .all(|w| w[1].revision == w[0].revision + 1);
    let first = stored[0];
    let last = stored[stored.len() - 1];
    if !contiguous {
        return Some(Err(StoreError::DuplicateEventId {
            event_id: first.event_id,
        }));
    }
    let expectation_held = match request.expected {
        ExpectedRevision::Any | ExpectedRevision::StreamExists => true,
        ExpectedRevision::NoStream => first.revision == 0,
        ExpectedRevision::Revision(n) => first.revision == n + 1,
    };
    if !expectation_held {
        return Some(Err(StoreError::WrongExpectedVersion {
            stream_id: request.stream.to_string(),
            expected: request.expected,
            actual,
        }));
    }
    Some(Ok(AppendResult {
        revision: last.revision,
        first_position: first.position,
        position: last.position,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn req(stream: &str, expected: ExpectedRevision, n: usize) -> PreparedAppend {
        let events = (0..n)
            .map(|i| NewEvent::new("Thing", json!({ "i": i })))
            .collect();
        PreparedAppend::prepare(StreamId::parse(stream).unwrap(), expected, events).unwrap()
    }

    #[test]
    fn a_failed_expectation_fails_only_its_own_request() {
        let batch = [
            req("a-1", ExpectedRevision::NoStream, 2),
            req("a-1", ExpectedRevision::NoStream, 1),
            req("a-1", ExpectedRevision::Revision(1), 1),
        ];
        let plan = plan_batch(BatchFacts::default(), &batch, 10);
        assert_eq!(plan.rows.len(), 3);
        assert!(plan.outcomes[0].is_ok());
        assert_eq!(
            plan.outcomes[1],
            Err(StoreError::WrongExpectedVersion {
                stream_id: "a-1".into(),
                expected: ExpectedRevision::NoStream,
                actual: Some(1)
            })
        );
        assert_eq!(
            plan.outcomes[2],
            Ok(AppendResult {
                revision: 2,
                first_position: 3,
                position: 3
            })
        );
        assert_eq!(plan.head.position, 3);
    }

    #[test]
    fn a_retry_inside_the_same_batch_returns_the_first_result() {
        let first = req("a-1", ExpectedRevision::NoStream, 2);
        let batch = [first.clone(), first];
        let plan = plan_batch(BatchFacts::default(), &batch, 10);
        assert_eq!(plan.rows.len(), 2);
        assert_eq!(plan.outcomes[0], plan.outcomes[1]);
    }

    #[test]
    fn the_revision_cache_is_dropped_when_another_writer_moved_the_head() {
        let mut cache = RevisionCache::default();
        cache.remember(10, HashMap::from([("a-1".to_string(), Some(3))]));
        let (known, unknown) = cache.lookup(10, vec!["a-1".into(), "a-2".into()]);
        assert_eq!(known.get("a-1"), Some(&Some(3)));
        assert_eq!(unknown, vec!["a-2".to_string()]);
        let (known, unknown) = cache.lookup(11, vec!["a-1".into()]);
        assert!(known.is_empty());
        assert_eq!(unknown, vec!["a-1".to_string()]);
    }

    #[test]
    fn recorded_time_never_goes_back() {
        let facts = BatchFacts {
            head: Some(LogHead {
                position: 5,
                hash: [1; 32],
                recorded_at_micros: 1_000,
            }),
            ..Default::default()
        };
        let plan = plan_batch(facts, &[req("a-1", ExpectedRevision::Any, 1)], 10);
        assert_eq!(plan.rows[0].recorded_at.timestamp_micros(), 1_000);
        assert_eq!(plan.rows[0].position, 6);
    }

    #[test]
    fn bad_events_are_refused() {
        let s = StreamId::parse("a-1").unwrap();
        let not_object = NewEvent::new("T", json!([1]));
        assert!(
            PreparedAppend::prepare(s.clone(), ExpectedRevision::Any, vec![not_object]).is_err()
        );
        let big = NewEvent::new("T", json!({ "x": "y".repeat(MAX_EVENT_DATA_BYTES) }));
        assert!(PreparedAppend::prepare(s.clone(), ExpectedRevision::Any, vec![big]).is_err());
        assert!(PreparedAppend::prepare(s.clone(), ExpectedRevision::Any, vec![]).is_err());
        let e = NewEvent::new("T", json!({}));
        assert!(PreparedAppend::prepare(s, ExpectedRevision::Any, vec![e.clone(), e]).is_err());
    }
}

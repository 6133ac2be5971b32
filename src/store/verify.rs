//! `kinerja verify`, chain part: re-walk `$all` from position 1, recompute every hash from the
//! stored fields, and name the first position that does not match (a changed field, a missing or
//! reordered event, a stored head that points past the end).

use super::chain::{EnvelopeRef, event_hash};
use super::{EventStore, Hash, LogHead, Position, RecordedEvent, StoreError};

/// What a clean walk found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainReport {
    /// Number of events checked.
    pub events: u64,
    /// The head after the last event.
    pub head: LogHead,
}

/// The first thing that does not match.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainBreak {
    #[error(
        "position {position} (event {event_id}): stored hash {stored} but the fields hash to {computed}"
    )]
    HashMismatch {
        position: Position,
        event_id: uuid::Uuid,
        stored: String,
        computed: String,
    },
    #[error(
        "position {expected} is missing: the next stored event has position {found} (event {event_id})"
    )]
    Gap {
        expected: Position,
        found: Position,
        event_id: uuid::Uuid,
    },
    #[error("the recorded head says position {recorded} but the log ends at {actual}")]
    HeadMismatch {
        recorded: Position,
        actual: Position,
    },
    #[error("the recorded head hash at position {position} does not match the last event")]
    HeadHashMismatch { position: Position },
}

impl ChainBreak {
    /// The position at which the chain breaks.
    pub fn position(&self) -> Position {
        match self {
            Self::HashMismatch { position, .. } => *position,
            Self::Gap { expected, .. } => *expected,
            Self::HeadMismatch { actual, .. } => actual + 1,
            Self::HeadHashMismatch { position } => *position,
        }
    }
}

/// Walk the whole log. `progress` is called with the number of events checked so far.
pub async fn verify_chain(
    store: &dyn EventStore,
    page: usize,
    progress: impl FnMut(u64),
) -> Result<Result<ChainReport, ChainBreak>, StoreError> {
    verify_chain_with(store, page, progress, |_| ()).await
}

/// [`verify_chain`], also handing every event whose hash checked out to `on_event`, in order.
pub async fn verify_chain_with(
    store: &dyn EventStore,
    page: usize,
    progress: impl FnMut(u64),
    on_event: impl FnMut(&RecordedEvent),
) -> Result<Result<ChainReport, ChainBreak>, StoreError> {
    let recorded = store.head().await?;
    let head = match walk_chain(store, page, None, progress, on_event).await? {
        Ok(head) => head,
        Err(broken) => return Ok(Err(broken)),
    };
    if recorded.position != head.position {
        return Ok(Err(ChainBreak::HeadMismatch {
            recorded: recorded.position,
            actual: head.position,
        }));
    }
    if recorded.hash != head.hash {
        return Ok(Err(ChainBreak::HeadHashMismatch {
            position: head.position,
        }));
    }
    Ok(Ok(ChainReport {
        events: head.position,
        head,
    }))
}

/// Recompute the chain from position 1 up to `upto` (the whole log when None), handing each
/// event whose hash checks out to `on_event`, in order; the head reached, or the first break.
/// Pages are `page` events; the next page is read while the current one is hashed (the database
/// works on another core).
pub async fn walk_chain(
    store: &dyn EventStore,
    page: usize,
    upto: Option<Position>,
    mut progress: impl FnMut(u64),
    mut on_event: impl FnMut(&RecordedEvent),
) -> Result<Result<LogHead, ChainBreak>, StoreError> {
    let page = page.max(1);
    // How many events to read after `after`: a page, but never past `upto`.
    let want = |after: Position| match upto {
        None => page,
        Some(end) => usize::try_from(end.saturating_sub(after))
            .unwrap_or(usize::MAX)
            .min(page),
    };
    let read = |after: Position| async move {
        match want(after) {
            0 => Ok(Vec::new()),
            n => store.read_all(after, n).await,
        }
    };
    let mut prev: Hash = [0; 32];
    let mut head = LogHead::EMPTY;
    let mut events = read(0).await?;
    while let Some(last) = events.last().map(|e| e.position) {
        let check = async {
            for e in &events {
                let expected = head.position + 1;
                if e.position != expected {
                    return Err(ChainBreak::Gap {
                        expected,
                        found: e.position,
                        event_id: e.event_id,
                    });
                }
                let computed = event_hash(&prev, EnvelopeRef::from(e));
                if computed != e.hash {
                    return Err(ChainBreak::HashMismatch {
                        position: e.position,
                        event_id: e.event_id,
                        stored: hex::encode(e.hash),
                        computed: hex::encode(computed),
                    });
                }
                prev = computed;
                on_event(e);
                head = LogHead {
                    position: e.position,
                    hash: computed,
                    recorded_at_micros: e.recorded_at.timestamp_micros(),
                };
            }
            Ok(())
        };
        let (next, checked) = tokio::join!(read(last), check);
        if let Err(broken) = checked {
            return Ok(Err(broken));
        }
        progress(head.position);
        events = next?;
    }
    Ok(Ok(head))
}

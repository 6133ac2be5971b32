//! `kinerja verify`, chain part: re-walk `$all` from position 1, recompute every hash from the
//! stored fields, and name the first position that does not match (a changed field, a missing or
//! reordered event, a stored head that points past the end).

use super::chain::{EnvelopeRef, event_hash};
use super::{EventStore, LogHead, Position, RecordedEvent, StoreError};

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

/// How many pages are read and checked at once by [`walk_chain`].
const PAGES_IN_FLIGHT: usize = 4;

/// Recompute the chain from position 1 up to `upto` (the whole log when None), handing each
/// event whose hash checks out to `on_event`, in order; the head reached, or the first break.
///
/// Every stored row carries its own hash, so a page can be checked on its own once the stored
/// hash of the event before it is known: each page is read together with that one event, and
/// checking the whole chain is checking every page (event `p` is checked against the stored hash
/// of `p - 1`, which its own page checked in turn). Up to [`PAGES_IN_FLIGHT`] pages are read on
/// separate connections and hashed on blocking threads at once; they are handed on in order.
/// Events appended after the walk began (when `upto` is None) are walked one page at a time.
pub async fn walk_chain(
    store: &dyn EventStore,
    page: usize,
    upto: Option<Position>,
    mut progress: impl FnMut(u64),
    mut on_event: impl FnMut(&RecordedEvent),
) -> Result<Result<LogHead, ChainBreak>, StoreError> {
    use futures::StreamExt;

    let page = u64::try_from(page.max(1)).unwrap_or(u64::MAX);
    let end = match upto {
        Some(end) => end,
        None => store.head().await?.position,
    };
    let pages = futures::stream::iter((0..end.div_ceil(page)).map(|k| {
        let first = k * page + 1;
        let last = (first + page - 1).min(end);
        check_page(store, first, last)
    }))
    .buffered(PAGES_IN_FLIGHT);
    futures::pin_mut!(pages);
    let mut head = LogHead::EMPTY;
    while let Some(checked) = pages.next().await {
        let (last, events, outcome) = checked?;
        for e in &events {
            on_event(e);
        }
        match outcome {
            Ok(reached) => head = reached,
            Err(broken) => return Ok(Err(broken)),
        }
        progress(head.position);
        if head.position < last {
            // The log ends before the recorded head: the caller names the mismatch.
            return Ok(Ok(head));
        }
    }
    if upto.is_some() {
        return Ok(Ok(head));
    }
    // Whatever was appended while the walk ran.
    loop {
        let first = head.position + 1;
        let (_, events, outcome) = check_page(store, first, first + page - 1).await?;
        for e in &events {
            on_event(e);
        }
        let reached = match outcome {
            Ok(reached) => reached,
            Err(broken) => return Ok(Err(broken)),
        };
        if reached.position == head.position {
            return Ok(Ok(head));
        }
        head = reached;
        progress(head.position);
    }
}

/// A checked page: its last position, the events that checked out (only those before the break
/// when there is one), and the head after them or the first break.
type Checked = (Position, Vec<RecordedEvent>, Result<LogHead, ChainBreak>);

/// Read positions `first..=last` and the event before them, and check each against the chain.
async fn check_page(
    store: &dyn EventStore,
    first: Position,
    last: Position,
) -> Result<Checked, StoreError> {
    let want = usize::try_from(last + 1 - first).unwrap_or(usize::MAX);
    let mut events = store
        .read_all(first.saturating_sub(2), want + usize::from(first > 1))
        .await?;
    let before = if first > 1 {
        match events.first() {
            Some(e) if e.position == first - 1 => Some(events.remove(0)),
            // The event before the page is missing: the previous page names the gap.
            _ => None,
        }
    } else {
        None
    };
    let checked = tokio::task::spawn_blocking(move || {
        let outcome = match &before {
            Some(b) => check_run(head_at(b), &events),
            None if first == 1 => check_run(LogHead::EMPTY, &events),
            None => Err(ChainBreak::Gap {
                expected: first - 1,
                found: events.first().map_or(first, |e| e.position),
                event_id: events.first().map(|e| e.event_id).unwrap_or_default(),
            }),
        };
        if let Err(broken) = &outcome {
            let stop = broken.position();
            events.retain(|e| e.position < stop);
        }
        (last, events, outcome)
    })
    .await
    .map_err(|e| StoreError::Backend(format!("chain check task failed: {e}")))?;
    Ok(checked)
}

/// Check consecutive events that follow `from`: positions without a gap, each stored hash equal
/// to the hash of its fields chained to the one before.
fn check_run(from: LogHead, events: &[RecordedEvent]) -> Result<LogHead, ChainBreak> {
    let mut head = from;
    for e in events {
        let expected = head.position + 1;
        if e.position != expected {
            return Err(ChainBreak::Gap {
                expected,
                found: e.position,
                event_id: e.event_id,
            });
        }
        let computed = event_hash(&head.hash, EnvelopeRef::from(e));
        if computed != e.hash {
            return Err(ChainBreak::HashMismatch {
                position: e.position,
                event_id: e.event_id,
                stored: hex::encode(e.hash),
                computed: hex::encode(computed),
            });
        }
        head = head_at(e);
    }
    Ok(head)
}

/// The head of the log just after `e` (whose stored hash has been checked, or is trusted as the
/// link the page before checks).
fn head_at(e: &RecordedEvent) -> LogHead {
    LogHead {
        position: e.position,
        hash: e.hash,
        recorded_at_micros: e.recorded_at.timestamp_micros(),
    }
}

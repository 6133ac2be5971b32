//! The in-memory backend: the whole log in a vector behind a mutex. For tests, benches and demos;
//! it keeps nothing when the process ends.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use tokio::sync::watch;

use super::plan::{BatchFacts, PreparedAppend, plan_batch};
use super::{
    AppendResult, Direction, EventStore, ExpectedRevision, LogHead, NewEvent, Position, ReadFrom,
    RecordedEvent, StoreError, StreamId,
};
use crate::proofs::{Hash, MemoryTree, NodeRef, NodeStore, SignedTreeHead, leaf_hash};

#[derive(Default)]
struct Log {
    events: Vec<RecordedEvent>,
    /// Positions of each stream's events, in revision order.
    streams: HashMap<String, Vec<usize>>,
    by_id: HashMap<uuid::Uuid, usize>,
    /// Every node of the Merkle tree (all levels).
    tree: MemoryTree,
    /// Kept signed tree heads by size.
    heads: std::collections::BTreeMap<u64, SignedTreeHead>,
}

/// The in-memory event store.
pub struct MemoryStore {
    log: Mutex<Log>,
    head: watch::Sender<Position>,
    closed: std::sync::atomic::AtomicBool,
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self {
            log: Mutex::new(Log::default()),
            head: watch::channel(0).0,
            closed: std::sync::atomic::AtomicBool::new(false),
        }
    }

    fn log(&self) -> Result<std::sync::MutexGuard<'_, Log>, StoreError> {
        self.log
            .lock()
            .map_err(|_| StoreError::Backend("memory store lock poisoned".into()))
    }

    fn filtered(
        &self,
        after: Position,
        limit: usize,
        keep: impl Fn(&RecordedEvent) -> bool,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let log = self.log()?;
        let start = usize::try_from(after)
            .unwrap_or(usize::MAX)
            .min(log.events.len());
        Ok(log.events[start..]
            .iter()
            .filter(|e| keep(e))
            .take(limit)
            .cloned()
            .collect())
    }
}

#[async_trait]
impl EventStore for MemoryStore {
    async fn append(
        &self,
        stream: &StreamId,
        expected: ExpectedRevision,
        events: Vec<NewEvent>,
    ) -> Result<AppendResult, StoreError> {
        if self.closed.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(StoreError::ShuttingDown);
        }
        let request = PreparedAppend::prepare(stream.clone(), expected, events)?;
        let mut log = self.log()?;
        let head = log.events.last().map(|e| LogHead {
            position: e.position,
            hash: e.hash,
            recorded_at_micros: e.recorded_at.timestamp_micros(),
        });
        let revision = log
            .streams
            .get(stream.as_str())
            .and_then(|p| p.last())
            .map(|&i| log.events[i].revision);
        let existing = request
            .event_ids()
            .filter_map(|id| log.by_id.get(&id).map(|&i| (id, log.events[i].clone())))
            .collect();
        let facts = BatchFacts {
            head,
            revisions: HashMap::from([(stream.to_string(), revision)]),
            existing,
        };
        let now = chrono::Utc::now().timestamp_micros();
        let mut plan = plan_batch(facts, std::slice::from_ref(&request), now);
        for row in plan.rows {
            let index = log.events.len();
            log.streams
                .entry(row.stream_id.clone())
                .or_default()
                .push(index);
            log.by_id.insert(row.event_id, index);
            log.tree.push(leaf_hash(&row.hash));
            log.events.push(row);
        }
        let position = plan.head.position;
        drop(log);
        self.head.send_if_modified(|h| {
            let newer = position > *h;
            *h = (*h).max(position);
            newer
        });
        plan.outcomes
            .pop()
            .unwrap_or(Err(StoreError::Backend("no outcome".into())))
    }

    async fn read_stream(
        &self,
        stream: &StreamId,
        from: ReadFrom,
        direction: Direction,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let log = self.log()?;
        let Some(indexes) = log.streams.get(stream.as_str()) else {
            return Ok(Vec::new());
        };
        let all = indexes.iter().map(|&i| &log.events[i]);
        let out: Vec<RecordedEvent> = match (direction, from) {
            (Direction::Forwards, ReadFrom::Start) => all.take(limit).cloned().collect(),
            (Direction::Forwards, ReadFrom::End) => Vec::new(),
            (Direction::Forwards, ReadFrom::Revision(r)) => all
                .filter(|e| e.revision >= r)
                .take(limit)
                .cloned()
                .collect(),
            (Direction::Backwards, ReadFrom::Start) => all.take(1.min(limit)).cloned().collect(),
            (Direction::Backwards, ReadFrom::End) => all.rev().take(limit).cloned().collect(),
            (Direction::Backwards, ReadFrom::Revision(r)) => all
                .rev()
                .filter(|e| e.revision <= r)
                .take(limit)
                .cloned()
                .collect(),
        };
        Ok(out)
    }

    async fn stream_revision(&self, stream: &StreamId) -> Result<Option<u64>, StoreError> {
        let log = self.log()?;
        Ok(log
            .streams
            .get(stream.as_str())
            .and_then(|p| p.last())
            .map(|&i| log.events[i].revision))
    }

    async fn read_all(
        &self,
        after: Position,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        self.filtered(after, limit, |_| true)
    }

    async fn read_category(
        &self,
        category: &str,
        after: Position,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        self.filtered(after, limit, |e| e.category() == category)
    }

    async fn read_event_type(
        &self,
        event_type: &str,
        after: Position,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        self.filtered(after, limit, |e| e.event_type == event_type)
    }

    async fn head(&self) -> Result<LogHead, StoreError> {
        let log = self.log()?;
        Ok(log.events.last().map_or(LogHead::EMPTY, |e| LogHead {
            position: e.position,
            hash: e.hash,
            recorded_at_micros: e.recorded_at.timestamp_micros(),
        }))
    }

    fn watch_head(&self) -> watch::Receiver<Position> {
        self.head.subscribe()
    }

    async fn tree_nodes(&self, refs: &[NodeRef]) -> Result<HashMap<NodeRef, Hash>, StoreError> {
        let log = self.log()?;
        let store = log.tree.store();
        Ok(refs
            .iter()
            .filter_map(|r| store.get(r.level, r.index).map(|h| (*r, h)))
            .collect())
    }

    async fn save_tree_head(&self, head: &SignedTreeHead) -> Result<(), StoreError> {
        self.log()?
            .heads
            .entry(head.tree_size)
            .or_insert_with(|| head.clone());
        Ok(())
    }

    async fn tree_heads(
        &self,
        from_size: u64,
        limit: usize,
    ) -> Result<Vec<SignedTreeHead>, StoreError> {
        Ok(self
            .log()?
            .heads
            .range(from_size..)
            .take(limit)
            .map(|(_, h)| h.clone())
            .collect())
    }

    async fn latest_tree_head(&self) -> Result<Option<SignedTreeHead>, StoreError> {
        Ok(self.log()?.heads.values().next_back().cloned())
    }

    async fn shutdown(&self) {
        self.closed.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

//! The sealer: follows the cluster's `$all` in order and seals each event into the ledger
//! database, which gives it our dense position, its chain hash and its Merkle leaf.
//!
//! Sealing an event is an ordinary append to the ledger's own event store (the SQLite or
//! PostgreSQL backend): the same event id, stream, type, schema version, data and metadata, with
//! the exact expectation that its KurrentDB revision implies (`NoStream` for revision 0,
//! `Revision(r - 1)` otherwise). So the one writer of that backend assigns the next position,
//! computes the chain and stores the completed Merkle nodes in the same transaction, exactly as
//! on the SQLite and PostgreSQL backends, and `verify` and the proofs need nothing new. Sealing
//! again an event that is already sealed is the backend's idempotent re-append: it changes
//! nothing and answers the original position. That makes a restart (resume from the last noted
//! server position; the events after it are sealed again or found sealed) and several sealers
//! (one per service instance, on a shared PostgreSQL ledger) safe.
//!
//! The sealer never skips an event it cannot seal: it stops there, says why in its status and
//! the log, and tries again with a growing pause. Appends then time out waiting for their seal.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use super::codec::RawEvent;
use super::index::{Index, SealedRow};
use crate::store::{EventStore, ExpectedRevision, Position, StoreError, StreamId};

/// What the sealer is doing, for health checks and operators.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SealerStatus {
    /// Our position of the last event this sealer sealed or found sealed (0: none yet).
    pub sealed: Position,
    /// The server's position of that event.
    pub server: Option<(u64, u64)>,
    /// Is the subscription to `$all` up?
    pub connected: bool,
    /// Has the subscription reported that it reached the end of `$all` (servers that say so)?
    pub caught_up: bool,
    /// Why the sealer is stuck, when it is.
    pub stalled: Option<String>,
}

/// Why an event was not sealed.
#[derive(Debug, Clone, PartialEq)]
pub enum SealFailure {
    /// The ledger database failed; try again.
    Ledger(StoreError),
    /// The event cannot be sealed as it is (not a kinerja event, or it does not fit the sealed
    /// log: a revision or an id that disagrees with what is sealed).
    Refused(String),
}

impl std::fmt::Display for SealFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Ledger(e) => write!(f, "ledger database: {e}"),
            Self::Refused(reason) => write!(f, "cannot seal: {reason}"),
        }
    }
}

/// Seals events from `$all` into the ledger.
pub struct Sealer {
    ledger: Arc<dyn EventStore>,
    index: Index,
    status: watch::Sender<SealerStatus>,
}

impl Sealer {
    pub fn new(ledger: Arc<dyn EventStore>, index: Index) -> Self {
        Self {
            ledger,
            index,
            status: watch::channel(SealerStatus::default()).0,
        }
    }

    /// A watch of the sealer's status.
    pub fn status(&self) -> watch::Receiver<SealerStatus> {
        self.status.subscribe()
    }

    /// The expectation under which an event at `revision` is sealed.
    pub fn expectation(revision: u64) -> ExpectedRevision {
        match revision {
            0 => ExpectedRevision::NoStream,
            r => ExpectedRevision::Revision(r - 1),
        }
    }

    /// Seal one event from `$all`; None for a system event, which is skipped.
    pub async fn seal(&self, raw: &RawEvent) -> Result<Option<Position>, SealFailure> {
        if raw.is_system() {
            return Ok(None);
        }
        let name = || {
            format!(
                "event {} ({}) at revision {} of {} (server position C:{}/P:{})",
                raw.event_id, raw.event_type, raw.revision, raw.stream_id, raw.commit, raw.prepare
            )
        };
        let event = raw
            .decode()
            .map_err(|r| SealFailure::Refused(format!("{}: {r}", name())))?;
        let stream = StreamId::parse(raw.stream_id.clone())
            .map_err(|e| SealFailure::Refused(format!("{}: {e}", name())))?;
        let sealed = self
            .ledger
            .append(&stream, Self::expectation(raw.revision), vec![event])
            .await
            .map_err(|e| match e {
                StoreError::InvalidEvent { .. }
                | StoreError::InvalidStreamId { .. }
                | StoreError::WrongExpectedVersion { .. }
                | StoreError::DuplicateEventId { .. } => {
                    SealFailure::Refused(format!("{}: {e}", name()))
                }
                e => SealFailure::Ledger(e),
            })?;
        self.index
            .record(&SealedRow {
                position: sealed.position,
                event_id: raw.event_id,
                commit: raw.commit,
                prepare: raw.prepare,
                created_micros: raw.created.timestamp_micros(),
            })
            .await
            .map_err(SealFailure::Ledger)?;
        self.status.send_modify(|s| {
            s.sealed = sealed.position;
            s.server = Some((raw.commit, raw.prepare));
            s.stalled = None;
        });
        Ok(Some(sealed.position))
    }

    /// Seal `raw`, trying again until it is sealed or `stop` is set. False when stopped.
    pub async fn seal_until_done(&self, raw: &RawEvent, stop: &mut watch::Receiver<bool>) -> bool {
        let mut pause = Duration::from_millis(100);
        loop {
            match self.seal(raw).await {
                Ok(_) => return true,
                Err(failure) => {
                    match &failure {
                        SealFailure::Ledger(_) => tracing::warn!(%failure, "sealer: retrying"),
                        SealFailure::Refused(_) => {
                            tracing::error!(%failure, "sealer stalled: the ledger stops here")
                        }
                    }
                    let reason = failure.to_string();
                    self.status.send_modify(|s| s.stalled = Some(reason));
                    let limit = match failure {
                        SealFailure::Ledger(_) => Duration::from_secs(5),
                        SealFailure::Refused(_) => Duration::from_secs(30),
                    };
                    tokio::select! {
                        _ = stop.wait_for(|s| *s) => return false,
                        _ = tokio::time::sleep(pause) => {}
                    }
                    pause = (pause * 2).min(limit);
                }
            }
        }
    }

    /// Follow `$all` from the last noted position until `stop` is set, resubscribing after every
    /// failure (a node down, a leader change, the cluster away) with a growing pause.
    pub async fn run(self, client: kurrentdb::Client, mut stop: watch::Receiver<bool>) {
        use kurrentdb::{StreamPosition, SubscribeToAllOptions, SubscriptionEvent};
        let mut pause = Duration::from_millis(100);
        while !*stop.borrow() {
            let from = match self.index.last_sealed().await {
                Ok(Some((_, p))) => StreamPosition::Position(p),
                Ok(None) => StreamPosition::Start,
                Err(error) => {
                    tracing::warn!(%error, "sealer: cannot read where it stopped; retrying");
                    if sleep_or_stop(&mut stop, pause).await {
                        return;
                    }
                    pause = (pause * 2).min(Duration::from_secs(5));
                    continue;
                }
            };
            let options = SubscribeToAllOptions::default()
                .position(from)
                .filter(kurrentdb::SubscriptionFilter::on_event_type().exclude_system_events());
            let mut subscription = client.subscribe_to_all(&options).await;
            loop {
                let next = tokio::select! {
                    _ = stop.wait_for(|s| *s) => return,
                    next = subscription.next_subscription_event() => next,
                };
                match next {
                    Ok(SubscriptionEvent::EventAppeared(event)) => {
                        pause = Duration::from_millis(100);
                        self.status
                            .send_if_modified(|s| !std::mem::replace(&mut s.connected, true));
                        let raw = RawEvent::from(event.get_original_event());
                        if !self.seal_until_done(&raw, &mut stop).await {
                            return;
                        }
                    }
                    Ok(SubscriptionEvent::Confirmed(_)) => {
                        self.status.send_modify(|s| s.connected = true);
                    }
                    Ok(SubscriptionEvent::CaughtUp(_)) => {
                        self.status.send_modify(|s| s.caught_up = true);
                    }
                    Ok(SubscriptionEvent::FellBehind(_)) => {
                        self.status.send_modify(|s| s.caught_up = false);
                    }
                    Ok(_) => {}
                    Err(error) => {
                        tracing::warn!(%error, ?pause, "sealer: subscription to $all lost; resubscribing");
                        self.status.send_modify(|s| {
                            s.connected = false;
                            s.caught_up = false;
                        });
                        break;
                    }
                }
            }
            if sleep_or_stop(&mut stop, pause).await {
                return;
            }
            pause = (pause * 2).min(Duration::from_secs(5));
        }
    }
}

/// Sleep `pause`; true when `stop` was set meanwhile.
async fn sleep_or_stop(stop: &mut watch::Receiver<bool>, pause: Duration) -> bool {
    let stopped = tokio::select! {
        _ = stop.wait_for(|s| *s) => true,
        _ = tokio::time::sleep(pause) => false,
    };
    stopped || *stop.borrow()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proofs::{Frontier, MemoryTree, leaf_hash, root_at, root_nodes};
    use crate::store::sqlite::SqliteStore;
    use crate::store::verify::verify_chain;
    use crate::store::{Direction, NewEvent, ReadFrom, RecordedEvent};
    use chrono::Utc;
    use serde_json::json;
    use uuid::Uuid;

    use crate::store::kurrentdb::codec::metadata_bytes;
    use crate::store::plan::PreparedEvent;

    /// A fake `$all`: events as kinerja writes them, interleaved with system events, at sparse
    /// server positions.
    fn fake_all(n: u64) -> Vec<RawEvent> {
        let mut out = Vec::new();
        let mut revisions = std::collections::HashMap::<String, u64>::new();
        let mut commit = 1_000u64;
        for i in 0..n {
            let stream = format!("officer-{}", i % 3);
            let revision = revisions.entry(stream.clone()).or_insert(0);
            let mut event = NewEvent::new("ReportFiled", json!({ "i": i, "note": "ok" }))
                .with_metadata(json!({ "actor": "19870101", "$correlationId": i.to_string() }));
            event.event_id = Uuid::from_u128(u128::from(i) + 1);
            event.schema_version = 1 + (i % 2) as u32;
            let prepared = PreparedEvent::prepare(event).unwrap();
            commit += 137 + i * 11;
            out.push(RawEvent {
                stream_id: stream.clone(),
                event_id: prepared.event_id,
                revision: *revision,
                event_type: prepared.event_type.clone(),
                data: prepared.data.clone().into_bytes(),
                custom_metadata: metadata_bytes(&prepared.metadata, prepared.schema_version)
                    .unwrap(),
                commit,
                prepare: commit,
                created: Utc::now(),
            });
            *revision += 1;
            if i % 4 == 0 {
                commit += 50;
                out.push(RawEvent {
                    stream_id: format!("$ce-officer-{i}"),
                    event_id: Uuid::new_v4(),
                    revision: i,
                    event_type: "$>".into(),
                    data: b"0@officer-0".to_vec(),
                    custom_metadata: Vec::new(),
                    commit,
                    prepare: commit,
                    created: Utc::now(),
                });
            }
        }
        out
    }

    async fn ledger(dir: &tempfile::TempDir) -> (Arc<dyn EventStore>, Index) {
        let url = format!("sqlite://{}", dir.path().join("ledger.db").display());
        let store: Arc<dyn EventStore> =
            Arc::new(SqliteStore::open(&url, Default::default()).await.unwrap());
        let index = Index::connect(&url).await.unwrap();
        index.claim(0).await.unwrap();
        (store, index)
    }

    #[tokio::test]
    async fn sealing_gives_dense_positions_a_valid_chain_and_the_same_merkle_root() {
        let dir = tempfile::tempdir().unwrap();
        let (store, index) = ledger(&dir).await;
        let sealer = Sealer::new(store.clone(), index.clone());
        let all = fake_all(40);
        let mut sealed = Vec::new();
        for raw in &all {
            if let Some(p) = sealer.seal(raw).await.unwrap() {
                sealed.push((p, raw.clone()));
            }
        }
        // Dense positions 1..=40 in $all order; system events skipped.
        assert_eq!(
            sealed.iter().map(|(p, _)| *p).collect::<Vec<_>>(),
            (1..=40).collect::<Vec<_>>()
        );
        let events: Vec<RecordedEvent> = store.read_all(0, 1000).await.unwrap();
        assert_eq!(events.len(), 40);
        for (event, (_, raw)) in events.iter().zip(&sealed) {
            assert_eq!(event.event_id, raw.event_id);
            assert_eq!(event.stream_id, raw.stream_id);
            assert_eq!(event.revision, raw.revision);
            let decoded = raw.decode().unwrap();
            assert_eq!(event.schema_version, decoded.schema_version);
            assert_eq!(event.data_json(), decoded.data);
            assert_eq!(event.metadata_json(), decoded.metadata);
        }
        // The chain verifies like any backend's, and the stored tree has the root of the leaves.
        let report = verify_chain(store.as_ref(), 1000, |_| {})
            .await
            .unwrap()
            .unwrap();
        assert_eq!(report.events, 40);
        let full = MemoryTree::from_leaves(events.iter().map(|e| leaf_hash(&e.hash)));
        let nodes = store.tree_nodes(&root_nodes(40)).await.unwrap();
        assert_eq!(root_at(&nodes, 40).unwrap(), full.root());
        let mut frontier = Frontier::new();
        for e in &events {
            let _ = frontier.push(leaf_hash(&e.hash));
        }
        assert_eq!(frontier.root(), full.root());
        // The map to server positions is complete and in step.
        let map = index.sealed_after(0, 1000).await.unwrap();
        assert_eq!(
            map,
            sealed
                .iter()
                .map(|(p, r)| (*p, r.event_id))
                .collect::<Vec<_>>()
        );
        let (last, server) = index.last_sealed().await.unwrap().unwrap();
        assert_eq!(last, 40);
        assert_eq!(server.commit, sealed[39].1.commit);
        // Stream reads from the sealed log carry KurrentDB's revisions.
        let s = StreamId::parse("officer-1").unwrap();
        let stream = store
            .read_stream(&s, ReadFrom::Start, Direction::Forwards, 100)
            .await
            .unwrap();
        assert_eq!(
            stream.iter().map(|e| e.revision).collect::<Vec<_>>(),
            (0..13).collect::<Vec<_>>()
        );
    }

    #[tokio::test]
    async fn sealing_again_after_a_restart_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let (store, index) = ledger(&dir).await;
        let all = fake_all(20);
        let sealer = Sealer::new(store.clone(), index.clone());
        for raw in &all {
            sealer.seal(raw).await.unwrap();
        }
        let before = store.head().await.unwrap();
        // A second sealer (a restart, or another instance) goes over the same events.
        let again = Sealer::new(store.clone(), index.clone());
        for raw in &all {
            again.seal(raw).await.unwrap();
        }
        assert_eq!(store.head().await.unwrap(), before);
        assert_eq!(index.sealed_after(0, 100).await.unwrap().len(), 20);
        assert_eq!(again.status().borrow().sealed, 20);
    }

    #[tokio::test]
    async fn an_event_that_does_not_fit_stalls_the_sealer_with_a_reason() {
        let dir = tempfile::tempdir().unwrap();
        let (store, index) = ledger(&dir).await;
        let sealer = Sealer::new(store.clone(), index);
        let all: Vec<RawEvent> = fake_all(3).into_iter().filter(|e| !e.is_system()).collect();
        sealer.seal(&all[0]).await.unwrap();
        // Revision 5 of a stream whose last sealed revision is 0: a gap.
        let mut gap = all[2].clone();
        gap.stream_id = all[0].stream_id.clone();
        gap.revision = 5;
        assert!(matches!(
            sealer.seal(&gap).await,
            Err(SealFailure::Refused(r)) if r.contains("revision 5")
        ));
        // The same id again with other content.
        let mut changed = all[0].clone();
        changed.data = br#"{"i":99}"#.to_vec();
        assert!(matches!(
            sealer.seal(&changed).await,
            Err(SealFailure::Refused(_))
        ));
        // Not JSON.
        let mut binary = all[1].clone();
        binary.data = vec![0, 1, 2];
        assert!(matches!(
            sealer.seal(&binary).await,
            Err(SealFailure::Refused(_))
        ));
        assert_eq!(store.head().await.unwrap().position, 1);
    }

    #[test]
    fn expectations_follow_the_server_revision() {
        assert_eq!(Sealer::expectation(0), ExpectedRevision::NoStream);
        assert_eq!(Sealer::expectation(4), ExpectedRevision::Revision(3));
    }
}

//! The distributed backend: events in a KurrentDB (EventStoreDB) cluster, the ledger (sealed log,
//! hash chain, Merkle tree, tree heads) and the read models in a PostgreSQL or SQLite database
//! beside it. Built with the `kurrentdb` cargo feature; selected by a `kurrentdb://`,
//! `kurrentdb+discover://`, `esdb://` or `esdb+discover://` URL (see [`config`]).
//!
//! # Why a sealer
//!
//! The hash chain and the Merkle tree cannot be computed inside KurrentDB's transaction, and the
//! server's `$all` positions (commit/prepare byte offsets) are sparse while ours are dense (Merkle
//! leaf i is position i + 1; `read_all(after)` pages by it). So:
//!
//! - **writes** go to the cluster: `append` sends the events with the caller's expectation as the
//!   client's `StreamState` (`Any`, `NoStream`, `StreamExists`, `StreamRevision(n)`); the
//!   cluster's leader decides, replicates to a quorum and answers;
//! - **the sealer** ([`sealer`]) follows the cluster's `$all` with a catch-up subscription (system
//!   events, `$`-prefixed, filtered out by the server and again here) and seals each event, in
//!   `$all` order, into the ledger database by appending it to that database's own event store
//!   (the SQLite or PostgreSQL backend) with the expectation its KurrentDB revision implies. That
//!   backend's one writer gives it the next dense position, its chain hash and its Merkle nodes,
//!   in one transaction, exactly as everywhere else. The server's commit/prepare position, the
//!   event id and the server's `created` time are noted in `kurrentdb_sealed`;
//! - **reads** are all served from the sealed log, so every event read carries its position,
//!   hash and recorded time: `read_all`, `read_category` (`$ce-`), `read_event_type` (`$et-`),
//!   `head`, the tree nodes and heads directly; `read_stream` first asks the cluster's leader for
//!   the stream's last revision and waits (bounded) until the sealer has reached it, so a stream
//!   read is as fresh as the cluster; `stream_revision` is the cluster's answer. Subscriptions
//!   (which page `read_all`/`read_category`) and the head watch follow the sealed log too;
//! - an **append returns once its events are sealed** (bounded by `sealTimeoutMs`, default 10 s),
//!   with our positions, so read-your-writes holds as on the other backends.
//!
//! `kinerja verify` and the proofs read the same tables as on the SQL backends and work
//! unchanged, on the `kurrentdb://` URL or directly on the ledger database's URL.
//!
//! # Differences from the SQL backends
//!
//! - `recorded_at` is the time the event was sealed (the ledger database's clock; it never
//!   decreases along the log), usually milliseconds after the cluster's commit; the cluster's own
//!   `created` time is kept in `kurrentdb_sealed.created_at`.
//! - Idempotency: an append whose event ids are already sealed is answered from the sealed log
//!   exactly as on the other backends (the original result, `DuplicateEventId` for other content,
//!   `WrongExpectedVersion` for an expectation that did not hold). Ids written but not sealed yet
//!   go to the server, which de-duplicates by event id for the same expected revision; once
//!   sealed, the stored content is compared and a difference is `DuplicateEventId`. Under `Any`
//!   the server's de-duplication is best effort only: a repeat of an unsealed append under `Any`
//!   can be written twice, and the sealer then stalls on the second copy (see below). Use exact
//!   expectations, as kinerja's commands do.
//! - The metadata key `$kinerjaSchemaVersion` is reserved (it carries the schema version in the
//!   event's KurrentDB metadata); an event whose metadata has it is refused as invalid.
//! - A batch of appends is not grouped into one commit (each append is one server write); the
//!   sealer seals one event per ledger transaction.
//!
//! # Failures
//!
//! - Appends that fail because no leader is reachable (`NotLeader`, connection errors) are
//!   retried a few times with a pause while the client rediscovers the cluster, then answered
//!   [`StoreError::NotCommitted`] (HTTP 503 with `Retry-After`). A deadline or a connection lost
//!   mid-call is [`StoreError::CommitUnknown`] (also 503), retried first when the expectation is
//!   exact (the server makes such a repeat idempotent). An append written but not sealed within
//!   the timeout is `CommitUnknown` too: resending it with the same event ids answers its
//!   position once it is sealed.
//! - Reads keep working from the ledger database while the cluster is away: after a failed call
//!   the freshness check of stream reads is skipped for a few seconds.
//! - The sealer resubscribes after every failure (node down, leader change) from the last noted
//!   server position; what it seals again is found sealed and changes nothing. An event it cannot
//!   seal (not JSON, a revision or id that disagrees with the sealed log) stops it there, loudly,
//!   in [`KurrentDbStore::sealer_status`] and the log; it never skips an event.
//! - Several service instances may share a PostgreSQL ledger database: each runs a sealer, and the
//!   idempotent re-append makes them agree. A SQLite ledger serves one instance.
//! - The ledger database is claimed on first use; one that already holds events that did not
//!   come from the cluster is refused.

pub mod codec;
pub mod config;
pub mod error;
pub mod index;
pub mod sealer;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use uuid::Uuid;

use super::plan::{BatchFacts, PreparedAppend, plan_batch};
use super::writer::WriterOptions;
use super::{
    AppendResult, Direction, EventStore, ExpectedRevision, LogHead, NewEvent, Position, ReadFrom,
    RecordedEvent, StoreError, StreamId,
};
use crate::proofs::{Hash, NodeRef, SignedTreeHead};
use config::Config;
use index::Index;
use sealer::{Sealer, SealerStatus};

/// Deadline of one append call to the cluster.
const APPEND_DEADLINE: Duration = Duration::from_secs(5);
/// Deadline of the revision check before a stream read.
const READ_DEADLINE: Duration = Duration::from_secs(2);
/// Pauses before the retries of an append that did not reach a leader.
const RETRY_PAUSES: [Duration; 3] = [
    Duration::from_millis(100),
    Duration::from_millis(400),
    Duration::from_millis(1000),
];
/// How long reads skip the cluster after a failed call.
const CLUSTER_BACKOFF: Duration = Duration::from_secs(5);

/// The KurrentDB event store.
pub struct KurrentDbStore {
    client: kurrentdb::Client,
    ledger: Arc<dyn EventStore>,
    index: Index,
    config: Config,
    status: watch::Receiver<SealerStatus>,
    stop: watch::Sender<bool>,
    sealer: tokio::sync::Mutex<Option<JoinHandle<()>>>,
    accepting: AtomicBool,
    /// Appends between their check of `accepting` and their answer; shutdown waits for them.
    in_flight: AtomicUsize,
    cluster_down_until: std::sync::Mutex<Option<Instant>>,
}

/// Counts an append in flight while it lives.
struct InFlight<'a>(&'a AtomicUsize);

impl<'a> InFlight<'a> {
    fn enter(count: &'a AtomicUsize) -> Self {
        count.fetch_add(1, Ordering::SeqCst);
        Self(count)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl KurrentDbStore {
    /// Open the store at `url` (see [`config`]): connect the client (lazily: the cluster need
    /// not be up), open and migrate the ledger database, claim it, and start the sealer.
    pub async fn open(url: &str, options: WriterOptions) -> Result<Self, StoreError> {
        let config = Config::parse(url, std::env::var(config::LEDGER_ENV).ok())?;
        let settings: kurrentdb::ClientSettings = config
            .cluster
            .parse()
            .map_err(|e| StoreError::Backend(format!("KurrentDB URL: {e}")))?;
        let client = kurrentdb::Client::new(settings)
            .map_err(|e| StoreError::Backend(format!("KurrentDB client: {e}")))?;
        let ledger: Arc<dyn EventStore> = if config.ledger.starts_with("sqlite:") {
            Arc::new(super::sqlite::SqliteStore::open(&config.ledger, options).await?)
        } else {
            Arc::new(super::postgres::PostgresStore::open(&config.ledger, options).await?)
        };
        let index = Index::connect(&config.ledger).await?;
        index.claim(ledger.head().await?.position).await?;
        let sealer = Sealer::new(ledger.clone(), index.clone());
        let status = sealer.status();
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(sealer.run(client.clone(), stopped));
        tracing::info!(cluster = %config.cluster_for_logs(), "KurrentDB backend: sealer started");
        Ok(Self {
            client,
            ledger,
            index,
            config,
            status,
            stop,
            sealer: tokio::sync::Mutex::new(Some(task)),
            accepting: AtomicBool::new(true),
            in_flight: AtomicUsize::new(0),
            cluster_down_until: std::sync::Mutex::new(None),
        })
    }

    /// The sealer's status (for health checks).
    pub fn sealer_status(&self) -> SealerStatus {
        self.status.borrow().clone()
    }

    /// The ledger database's event store (the sealed log).
    pub fn ledger(&self) -> &Arc<dyn EventStore> {
        &self.ledger
    }

    /// The KurrentDB client.
    pub fn client(&self) -> &kurrentdb::Client {
        &self.client
    }

    fn cluster_recently_down(&self) -> bool {
        self.cluster_down_until
            .lock()
            .ok()
            .and_then(|g| *g)
            .is_some_and(|until| Instant::now() < until)
    }

    fn note_cluster(&self, up: bool) {
        if let Ok(mut g) = self.cluster_down_until.lock() {
            *g = (!up).then(|| Instant::now() + CLUSTER_BACKOFF);
        }
    }

    /// The answer to a request whose ids are (some or all) sealed, as every backend gives it.
    async fn answer_from_sealed(
        &self,
        request: &PreparedAppend,
        sealed: Vec<RecordedEvent>,
    ) -> Result<AppendResult, StoreError> {
        let actual = self.ledger.stream_revision(&request.stream).await?;
        let facts = BatchFacts {
            head: None,
            revisions: HashMap::from([(request.stream.to_string(), actual)]),
            existing: sealed.into_iter().map(|e| (e.event_id, e)).collect(),
        };
        let plan = plan_batch(
            facts,
            std::slice::from_ref(request),
            chrono::Utc::now().timestamp_micros(),
        );
        match (plan.rows.is_empty(), plan.outcomes.into_iter().next()) {
            (true, Some(outcome)) => outcome,
            _ => Err(StoreError::Backend(
                "sealed events did not answer the request".into(),
            )),
        }
    }

    /// Send the request to the cluster, retrying what may be retried.
    async fn send(&self, request: &PreparedAppend) -> Result<kurrentdb::WriteResult, StoreError> {
        let events = request
            .events
            .iter()
            .map(codec::encode)
            .collect::<Result<Vec<_>, _>>()?;
        let options = kurrentdb::AppendToStreamOptions::default()
            .stream_state(error::stream_state(request.expected))
            .deadline(APPEND_DEADLINE);
        let mut attempt = 0;
        loop {
            match self
                .client
                .append_to_stream(request.stream.as_str(), &options, events.clone())
                .await
            {
                Ok(written) => {
                    self.note_cluster(true);
                    return Ok(written);
                }
                Err(e) => {
                    if let Some(pause) = RETRY_PAUSES.get(attempt)
                        && error::retryable(&e, request.expected)
                        && self.accepting.load(Ordering::SeqCst)
                    {
                        tracing::warn!(error = %e, attempt, "append to KurrentDB failed; retrying");
                        tokio::time::sleep(*pause).await;
                        attempt += 1;
                        continue;
                    }
                    if error::outcome(&e) != error::Outcome::Final {
                        self.note_cluster(false);
                    }
                    return Err(error::append_error(
                        e,
                        request.stream.as_str(),
                        request.expected,
                    ));
                }
            }
        }
    }

    /// Wait until the sealer has sealed every id, then answer from the sealed log.
    async fn wait_sealed(
        &self,
        request: &PreparedAppend,
        ids: &[Uuid],
        written: &kurrentdb::WriteResult,
    ) -> Result<AppendResult, StoreError> {
        let deadline = Instant::now() + self.config.seal_timeout;
        let mut head = self.ledger.watch_head();
        loop {
            head.borrow_and_update();
            let sealed = self.index.events_by_id(ids).await?;
            if sealed.len() == ids.len() {
                return self.answer_from_sealed(request, sealed).await;
            }
            let now = Instant::now();
            if now >= deadline {
                let stalled = self.sealer_status().stalled.unwrap_or_default();
                return Err(StoreError::CommitUnknown(format!(
                    "written to KurrentDB at {} (stream revision {}) but not sealed into the \
                     ledger within {:?}; resend with the same event ids to learn its position. \
                     {stalled}",
                    written.position, written.next_expected_version, self.config.seal_timeout
                )));
            }
            let wait = (deadline - now).min(Duration::from_millis(50));
            let _ = tokio::time::timeout(wait, head.changed()).await;
        }
    }

    /// The stream's last revision according to the cluster's leader.
    async fn cluster_revision(&self, stream: &StreamId) -> Result<Option<u64>, kurrentdb::Error> {
        let options = kurrentdb::ReadStreamOptions::default()
            .position(kurrentdb::StreamPosition::End)
            .backwards()
            .max_count(1)
            .requires_leader(true)
            .deadline(READ_DEADLINE);
        let mut read = match self.client.read_stream(stream.as_str(), &options).await {
            Ok(r) => r,
            Err(kurrentdb::Error::ResourceNotFound) => return Ok(None),
            Err(e) => return Err(e),
        };
        match read.next().await {
            Ok(Some(e)) => Ok(Some(e.get_original_event().revision)),
            Ok(None) | Err(kurrentdb::Error::ResourceNotFound) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Before a stream read: wait (bounded) until the sealer has reached the stream's last
    /// revision in the cluster. Skipped while the cluster is away.
    async fn catch_up_with(&self, stream: &StreamId) {
        if self.cluster_recently_down() {
            return;
        }
        let target = match self.cluster_revision(stream).await {
            Ok(Some(r)) => {
                self.note_cluster(true);
                r
            }
            Ok(None) => return,
            Err(error) => {
                self.note_cluster(false);
                tracing::warn!(%error, "KurrentDB not reachable; reading the sealed log as it is");
                return;
            }
        };
        let deadline = Instant::now() + self.config.seal_timeout;
        let mut head = self.ledger.watch_head();
        loop {
            head.borrow_and_update();
            match self.ledger.stream_revision(stream).await {
                Ok(Some(r)) if r >= target => return,
                Err(_) => return,
                Ok(_) => {}
            }
            let now = Instant::now();
            if now >= deadline {
                tracing::warn!(%stream, target, "the sealer is behind; reading the sealed log as it is");
                return;
            }
            let wait = (deadline - now).min(Duration::from_millis(50));
            let _ = tokio::time::timeout(wait, head.changed()).await;
        }
    }
}

impl Drop for KurrentDbStore {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        if let Ok(mut task) = self.sealer.try_lock()
            && let Some(task) = task.take()
        {
            task.abort();
        }
    }
}

#[async_trait]
impl EventStore for KurrentDbStore {
    async fn append(
        &self,
        stream: &StreamId,
        expected: ExpectedRevision,
        events: Vec<NewEvent>,
    ) -> Result<AppendResult, StoreError> {
        let _in_flight = InFlight::enter(&self.in_flight);
        if !self.accepting.load(Ordering::SeqCst) {
            return Err(StoreError::ShuttingDown);
        }
        let request = PreparedAppend::prepare(stream.clone(), expected, events)?;
        for e in &request.events {
            codec::metadata_bytes(&e.metadata, e.schema_version)?;
        }
        let ids: Vec<Uuid> = request.event_ids().collect();
        let sealed = self.index.events_by_id(&ids).await?;
        if !sealed.is_empty() {
            return self.answer_from_sealed(&request, sealed).await;
        }
        let written = self.send(&request).await?;
        self.wait_sealed(&request, &ids, &written).await
    }

    async fn read_stream(
        &self,
        stream: &StreamId,
        from: ReadFrom,
        direction: Direction,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        self.catch_up_with(stream).await;
        self.ledger
            .read_stream(stream, from, direction, limit)
            .await
    }

    async fn stream_revision(&self, stream: &StreamId) -> Result<Option<u64>, StoreError> {
        if !self.cluster_recently_down() {
            match self.cluster_revision(stream).await {
                Ok(r) => {
                    self.note_cluster(true);
                    return Ok(r);
                }
                Err(e) => {
                    self.note_cluster(false);
                    let error = error::read_error(e);
                    tracing::warn!(%error, "stream revision from the sealed log instead");
                }
            }
        }
        self.ledger.stream_revision(stream).await
    }

    async fn read_all(
        &self,
        after: Position,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        self.ledger.read_all(after, limit).await
    }

    async fn read_positions(
        &self,
        positions: &[Position],
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        self.ledger.read_positions(positions).await
    }

    async fn read_category(
        &self,
        category: &str,
        after: Position,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        self.ledger.read_category(category, after, limit).await
    }

    async fn read_event_type(
        &self,
        event_type: &str,
        after: Position,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        self.ledger.read_event_type(event_type, after, limit).await
    }

    async fn head(&self) -> Result<LogHead, StoreError> {
        self.ledger.head().await
    }

    fn watch_head(&self) -> watch::Receiver<Position> {
        self.ledger.watch_head()
    }

    async fn shutdown(&self) {
        self.accepting.store(false, Ordering::SeqCst);
        // Let the appends already sent be sealed and answered before the sealer stops.
        let deadline = Instant::now() + self.config.seal_timeout;
        while self.in_flight.load(Ordering::SeqCst) > 0 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let _ = self.stop.send(true);
        if let Some(task) = self.sealer.lock().await.take() {
            let _ = task.await;
        }
        self.ledger.shutdown().await;
    }

    async fn tree_nodes(&self, refs: &[NodeRef]) -> Result<HashMap<NodeRef, Hash>, StoreError> {
        self.ledger.tree_nodes(refs).await
    }

    async fn save_tree_head(&self, head: &SignedTreeHead) -> Result<(), StoreError> {
        self.ledger.save_tree_head(head).await
    }

    async fn tree_heads(
        &self,
        from_size: u64,
        limit: usize,
    ) -> Result<Vec<SignedTreeHead>, StoreError> {
        self.ledger.tree_heads(from_size, limit).await
    }

    async fn latest_tree_head(&self) -> Result<Option<SignedTreeHead>, StoreError> {
        self.ledger.latest_tree_head().await
    }
}

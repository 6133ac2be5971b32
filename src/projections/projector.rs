//! The projector: checkpointed catch-up over `$all`, then live.
//!
//! Each page of `$all` after the lowest checkpoint is decoded once, fed to each projection whose
//! checkpoint is behind it, and the touched documents are flushed into row upserts, which are
//! committed with every moved checkpoint in one transaction ([`ReadDb::commit`]). A failed commit
//! (or a checkpoint moved by another process) throws the in-memory state away and restores it
//! from the tables, which hold exactly the last committed batch: a crash in the middle of a batch
//! never double-applies or loses an event.
//!
//! Catching up is a pipeline of three stages: while page N is folded, page N + 1 is being read
//! and page N − 1 committed. Big pages are decoded on several threads and the projections fold
//! them side by side, each on its own thread (they share nothing). Commits stay in page order.
//!
//! After a commit the projector publishes the new committed position on a watch (for
//! `min_position` waits) and the changed scorecards and dashboards on a broadcast channel (the live
//! feed).

use std::collections::{BTreeSet, HashMap};
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tokio::sync::{Mutex, broadcast, watch};

use super::db::{CheckpointMove, ReadDb};
use super::{Changes, Envelope, Projection, ProjectionError, Result, TableDef};
use crate::store::{EventStore, Position};

/// What a committed batch changed, for the live feed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Topic {
    /// An officer's scorecard for a year.
    Scorecard { nip: String, year: i32 },
    /// A unit's dashboard (and so its ancestors').
    Dashboard { unit: String },
}

/// One committed batch, as the live feed sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveChange {
    /// The committed position after the batch.
    pub position: Position,
    pub topics: Vec<Topic>,
    /// The read-model tables the batch wrote rows of, sorted (empty: not known).
    #[serde(default)]
    pub tables: Vec<String>,
    /// The NIPs of the officers whose `rm_officer` rows the batch wrote, sorted: complete
    /// whenever `tables` is known, so a follower re-reads those officers, not whole units.
    #[serde(default)]
    pub officers: Vec<String>,
    /// Every row the batch wrote of the [`CARRIED_TABLES`], when it wrote no more than
    /// [`Projector::carried_rows`] of them and deleted none (`None` otherwise): a follower that keeps
    /// those rows in memory takes them from here instead of reading them again.
    #[serde(skip)]
    pub docs: Option<Arc<[ChangedDoc]>>,
}

/// One row of a committed batch, as [`LiveChange::docs`] carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangedDoc {
    pub table: &'static str,
    pub key: String,
    /// The row's `doc` column.
    pub doc: String,
}

/// The read-model tables whose rows the feed carries: what the dashboard cache keeps.
pub const CARRIED_TABLES: [&str; 4] = ["rm_officer", "rm_plan", "rm_survey", "rm_unit"];

/// A batch that writes more rows than this of the [`CARRIED_TABLES`] (a rebuild's or a
/// catch-up's page) carries none of them by default: copying them would cost more than reading
/// again what a follower needs ([`Projector::carried_rows`]).
pub const CARRIED_ROWS: usize = 256;

/// The rows of the [`CARRIED_TABLES`] a batch writes, for [`LiveChange::docs`], unless more
/// than `limit`.
fn carried_docs(changes: &Changes, limit: usize) -> Option<Arc<[ChangedDoc]>> {
    let mut docs = Vec::new();
    for table in CARRIED_TABLES {
        for ((_, key), row) in rows_of(changes, table) {
            let Some(super::Val::Text(Some(doc))) = row.as_ref().and_then(|r| r.last()) else {
                return None;
            };
            if docs.len() == limit {
                return None;
            }
            docs.push(ChangedDoc {
                table,
                key: key.clone(),
                doc: doc.clone(),
            });
        }
    }
    Some(docs.into())
}

impl LiveChange {
    /// Whether the batch wrote rows of `table` (also when the tables are not known): a
    /// follower re-reads data of a topic only from the tables that changed.
    pub fn wrote(&self, table: &str) -> bool {
        self.tables.is_empty() || self.tables.iter().any(|t| t == table)
    }
}

/// How far the read models are behind the log.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Lag {
    /// Head of `$all`.
    pub head: Position,
    /// Lowest committed checkpoint.
    pub position: Position,
    /// `head - position`.
    pub events: u64,
    /// Age of the oldest event not yet folded (0 when caught up).
    pub seconds: f64,
}

/// Progress of a rebuild or catch-up.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Progress {
    /// Position reached.
    pub position: Position,
    /// Head of the log when the run started.
    pub head: Position,
    /// Events folded so far in this run.
    pub events: u64,
    pub elapsed: Duration,
}

struct Slot {
    projection: Box<dyn Projection>,
    version: u32,
    /// Folded into the in-memory state (ahead of `committed` while a commit is in flight).
    position: Position,
    /// Committed with the rows.
    committed: Position,
}

/// One folded page, ready to commit.
struct Batch {
    last: Position,
    changes: Changes,
    topics: Vec<Topic>,
    moves: Vec<CheckpointMove>,
}

/// A committed page, for the watchers.
struct Committed {
    last: Position,
    topics: Vec<Topic>,
    tables: Vec<String>,
    officers: Vec<String>,
    docs: Option<Arc<[ChangedDoc]>>,
}

/// The tables a batch writes rows of, sorted (the rows are keyed by table first).
fn tables_of(changes: &Changes) -> Vec<String> {
    let mut tables: Vec<String> = Vec::new();
    for (table, _) in changes.rows.keys() {
        if tables.last().is_none_or(|t| t != table) {
            tables.push((*table).to_string());
        }
    }
    tables
}

/// The rows of `table` a batch writes (`None`: deleted), in key order.
fn rows_of<'c>(
    changes: &'c Changes,
    table: &'static str,
) -> impl Iterator<Item = (&'c (&'static str, String), &'c Option<Vec<super::Val>>)> {
    changes
        .rows
        .range((table, String::new())..)
        .take_while(move |((t, _), _)| *t == table)
}

/// The keys of the rows of `table` a batch writes, sorted.
fn keys_of(changes: &Changes, table: &'static str) -> Vec<String> {
    rows_of(changes, table)
        .map(|((_, k), _)| k.clone())
        .collect()
}

/// Pages of at least this many events are decoded and folded on several threads.
const PARALLEL_FROM: usize = 1024;

fn threads() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
}

/// Run blocking work from async code: on a multi-thread runtime the worker hands its other tasks
/// away meanwhile (so the read and the commit in flight go on); elsewhere it just runs.
fn blocking<T>(f: impl FnOnce() -> T) -> T {
    use tokio::runtime::{Handle, RuntimeFlavor};
    match Handle::try_current().map(|h| h.runtime_flavor()) {
        Ok(RuntimeFlavor::MultiThread) => tokio::task::block_in_place(f),
        _ => f(),
    }
}

/// Decode every event once (in parallel chunks for big pages), in order.
fn decode(mut events: Vec<crate::store::RecordedEvent>) -> Vec<Envelope> {
    let threads = threads();
    if events.len() < PARALLEL_FROM || threads < 2 {
        return events.into_iter().map(Envelope::new).collect();
    }
    let chunk = events.len().div_ceil(threads);
    let mut parts = Vec::with_capacity(threads);
    while events.len() > chunk {
        parts.push(events.split_off(events.len() - chunk));
    }
    parts.push(events);
    parts.reverse();
    std::thread::scope(|s| {
        let handles: Vec<_> = parts
            .into_iter()
            .map(|part| s.spawn(move || part.into_iter().map(Envelope::new).collect::<Vec<_>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    })
}

/// Fold a page into one projection and flush what it touched.
fn fold_slot(slot: &mut Slot, envs: &[Envelope], last: Position) -> (Changes, Vec<Topic>) {
    for env in envs {
        if env.event.position > slot.position {
            slot.projection.apply(env);
        }
    }
    let mut changes = Changes::default();
    let mut topics = Vec::new();
    slot.projection.flush(&mut changes, &mut topics);
    slot.position = slot.position.max(last);
    (changes, topics)
}

/// Fold a page into every projection behind it (each on its own thread for big pages) and
/// gather the row changes, topics and checkpoint moves.
fn fold_page(slots: &mut [Slot], events: Vec<crate::store::RecordedEvent>) -> Batch {
    let last = events.last().map_or(0, |e| e.position);
    let moves: Vec<CheckpointMove> = slots
        .iter()
        .filter(|s| s.position < last)
        .map(|s| CheckpointMove {
            name: s.projection.name(),
            version: s.version,
            from: s.position,
            to: last,
        })
        .collect();
    let big = events.len() >= PARALLEL_FROM && threads() > 1;
    let envs = decode(events);
    let outputs: Vec<(Changes, Vec<Topic>)> = if big {
        std::thread::scope(|s| {
            let handles: Vec<_> = slots
                .iter_mut()
                .map(|slot| {
                    let envs = &envs;
                    s.spawn(move || fold_slot(slot, envs, last))
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                .collect()
        })
    } else {
        slots
            .iter_mut()
            .map(|slot| fold_slot(slot, &envs, last))
            .collect()
    };
    let mut changes = Changes::default();
    let mut topics = Vec::new();
    for (mut c, t) in outputs {
        changes.rows.append(&mut c.rows);
        topics.extend(t);
    }
    Batch {
        last,
        changes,
        topics,
        moves,
    }
}

struct Inner {
    slots: Vec<Slot>,
    /// Test hook: fail the next commit after applying (a crash in the middle of a batch).
    crash_next_batch: bool,
}

/// Runs the projections.
pub struct Projector {
    db: ReadDb,
    store: Arc<dyn EventStore>,
    inner: Mutex<Inner>,
    tables: HashMap<&'static str, &'static TableDef>,
    committed: watch::Sender<Position>,
    /// Name, version and committed position of each projection (readable during a catch-up).
    snapshot: std::sync::Mutex<Vec<(&'static str, u32, Position)>>,
    feed: broadcast::Sender<LiveChange>,
    /// Events read per page (and committed per transaction).
    pub page: usize,
    /// How long a query with `min_position` waits for the read models (default 5 s).
    pub wait_limit: Duration,
    /// A batch writing more rows than this of the [`CARRIED_TABLES`] carries none in its
    /// change (default [`CARRIED_ROWS`]; 0: no change carries rows).
    pub carried_rows: usize,
}

impl Projector {
    /// Open the projector over every projection of this build ([`super::all`]).
    pub async fn new(db: ReadDb, store: Arc<dyn EventStore>) -> Result<Self> {
        Self::with_projections(db, store, super::all()).await
    }

    /// Open the projector over the given projections: a projection without a checkpoint, or
    /// with another version, gets fresh tables and starts from 0; the others restore their state.
    pub async fn with_projections(
        db: ReadDb,
        store: Arc<dyn EventStore>,
        projections: Vec<Box<dyn Projection>>,
    ) -> Result<Self> {
        let mut tables = HashMap::new();
        for p in &projections {
            for t in p.tables() {
                tables.insert(t.name, t);
            }
        }
        let slots = projections
            .into_iter()
            .map(|projection| Slot {
                version: projection.version(),
                projection,
                position: 0,
                committed: 0,
            })
            .collect();
        let projector = Self {
            db,
            store,
            inner: Mutex::new(Inner {
                slots,
                crash_next_batch: false,
            }),
            tables,
            committed: watch::channel(0).0,
            snapshot: std::sync::Mutex::new(Vec::new()),
            feed: broadcast::channel(4096).0,
            page: 5000,
            wait_limit: Duration::from_secs(5),
            carried_rows: CARRIED_ROWS,
        };
        {
            let mut inner = projector.inner.lock().await;
            projector.load(&mut inner).await?;
        }
        Ok(projector)
    }

    /// The read side's database.
    pub fn db(&self) -> &ReadDb {
        &self.db
    }

    /// The event store the projector reads.
    pub fn store(&self) -> &Arc<dyn EventStore> {
        &self.store
    }

    /// The lowest committed checkpoint, updated after every commit.
    pub fn committed(&self) -> watch::Receiver<Position> {
        self.committed.subscribe()
    }

    /// The current committed position.
    pub fn position(&self) -> Position {
        *self.committed.borrow()
    }

    /// The live feed: one message per commit, after it, with the topics it changed (maybe none).
    pub fn subscribe(&self) -> broadcast::Receiver<LiveChange> {
        self.feed.subscribe()
    }

    /// Names and committed positions of the projections.
    pub async fn positions(&self) -> Vec<(&'static str, u32, Position)> {
        self.snapshot
            .lock()
            .map(|s| s.clone())
            .unwrap_or_else(|e| e.into_inner().clone())
    }

    /// Test hook: make the next batch fail after it has been folded in memory and before it is
    /// committed, as a crash in the middle of a batch would.
    pub async fn crash_next_batch(&self) {
        self.inner.lock().await.crash_next_batch = true;
    }

    async fn load(&self, inner: &mut Inner) -> Result<()> {
        let stored = self.db.checkpoints().await?;
        // On SQLite the read models are in a file of their own, which may outlive its log (a
        // log deleted and created again, restored from an older backup): read models of
        // another log, or ahead of this one, are rebuilt instead of restored.
        let first = self
            .store
            .read_all(0, 1)
            .await?
            .first()
            .map(|e| hex::encode(e.hash));
        let head = self.store.head().await?.position;
        let origin = self.db.origin().await?;
        let foreign = origin.is_some() && origin != first;
        if foreign {
            tracing::warn!("the read models were folded from another log: rebuilding");
        }
        for slot in &mut inner.slots {
            let name = slot.projection.name();
            match stored.get(name) {
                Some(c) if c.version == slot.version && c.position <= head && !foreign => {
                    self.db.restore(slot.projection.as_mut()).await?;
                    slot.position = c.position;
                    slot.committed = c.position;
                }
                found => {
                    match found {
                        Some(c) if c.version == slot.version && !foreign => tracing::warn!(
                            projection = name,
                            checkpoint = c.position,
                            head,
                            "read model ahead of the log: rebuilding"
                        ),
                        Some(_) if foreign => {}
                        _ => {
                            tracing::info!(projection = name, "new projection version: rebuilding")
                        }
                    }
                    self.db.reinstall(slot.projection.as_ref()).await?;
                    slot.projection.reset();
                    slot.position = 0;
                    slot.committed = 0;
                }
            }
        }
        if let Some(f) = first.as_deref()
            && origin.as_deref() != Some(f)
        {
            self.db.set_origin(f).await?;
        }
        self.publish_position(inner);
        Ok(())
    }

    fn publish_position(&self, inner: &Inner) {
        let now = inner
            .slots
            .iter()
            .map(|s| (s.projection.name(), s.version, s.committed))
            .collect();
        match self.snapshot.lock() {
            Ok(mut s) => *s = now,
            Err(e) => *e.into_inner() = now,
        }
        let min = inner.slots.iter().map(|s| s.committed).min().unwrap_or(0);
        self.committed.send_if_modified(|p| {
            let changed = *p != min;
            *p = min;
            changed
        });
    }

    /// Fold and commit one page. Returns the number of events read (0: caught up).
    pub async fn step(&self) -> Result<usize> {
        let mut inner = self.inner.lock().await;
        let head = self.position();
        let n = self.advance(&mut inner, Some(1), head, &mut |_| {}).await?;
        Ok(usize::try_from(n).unwrap_or(usize::MAX))
    }

    /// Fold and commit pages until caught up (or `max_pages`), reporting progress after each
    /// commit; on an error the in-memory state is taken back from the tables.
    async fn advance(
        &self,
        inner: &mut Inner,
        max_pages: Option<usize>,
        head: Position,
        progress: &mut (dyn FnMut(Progress) + Send),
    ) -> Result<u64> {
        let result = self.pipeline(inner, max_pages, head, progress).await;
        if result.is_err() {
            // The in-memory state may be ahead of the tables: take it back from them.
            if let Err(e) = self.load(inner).await {
                tracing::error!(error = %e, "projector: reloading state failed");
            }
        }
        result
    }

    /// The pipeline: while page N is folded (on this task, the projections in parallel), page
    /// N + 1 is read and page N − 1 committed (both on spawned tasks). Pages are committed in
    /// order, each in its own transaction with its checkpoints; the first failure stops the run
    /// after the commit in flight has ended.
    async fn pipeline(
        &self,
        inner: &mut Inner,
        max_pages: Option<usize>,
        head: Position,
        progress: &mut (dyn FnMut(Progress) + Send),
    ) -> Result<u64> {
        let start = Instant::now();
        let from = inner.slots.iter().map(|s| s.position).min().unwrap_or(0);
        let mut reading = Some(self.read_page(from));
        let mut committing: Option<tokio::task::JoinHandle<Result<Committed>>> = None;
        let mut pages = 0usize;
        let mut events_done = 0u64;
        let outcome: Result<()> = async {
            while let Some(read) = reading.take() {
                let events = read
                    .await
                    .map_err(|e| ProjectionError::Invalid(format!("reading $all: {e}")))??;
                let Some(last) = events.last().map(|e| e.position) else {
                    break;
                };
                pages += 1;
                if max_pages.is_none_or(|m| pages < m) {
                    reading = Some(self.read_page(last));
                }
                let n = u64::try_from(events.len()).unwrap_or(u64::MAX);
                let batch = blocking(|| fold_page(&mut inner.slots, events));
                if inner.crash_next_batch {
                    inner.crash_next_batch = false;
                    return Err(ProjectionError::Invalid(
                        "simulated crash in the middle of a batch".into(),
                    ));
                }
                if let Some(c) = committing.take() {
                    self.committed_batch(inner, c).await?;
                    progress(Progress {
                        position: self.position(),
                        head,
                        events: events_done,
                        elapsed: start.elapsed(),
                    });
                }
                events_done += n;
                let (db, tables) = (self.db.clone(), self.tables.clone());
                let written = tables_of(&batch.changes);
                let officers = keys_of(&batch.changes, "rm_officer");
                let docs = carried_docs(&batch.changes, self.carried_rows);
                committing = Some(tokio::spawn(async move {
                    let ok = db.commit(&tables, batch.changes, &batch.moves).await?;
                    if !ok {
                        return Err(ProjectionError::Invalid(
                            "a checkpoint was moved by another process".into(),
                        ));
                    }
                    Ok(Committed {
                        last: batch.last,
                        topics: batch.topics,
                        tables: written,
                        officers,
                        docs,
                    })
                }));
            }
            Ok(())
        }
        .await;
        // Whatever happened, the commit in flight ends before the state is trusted or reloaded.
        let last_commit = match committing.take() {
            Some(c) => self.committed_batch(inner, c).await,
            None => Ok(()),
        };
        outcome?;
        last_commit?;
        if events_done > 0 {
            progress(Progress {
                position: self.position(),
                head,
                events: events_done,
                elapsed: start.elapsed(),
            });
        }
        Ok(events_done)
    }

    /// Read one page of `$all` on a task of its own.
    fn read_page(
        &self,
        after: Position,
    ) -> tokio::task::JoinHandle<Result<Vec<crate::store::RecordedEvent>>> {
        let (store, page) = (self.store.clone(), self.page.max(1));
        tokio::spawn(async move { Ok(store.read_all(after, page).await?) })
    }

    /// Wait for a commit; on success move the committed checkpoints and tell the watchers.
    async fn committed_batch(
        &self,
        inner: &mut Inner,
        c: tokio::task::JoinHandle<Result<Committed>>,
    ) -> Result<()> {
        let done = c
            .await
            .map_err(|e| ProjectionError::Invalid(format!("commit task: {e}")))??;
        for slot in &mut inner.slots {
            slot.committed = slot.committed.max(done.last);
        }
        self.publish_position(inner);
        // Every commit, with topics or none: followers of the feed (the dashboard cache) learn
        // from it that they have seen everything up to the position.
        let topics: BTreeSet<Topic> = done.topics.into_iter().collect();
        let _ = self.feed.send(LiveChange {
            position: done.last,
            topics: topics.into_iter().collect(),
            tables: done.tables,
            officers: done.officers,
            docs: done.docs,
        });
        Ok(())
    }

    /// Fold every page there is now (pipelined); the number of events folded.
    async fn follow(&self) -> Result<u64> {
        let mut inner = self.inner.lock().await;
        let head = self.position();
        self.advance(&mut inner, None, head, &mut |_| {}).await
    }

    /// Fold until caught up with the head, reporting progress after each page.
    pub async fn catch_up(&self, mut progress: impl FnMut(Progress) + Send) -> Result<Position> {
        let head = self.store.head().await?.position;
        let mut inner = self.inner.lock().await;
        self.advance(&mut inner, None, head, &mut progress).await?;
        Ok(self.position())
    }

    /// Drop and rebuild one projection (`Some(name)`) or all (`None`) from position 0.
    pub async fn rebuild(
        &self,
        name: Option<&str>,
        progress: impl FnMut(Progress) + Send,
    ) -> Result<Position> {
        {
            let mut inner = self.inner.lock().await;
            if let Some(n) = name
                && !inner.slots.iter().any(|s| s.projection.name() == n)
            {
                return Err(ProjectionError::UnknownProjection(n.to_string()));
            }
            for slot in &mut inner.slots {
                if name.is_none_or(|n| n == slot.projection.name()) {
                    self.db.reinstall(slot.projection.as_ref()).await?;
                    slot.projection.reset();
                    slot.position = 0;
                    slot.committed = 0;
                }
            }
            self.publish_position(&inner);
        }
        self.catch_up(progress).await
    }

    /// Run until `shutdown` resolves: catch up, then follow the log. Errors are logged and
    /// retried after a pause.
    pub async fn run(self: Arc<Self>, shutdown: impl Future<Output = ()> + Send) {
        let mut head = self.store.watch_head();
        tokio::pin!(shutdown);
        loop {
            head.borrow_and_update();
            let read = match self.follow().await {
                Ok(n) => n,
                Err(e) => {
                    tracing::warn!(error = %e, "projector step failed; retrying");
                    tokio::select! {
                        _ = &mut shutdown => return,
                        _ = tokio::time::sleep(Duration::from_millis(500)) => {}
                    }
                    continue;
                }
            };
            if read == 0 {
                tokio::select! {
                    _ = &mut shutdown => return,
                    _ = head.changed() => {}
                    _ = tokio::time::sleep(Duration::from_millis(250)) => {}
                }
            }
        }
    }

    /// How far the read models are behind the log.
    pub async fn lag(&self) -> Result<Lag> {
        let head = self.store.head().await?.position;
        let position = self.position();
        let seconds = if head > position {
            let next = self.store.read_all(position, 1).await?;
            next.first().map_or(0.0, |e| {
                let age = chrono::Utc::now() - e.recorded_at;
                age.as_seconds_f64().max(0.0)
            })
        } else {
            0.0
        };
        Ok(Lag {
            head,
            position,
            events: head.saturating_sub(position),
            seconds,
        })
    }

    /// How far each projection is behind the log, by name.
    pub async fn lags(&self) -> Result<Vec<(&'static str, Lag)>> {
        let head = self.store.head().await?.position;
        let mut out = Vec::new();
        let mut ages: HashMap<Position, f64> = HashMap::new();
        for (name, _, position) in self.positions().await {
            let seconds = if head > position {
                match ages.get(&position) {
                    Some(s) => *s,
                    None => {
                        let next = self.store.read_all(position, 1).await?;
                        let s = next.first().map_or(0.0, |e| {
                            (chrono::Utc::now() - e.recorded_at)
                                .as_seconds_f64()
                                .max(0.0)
                        });
                        ages.insert(position, s);
                        s
                    }
                }
            } else {
                0.0
            };
            out.push((
                name,
                Lag {
                    head,
                    position,
                    events: head.saturating_sub(position),
                    seconds,
                },
            ));
        }
        Ok(out)
    }

    /// Wait (at most `timeout`) until the read models have folded `min_position`. Returns the
    /// committed position, or [`ProjectionError::NotYet`] with it.
    pub async fn wait_for(&self, min_position: Position, timeout: Duration) -> Result<Position> {
        wait_for(self.committed(), min_position, timeout).await
    }
}

/// Wait on a committed-position watch until it reaches `min_position`, at most `timeout`.
pub async fn wait_for(
    mut committed: watch::Receiver<Position>,
    min_position: Position,
    timeout: Duration,
) -> Result<Position> {
    let reached = tokio::time::timeout(timeout, committed.wait_for(|p| *p >= min_position))
        .await
        .map(|r| r.map(|p| *p));
    let current = *committed.borrow();
    match reached {
        Ok(Ok(p)) => Ok(p),
        _ => Err(ProjectionError::NotYet {
            current,
            wanted: min_position,
        }),
    }
}

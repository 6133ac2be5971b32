//! The projector: checkpointed catch-up over `$all`, then live.
//!
//! Each step reads one page of `$all` after the lowest checkpoint, decodes every event once,
//! feeds it to each projection whose checkpoint is behind it, flushes the touched documents into
//! row upserts and commits those rows with every moved checkpoint in one transaction
//! ([`ReadDb::commit`]). A failed commit (or a checkpoint moved by another process) throws the
//! in-memory state away and restores it from the tables, which hold exactly the last committed
//! batch: a crash in the middle of a batch never double-applies or loses an event.
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
    position: Position,
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
    feed: broadcast::Sender<LiveChange>,
    /// Events read per page (and committed per transaction).
    pub page: usize,
    /// How long a query with `min_position` waits for the read models (default 5 s).
    pub wait_limit: Duration,
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
            feed: broadcast::channel(4096).0,
            page: 5000,
            wait_limit: Duration::from_secs(5),
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

    /// The live feed of committed changes.
    pub fn subscribe(&self) -> broadcast::Receiver<LiveChange> {
        self.feed.subscribe()
    }

    /// Names and committed positions of the projections.
    pub async fn positions(&self) -> Vec<(&'static str, u32, Position)> {
        let inner = self.inner.lock().await;
        inner
            .slots
            .iter()
            .map(|s| (s.projection.name(), s.version, s.position))
            .collect()
    }

    /// Test hook: make the next batch fail after it has been folded in memory and before it is
    /// committed, as a crash in the middle of a batch would.
    pub async fn crash_next_batch(&self) {
        self.inner.lock().await.crash_next_batch = true;
    }

    async fn load(&self, inner: &mut Inner) -> Result<()> {
        let stored = self.db.checkpoints().await?;
        for slot in &mut inner.slots {
            let name = slot.projection.name();
            match stored.get(name) {
                Some(c) if c.version == slot.version => {
                    self.db.restore(slot.projection.as_mut()).await?;
                    slot.position = c.position;
                }
                _ => {
                    tracing::info!(projection = name, "new projection version: rebuilding");
                    self.db.reinstall(slot.projection.as_ref()).await?;
                    slot.projection.reset();
                    slot.position = 0;
                }
            }
        }
        self.publish_position(inner);
        Ok(())
    }

    fn publish_position(&self, inner: &Inner) {
        let min = inner.slots.iter().map(|s| s.position).min().unwrap_or(0);
        self.committed.send_if_modified(|p| {
            let changed = *p != min;
            *p = min;
            changed
        });
    }

    /// Fold and commit one page. Returns the number of events read (0: caught up).
    pub async fn step(&self) -> Result<usize> {
        let mut inner = self.inner.lock().await;
        let result = self.step_locked(&mut inner).await;
        if result.is_err() {
            // The in-memory state may be ahead of the tables: take it back from them.
            if let Err(e) = self.load(&mut inner).await {
                tracing::error!(error = %e, "projector: reloading state failed");
            }
        }
        result
    }

    async fn step_locked(&self, inner: &mut Inner) -> Result<usize> {
        let from = inner.slots.iter().map(|s| s.position).min().unwrap_or(0);
        let events = self.store.read_all(from, self.page).await?;
        let Some(last) = events.last().map(|e| e.position) else {
            return Ok(0);
        };
        let n = events.len();
        for event in events {
            let env = Envelope::new(event);
            for slot in &mut inner.slots {
                if env.event.position > slot.position {
                    slot.projection.apply(&env);
                }
            }
        }
        let mut changes = Changes::default();
        let mut topics = Vec::new();
        let mut moves = Vec::new();
        for slot in &mut inner.slots {
            slot.projection.flush(&mut changes, &mut topics);
            if slot.position < last {
                moves.push(CheckpointMove {
                    name: slot.projection.name(),
                    version: slot.version,
                    from: slot.position,
                    to: last,
                });
            }
        }
        if inner.crash_next_batch {
            inner.crash_next_batch = false;
            return Err(ProjectionError::Invalid(
                "simulated crash in the middle of a batch".into(),
            ));
        }
        if !self.db.commit(&self.tables, &changes, &moves).await? {
            return Err(ProjectionError::Invalid(
                "a checkpoint was moved by another process".into(),
            ));
        }
        for slot in &mut inner.slots {
            slot.position = slot.position.max(last);
        }
        self.publish_position(inner);
        if !topics.is_empty() {
            let topics: BTreeSet<Topic> = topics.into_iter().collect();
            let _ = self.feed.send(LiveChange {
                position: last,
                topics: topics.into_iter().collect(),
            });
        }
        Ok(n)
    }

    /// Fold until caught up with the head, reporting progress after each page.
    pub async fn catch_up(&self, mut progress: impl FnMut(Progress)) -> Result<Position> {
        let head = self.store.head().await?.position;
        let start = Instant::now();
        let mut events = 0u64;
        loop {
            let n = self.step().await?;
            if n == 0 {
                break;
            }
            events += u64::try_from(n).unwrap_or(0);
            progress(Progress {
                position: self.position(),
                head,
                events,
                elapsed: start.elapsed(),
            });
        }
        Ok(self.position())
    }

    /// Drop and rebuild one projection (`Some(name)`) or all (`None`) from position 0.
    pub async fn rebuild(
        &self,
        name: Option<&str>,
        progress: impl FnMut(Progress),
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
            let read = match self.step().await {
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

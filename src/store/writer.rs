//! The one writer of a process, with group commit (architecture.md, "Ordering").
//!
//! Callers send append requests over a queue. The writer takes the first waiting request, drains
//! every other request already queued (up to a bound), and hands the whole batch to the backend,
//! which checks each expectation, writes all of them in one transaction and commits once. Each
//! caller is then answered with its own outcome: a failed expectation fails only its own request.
//! Because one writer per process holds the log head's lock for the whole transaction, commit order
//! is position order, so no subscriber can skip an event that committed late.
//!
//! The writer runs as a task for a backend whose driver is asynchronous ([`Writer::spawn`],
//! PostgreSQL), or on a thread of its own for one that is called synchronously
//! ([`Writer::spawn_thread`], SQLite through its C API): there a batch costs no task hand-over
//! at all between the queue and the commit.

use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;

use super::plan::PreparedAppend;
use super::{AppendResult, Position, StoreError};

/// How the writer batches.
#[derive(Debug, Clone)]
pub struct WriterOptions {
    /// Group commit on (the default) or off (one transaction per append; the benchmark baseline).
    pub batching: bool,
    /// Upper bound on the events written in one transaction.
    pub max_batch_events: usize,
    /// Test hook: sleep this long after writing a batch and before committing it.
    pub commit_delay: Option<Duration>,
    /// Bound of the request queue (back-pressure).
    pub queue_capacity: usize,
    /// Maintain the Merkle tree in each batch (the default). Off only for the benchmark baseline:
    /// a store written without it cannot answer proofs.
    pub merkle: bool,
    /// How long a batch may wait for more requests when fewer are waiting than the previous
    /// batch held (its callers are likely about to send their next request): larger batches
    /// share one commit. Zero turns the wait off. A lone request never waits.
    pub gather: Duration,
}

impl Default for WriterOptions {
    fn default() -> Self {
        Self {
            batching: true,
            max_batch_events: 4096,
            commit_delay: None,
            queue_capacity: 16_384,
            merkle: true,
            gather: Duration::from_micros(200),
        }
    }
}

/// What a backend commits a batch with.
#[async_trait]
pub trait BatchCommitter: Send + 'static {
    /// Write `batch` in one transaction and commit. On success, one outcome per request (in order)
    /// and the new head position. On failure the whole batch is absent
    /// ([`StoreError::NotCommitted`]), or its fate is unknown ([`StoreError::CommitUnknown`]).
    async fn commit_batch(&mut self, batch: &[PreparedAppend]) -> Result<Committed, StoreError>;
}

/// What a backend called synchronously commits a batch with, on the writer's own thread; the
/// contract of [`BatchCommitter`].
pub trait BlockingCommitter: Send + 'static {
    /// As [`BatchCommitter::commit_batch`].
    fn commit_batch(&mut self, batch: &[PreparedAppend]) -> Result<Committed, StoreError>;
}

/// A committed batch.
#[derive(Debug)]
pub struct Committed {
    pub outcomes: Vec<Result<AppendResult, StoreError>>,
    pub head: Position,
}

type Job = (
    PreparedAppend,
    oneshot::Sender<Result<AppendResult, StoreError>>,
);

/// How the writer's end is awaited.
enum Running {
    Task(JoinHandle<()>),
    /// Told (or dropped) when the writer's thread ends.
    Thread(oneshot::Receiver<()>),
}

/// A handle on the writer task or thread.
pub struct Writer {
    queue: Mutex<Option<mpsc::Sender<Job>>>,
    running: tokio::sync::Mutex<Option<Running>>,
}

impl Writer {
    /// Start the writer task. `head` is told every newly committed head position.
    pub fn spawn<C: BatchCommitter>(
        committer: C,
        options: WriterOptions,
        head: watch::Sender<Position>,
    ) -> Self {
        let (tx, rx) = mpsc::channel(options.queue_capacity.max(1));
        let task = tokio::spawn(run(committer, options, rx, head));
        Self {
            queue: Mutex::new(Some(tx)),
            running: tokio::sync::Mutex::new(Some(Running::Task(task))),
        }
    }

    /// Start the writer on a thread of its own, for a committer called synchronously. The
    /// thread ends once every handle's queue is gone and what was queued is answered.
    pub fn spawn_thread<C: BlockingCommitter>(
        committer: C,
        options: WriterOptions,
        head: watch::Sender<Position>,
    ) -> Result<Self, StoreError> {
        let (tx, rx) = mpsc::channel(options.queue_capacity.max(1));
        let (done, ended) = oneshot::channel();
        std::thread::Builder::new()
            .name("kinerja-writer".into())
            .spawn(move || {
                run_blocking(committer, options, rx, head);
                let _ = done.send(());
            })
            .map_err(|e| StoreError::Backend(format!("cannot start the writer thread: {e}")))?;
        Ok(Self {
            queue: Mutex::new(Some(tx)),
            running: tokio::sync::Mutex::new(Some(Running::Thread(ended))),
        })
    }

    /// Queue one append and wait for its outcome.
    pub async fn append(&self, request: PreparedAppend) -> Result<AppendResult, StoreError> {
        let sender = self
            .queue
            .lock()
            .map_err(|_| StoreError::ShuttingDown)?
            .clone()
            .ok_or(StoreError::ShuttingDown)?;
        let (reply, answer) = oneshot::channel();
        sender
            .send((request, reply))
            .await
            .map_err(|_| StoreError::ShuttingDown)?;
        drop(sender);
        answer.await.map_err(|_| {
            StoreError::CommitUnknown("the writer stopped before answering".to_string())
        })?
    }

    /// Refuse new appends, let the writer answer everything already queued, and wait for it.
    pub async fn shutdown(&self) {
        if let Ok(mut queue) = self.queue.lock() {
            queue.take();
        }
        match self.running.lock().await.take() {
            Some(Running::Task(task)) => {
                let _ = task.await;
            }
            Some(Running::Thread(ended)) => {
                let _ = ended.await;
            }
            None => {}
        }
    }
}

type Reply = oneshot::Sender<Result<AppendResult, StoreError>>;

/// A batch being collected: every request already waiting, up to the bound.
struct Batch {
    requests: Vec<PreparedAppend>,
    replies: Vec<Reply>,
    events: usize,
}

impl Batch {
    fn new(first: Job) -> Self {
        let mut batch = Batch {
            requests: Vec::new(),
            replies: Vec::new(),
            events: 0,
        };
        batch.push(first);
        batch
    }

    fn push(&mut self, (request, reply): Job) {
        self.events += request.events.len();
        self.requests.push(request);
        self.replies.push(reply);
    }

    /// Take what is waiting in the queue; false when the batch is full or batching is off.
    fn drain(&mut self, rx: &mut mpsc::Receiver<Job>, options: &WriterOptions) -> bool {
        while options.batching && self.events < options.max_batch_events {
            match rx.try_recv() {
                Ok(job) => self.push(job),
                Err(_) => return true,
            }
        }
        false
    }

    /// Whether to wait a little for more requests: fewer are here than the last batch held.
    fn may_grow(&self, previous: usize, options: &WriterOptions) -> bool {
        options.batching && !options.gather.is_zero() && self.requests.len() < previous
    }
}

/// Move the head and answer every caller of a batch./// Move the head and answer every caller of a batch.
fn answer(
    result: Result<Committed, StoreError>,
    replies: Vec<Reply>,
    head: &watch::Sender<Position>,
) {
    match result {
        Ok(committed) => {
            head.send_if_modified(|h| {
                let newer = committed.head > *h;
                if newer {
                    *h = committed.head;
                }
                newer
            });
            for (reply, outcome) in replies.into_iter().zip(committed.outcomes) {
                let _ = reply.send(outcome);
            }
        }
        Err(error) => {
            tracing::error!(%error, requests = replies.len(), "append batch failed");
            for reply in replies {
                let _ = reply.send(Err(error.clone()));
            }
        }
    }
}

async fn run<C: BatchCommitter>(
    mut committer: C,
    options: WriterOptions,
    mut rx: mpsc::Receiver<Job>,
    head: watch::Sender<Position>,
) {
    let mut previous = 0;
    while let Some(first) = rx.recv().await {
        let mut batch = Batch::new(first);
        let deadline = std::time::Instant::now() + options.gather;
        while batch.drain(&mut rx, &options)
            && batch.may_grow(previous, &options)
            && std::time::Instant::now() < deadline
        {
            tokio::task::yield_now().await;
        }
        previous = batch.requests.len();
        let result = committer.commit_batch(&batch.requests).await;
        answer(result, batch.replies, &head);
    }
}

fn run_blocking<C: BlockingCommitter>(
    mut committer: C,
    options: WriterOptions,
    mut rx: mpsc::Receiver<Job>,
    head: watch::Sender<Position>,
) {
    let mut previous = 0;
    while let Some(first) = rx.blocking_recv() {
        let mut batch = Batch::new(first);
        let deadline = std::time::Instant::now() + options.gather;
        while batch.drain(&mut rx, &options)
            && batch.may_grow(previous, &options)
            && std::time::Instant::now() < deadline
        {
            std::thread::yield_now();
        }
        previous = batch.requests.len();
        let result = committer.commit_batch(&batch.requests);
        answer(result, batch.replies, &head);
    }
}

/// After a failed COMMIT, learn whether the batch is stored after all (for instance when the
/// connection dropped after the server committed) and answer accordingly: the planned outcomes when
/// it is, [`StoreError::NotCommitted`] when it is not, [`StoreError::CommitUnknown`] when the
/// question cannot be answered. `probe` tells whether the batch's first new event is stored.
pub async fn resolve_failed_commit(
    plan: super::plan::BatchPlan,
    error: String,
    probe: impl std::future::Future<Output = Result<bool, StoreError>>,
) -> Result<Committed, StoreError> {
    if plan.rows.is_empty() {
        return settle(plan, error, Ok(true));
    }
    let probed = probe.await;
    settle(plan, error, probed)
}

/// [`resolve_failed_commit`] for a synchronous `probe`.
pub fn resolve_failed_commit_blocking(
    plan: super::plan::BatchPlan,
    error: String,
    probe: impl FnOnce() -> Result<bool, StoreError>,
) -> Result<Committed, StoreError> {
    if plan.rows.is_empty() {
        return settle(plan, error, Ok(true));
    }
    let probed = probe();
    settle(plan, error, probed)
}

/// The answer to a failed COMMIT once it is known whether the batch's first new event is stored.
/// (A batch with nothing to write stands as planned: its answers are failed expectations or
/// replays.)
fn settle(
    plan: super::plan::BatchPlan,
    error: String,
    probed: Result<bool, StoreError>,
) -> Result<Committed, StoreError> {
    match probed {
        Ok(true) => Ok(Committed {
            outcomes: plan.outcomes,
            head: plan.head.position,
        }),
        Ok(false) => Err(StoreError::NotCommitted(error)),
        Err(probe_error) => Err(StoreError::CommitUnknown(format!(
            "{error}; and the check afterwards failed: {probe_error}"
        ))),
    }
}

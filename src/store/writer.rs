//! The one writer of a process, with group commit (architecture.md, "Ordering").
//!
//! Callers send append requests over a queue. The writer takes the first waiting request, drains
//! every other request already queued (up to a bound), and hands the whole batch to the backend,
//! which checks each expectation, writes all of them in one transaction and commits once. Each
//! caller is then answered with its own outcome: a failed expectation fails only its own request.
//! Because one writer per process holds the log head's lock for the whole transaction, commit order
//! is position order, so no subscriber can skip an event that committed late.

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
}

impl Default for WriterOptions {
    fn default() -> Self {
        Self {
            batching: true,
            max_batch_events: 4096,
            commit_delay: None,
            queue_capacity: 16_384,
            merkle: true,
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

/// A handle on the writer task.
pub struct Writer {
    queue: Mutex<Option<mpsc::Sender<Job>>>,
    task: tokio::sync::Mutex<Option<JoinHandle<()>>>,
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
            task: tokio::sync::Mutex::new(Some(task)),
        }
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
        if let Some(task) = self.task.lock().await.take() {
            let _ = task.await;
        }
    }
}

async fn run<C: BatchCommitter>(
    mut committer: C,
    options: WriterOptions,
    mut rx: mpsc::Receiver<Job>,
    head: watch::Sender<Position>,
) {
    while let Some(first) = rx.recv().await {
        let mut events = first.0.events.len();
        let mut jobs = vec![first];
        while options.batching && events < options.max_batch_events {
            match rx.try_recv() {
                Ok(job) => {
                    events += job.0.events.len();
                    jobs.push(job);
                }
                Err(_) => break,
            }
        }
        let (requests, replies): (Vec<_>, Vec<_>) = jobs.into_iter().unzip();
        match committer.commit_batch(&requests).await {
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
                tracing::error!(%error, requests = requests.len(), "append batch failed");
                for reply in replies {
                    let _ = reply.send(Err(error.clone()));
                }
            }
        }
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
        // Nothing was to be written: the answers (failed expectations, replays) stand.
        return Ok(Committed {
            outcomes: plan.outcomes,
            head: plan.head.position,
        });
    }
    match probe.await {
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

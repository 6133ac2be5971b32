//! Catch-up-then-live subscriptions to `$all` and to a category.
//!
//! A subscription reads forward from its last delivered position in pages, and when it has caught
//! up it waits for the head watch to move (an in-process channel on SQLite, LISTEN/NOTIFY on
//! PostgreSQL) or for a short poll interval, whichever comes first. Commit order is position order
//! (one writer), so reading `position > last` never skips an event that committed late, and each
//! event is delivered exactly once per subscription, in position order.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use futures::Stream;
use tokio::sync::watch;

use super::{EventStore, Position, RecordedEvent, StoreError};

/// Which events a subscription delivers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filter {
    /// `$all`.
    All,
    /// `$ce-{category}`.
    Category(String),
}

/// A catch-up-then-live subscription.
pub struct Subscription {
    store: Arc<dyn EventStore>,
    filter: Filter,
    after: Position,
    buffer: VecDeque<RecordedEvent>,
    head: watch::Receiver<Position>,
    /// Page size of catch-up reads.
    pub page: usize,
    /// The longest a caught-up subscription waits before it polls the store again.
    pub poll: Duration,
}

impl Subscription {
    /// Subscribe to `$all` after `after` (0: from the beginning).
    pub fn all(store: Arc<dyn EventStore>, after: Position) -> Self {
        Self::new(store, Filter::All, after)
    }

    /// Subscribe to a category after `after`.
    pub fn category(store: Arc<dyn EventStore>, category: &str, after: Position) -> Self {
        Self::new(store, Filter::Category(category.to_string()), after)
    }

    fn new(store: Arc<dyn EventStore>, filter: Filter, after: Position) -> Self {
        let head = store.watch_head();
        Self {
            store,
            filter,
            after,
            buffer: VecDeque::new(),
            head,
            page: 1000,
            poll: Duration::from_millis(250),
        }
    }

    /// The position of the last event delivered (or the starting point).
    pub fn position(&self) -> Position {
        self.after
    }

    /// The next event, waiting for one to be committed when caught up.
    pub async fn next(&mut self) -> Result<RecordedEvent, StoreError> {
        loop {
            if let Some(event) = self.buffer.pop_front() {
                self.after = event.position;
                return Ok(event);
            }
            // Mark the current head as seen before reading, so a commit after the read wakes us.
            self.head.borrow_and_update();
            let page = match &self.filter {
                Filter::All => self.store.read_all(self.after, self.page).await?,
                Filter::Category(c) => self.store.read_category(c, self.after, self.page).await?,
            };
            if page.is_empty() {
                let _ = tokio::time::timeout(self.poll, self.head.changed()).await;
            } else {
                self.buffer.extend(page);
            }
        }
    }

    /// The subscription as a `Stream`.
    pub fn into_stream(self) -> impl Stream<Item = Result<RecordedEvent, StoreError>> + Send {
        futures::stream::unfold(self, |mut s| async move {
            let item = s.next().await;
            Some((item, s))
        })
    }
}

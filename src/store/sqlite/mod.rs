//! The embedded SQLite backend, the zero-set-up default: one database file in WAL mode, reads from
//! a small pool, and all appends through one writer connection that takes the lock with
//! `BEGIN IMMEDIATE`, writes a whole batch and commits once.

mod error;
pub mod raw;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use tokio::sync::watch;

use super::plan::{
    BatchFacts, PreparedAppend, RevisionCache, event_ids_of, plan_batch, streams_of,
};
use super::row::{
    PAGE_CAPACITY, TreeHeadRow, expected_after, position_of, sql_int, sql_limit, to_hash,
};
use super::tree;
use super::writer::{
    BlockingCommitter, Committed, Writer, WriterOptions, resolve_failed_commit_blocking,
};
use super::{
    AppendResult, Direction, EventStore, ExpectedRevision, LogHead, NewEvent, Position, ReadFrom,
    RecordedEvent, StoreError, StreamId, category_of,
};
use crate::proofs::{Frontier, Hash, NodeRef, SignedTreeHead};
use error::classify;
use raw::{Bind, Conn};

/// The embedded migrations of the SQLite event store.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");

/// The SQLite event store.
pub struct SqliteStore {
    pool: SqlitePool,
    /// The event reads' own connections (C API, statements kept prepared).
    readers: raw::Readers,
    /// The Merkle tree's reads: one kept connection with a page cache large enough for the
    /// stored nodes of a big log, so proofs read them from memory once they have been read.
    tree_readers: raw::Readers,
    writer: Writer,
    head: watch::Sender<Position>,
}

/// Connection options for `url`: WAL, full fsync at commit, a generous busy timeout.
pub fn connect_options(url: &str) -> Result<SqliteConnectOptions, StoreError> {
    let options = SqliteConnectOptions::from_str(url).map_err(classify)?;
    Ok(options
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .busy_timeout(Duration::from_secs(30))
        .foreign_keys(true))
}

fn ensure_parent_dir(options: &SqliteConnectOptions) -> Result<(), StoreError> {
    let path = options.get_filename();
    if path == Path::new(":memory:") || path.as_os_str().is_empty() {
        return Ok(());
    }
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| {
            StoreError::Backend(format!("cannot create directory {}: {e}", parent.display()))
        })?;
    }
    Ok(())
}

/// Open (creating when missing) the database at `url` and apply the migrations.
pub async fn open_pool(url: &str) -> Result<SqlitePool, StoreError> {
    let options = connect_options(url)?;
    ensure_parent_dir(&options)?;
    let pool = SqlitePoolOptions::new()
        .max_connections(4)
        .connect_with(options)
        .await
        .map_err(classify)?;
    MIGRATOR
        .run(&pool)
        .await
        .map_err(|e| StoreError::Backend(format!("migrations: {e}")))?;
    Ok(pool)
}

impl SqliteStore {
    /// Open the store at `url` (e.g. `sqlite://data/kinerja.db`), migrating it when needed.
    pub async fn open(url: &str, options: WriterOptions) -> Result<Self, StoreError> {
        let pool = open_pool(url).await?;
        let path = connect_options(url)?.get_filename().to_path_buf();
        let conn = raw::Connection::open(&path, WRITER_PRAGMAS)?;
        let readers = raw::Readers::new(&path, READERS_KEPT);
        let head = watch::channel(readers.with(head_on)?.position).0;
        let tree_readers = raw::Readers::with_page_cache(&path, 1, TREE_PAGE_CACHE_KIB);
        let committer = SqliteCommitter {
            path,
            conn: Some(conn),
            commit_delay: options.commit_delay,
            merkle: options.merkle,
            frontier: None,
            revisions: RevisionCache::default(),
        };
        let writer = Writer::spawn_thread(committer, options, head.clone())?;
        Ok(Self {
            pool,
            readers,
            tree_readers,
            writer,
            head,
        })
    }

    /// Read every stored Merkle node once through the tree's kept reader, so that its page
    /// cache holds them (proofs then touch the disk only for the few chain hashes below the
    /// stored levels). Returns the number of nodes read.
    pub async fn warm_tree(&self) -> Result<u64, StoreError> {
        self.tree_readers.with(|c| {
            let mut count = 0;
            c.prepare(include_str!("sql/warm_tree.sql"))?
                .run(&[], |row| {
                    count = u64::try_from(row.int(0)).unwrap_or(0);
                    Ok(())
                })?;
            Ok(count)
        })
    }

    /// The read pool (for tests and tools that inspect the file).
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// The events `sql` selects, in a page made for `expected` of them.
    async fn fetch(
        &self,
        sql: &str,
        binds: &[Bind<'_>],
        limit: usize,
        expected: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        self.readers
            .read_events(sql, binds, limit, expected.min(PAGE_CAPACITY))
    }
}

#[async_trait]
impl EventStore for SqliteStore {
    async fn append(
        &self,
        stream: &StreamId,
        expected: ExpectedRevision,
        events: Vec<NewEvent>,
    ) -> Result<AppendResult, StoreError> {
        let request = PreparedAppend::prepare(stream.clone(), expected, events)?;
        self.writer.append(request).await
    }

    async fn read_stream(
        &self,
        stream: &StreamId,
        from: ReadFrom,
        direction: Direction,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let (sql, revision) = match (direction, from) {
            (Direction::Forwards, ReadFrom::Start) => {
                (include_str!("sql/read_stream_forwards.sql"), 0)
            }
            (Direction::Forwards, ReadFrom::End) => return Ok(Vec::new()),
            (Direction::Forwards, ReadFrom::Revision(r)) => {
                (include_str!("sql/read_stream_forwards.sql"), sql_int(r))
            }
            (Direction::Backwards, ReadFrom::Start) => {
                (include_str!("sql/read_stream_backwards.sql"), 0)
            }
            (Direction::Backwards, ReadFrom::End) => {
                (include_str!("sql/read_stream_backwards.sql"), i64::MAX)
            }
            (Direction::Backwards, ReadFrom::Revision(r)) => {
                (include_str!("sql/read_stream_backwards.sql"), sql_int(r))
            }
        };
        self.fetch(
            sql,
            &[Bind::Text(stream.as_str()), Bind::Int(revision)],
            limit,
            0,
        )
        .await
    }

    async fn stream_revision(&self, stream: &StreamId) -> Result<Option<u64>, StoreError> {
        let revision: Option<i64> = sqlx::query_scalar(include_str!("sql/stream_revision.sql"))
            .bind(stream.as_str())
            .fetch_one(&self.pool)
            .await
            .map_err(classify)?;
        Ok(revision.map(position_of))
    }

    async fn read_all(
        &self,
        after: Position,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        // As many as the head this process knows of leaves (a hint: rows past it still come).
        let expected = expected_after(*self.head.borrow(), after, limit);
        self.fetch(
            include_str!("sql/read_all.sql"),
            &[Bind::Int(sql_int(after))],
            limit,
            expected,
        )
        .await
    }

    async fn read_positions(
        &self,
        positions: &[Position],
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        if positions.is_empty() {
            return Ok(Vec::new());
        }
        let list = format!(
            "[{}]",
            positions
                .iter()
                .map(|p| sql_int(*p).to_string())
                .collect::<Vec<_>>()
                .join(",")
        );
        self.fetch(
            include_str!("sql/read_positions.sql"),
            &[Bind::Text(&list)],
            usize::MAX,
            positions.len(),
        )
        .await
    }

    async fn read_category(
        &self,
        category: &str,
        after: Position,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        self.fetch(
            include_str!("sql/read_category.sql"),
            &[Bind::Text(category), Bind::Int(sql_int(after))],
            limit,
            0,
        )
        .await
    }

    async fn read_event_type(
        &self,
        event_type: &str,
        after: Position,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        self.fetch(
            include_str!("sql/read_event_type.sql"),
            &[Bind::Text(event_type), Bind::Int(sql_int(after))],
            limit,
            0,
        )
        .await
    }

    async fn head(&self) -> Result<LogHead, StoreError> {
        self.readers.with(head_on)
    }

    fn watch_head(&self) -> watch::Receiver<Position> {
        self.head.subscribe()
    }

    async fn shutdown(&self) {
        self.writer.shutdown().await;
    }

    async fn tree_nodes(&self, refs: &[NodeRef]) -> Result<HashMap<NodeRef, Hash>, StoreError> {
        // Stored nodes through the tree's reader (its page cache keeps them); the chain hashes
        // below them through the event readers, so the event pages do not push them out. Both
        // are immutable once written, so the two reads need not share a snapshot.
        let stored = self.tree_readers.with(|c| stored_nodes_on(c, refs))?;
        let chain = self.readers.with(|c| chain_hashes_on(c, refs))?;
        Ok(tree::compose(refs, stored, &chain))
    }

    async fn save_tree_head(&self, head: &SignedTreeHead) -> Result<(), StoreError> {
        sqlx::query(include_str!("sql/insert_tree_head.sql"))
            .bind(sql_int(head.tree_size))
            .bind(&head.root_hash[..])
            .bind(head.timestamp.timestamp_millis())
            .bind(&head.key_id)
            .bind(&head.signature[..])
            .execute(&self.pool)
            .await
            .map_err(classify)?;
        Ok(())
    }

    async fn tree_heads(
        &self,
        from_size: u64,
        limit: usize,
    ) -> Result<Vec<SignedTreeHead>, StoreError> {
        let rows: Vec<TreeHeadRow> = sqlx::query_as(include_str!("sql/tree_heads.sql"))
            .bind(sql_int(from_size))
            .bind(sql_limit(limit))
            .fetch_all(&self.pool)
            .await
            .map_err(classify)?;
        rows.into_iter().map(SignedTreeHead::try_from).collect()
    }

    async fn latest_tree_head(&self) -> Result<Option<SignedTreeHead>, StoreError> {
        let row: Option<TreeHeadRow> = sqlx::query_as(include_str!("sql/latest_tree_head.sql"))
            .fetch_optional(&self.pool)
            .await
            .map_err(classify)?;
        row.map(SignedTreeHead::try_from).transpose()
    }
}

/// The stored nodes among `refs`, from `merkle_nodes`.
fn stored_nodes_on(c: &Conn, refs: &[NodeRef]) -> Result<HashMap<NodeRef, Hash>, StoreError> {
    let mut stored = HashMap::new();
    let mut select = c.prepare(include_str!("sql/select_node.sql"))?;
    for r in tree::stored_refs(refs) {
        let level = i64::from(r.level);
        select.run(&[Bind::Int(level), Bind::Int(sql_int(r.index))], |row| {
            stored.insert(r, to_hash(row.blob(0).to_vec())?);
            Ok(())
        })?;
    }
    Ok(stored)
}

/// Every node among `refs` on one connection: stored ones and those computed from chain hashes.
fn tree_nodes_on(c: &Conn, refs: &[NodeRef]) -> Result<HashMap<NodeRef, Hash>, StoreError> {
    Ok(tree::compose(
        refs,
        stored_nodes_on(c, refs)?,
        &chain_hashes_on(c, refs)?,
    ))
}

/// The chain hashes the low nodes among `refs` are computed from, by position.
fn chain_hashes_on(c: &Conn, refs: &[NodeRef]) -> Result<BTreeMap<u64, Hash>, StoreError> {
    let mut chain = BTreeMap::new();
    let mut hashes = c.prepare(include_str!("sql/chain_hashes.sql"))?;
    for (first, last) in tree::position_ranges(refs) {
        hashes.run(
            &[Bind::Int(sql_int(first)), Bind::Int(sql_int(last))],
            |row| {
                chain.insert(position_of(row.int(0)), to_hash(row.blob(1).to_vec())?);
                Ok(())
            },
        )?;
    }
    Ok(chain)
}

/// The committed head of the log, read on `c`.
fn head_on(c: &Conn) -> Result<LogHead, StoreError> {
    let mut head = None;
    c.prepare(include_str!("sql/head.sql"))?.run(&[], |row| {
        head = Some(LogHead {
            position: position_of(row.int(0)),
            hash: row
                .blob(1)
                .try_into()
                .map_err(|_| StoreError::Backend("log head hash is not 32 bytes".into()))?,
            recorded_at_micros: row.int(2),
        });
        Ok(())
    })?;
    head.ok_or_else(|| StoreError::Backend("the log head row is missing".into()))
}

/// The writer side: its own connection through the C API, one transaction per batch, on the
/// writer's thread.
struct SqliteCommitter {
    /// The database file.
    path: PathBuf,
    /// None after a failure: reopen before the next batch.
    conn: Option<raw::Connection>,
    commit_delay: Option<Duration>,
    /// Maintain the Merkle tree (see [`WriterOptions::merkle`]).
    merkle: bool,
    /// The tree's right edge after the last committed batch; None when it must be reloaded.
    frontier: Option<Frontier>,
    /// Stream revisions as of this writer's last commit.
    revisions: RevisionCache,
}

/// Idle reader connections kept open (reads that overlap beyond this open more for a while).
const READERS_KEPT: usize = 8;

/// The page cache of the tree's kept reader, in KiB: the stored nodes of a 10,000,000-event log
/// take about 55 MiB. It fills only with the pages proofs (or [`SqliteStore::warm_tree`]) read.
const TREE_PAGE_CACHE_KIB: u32 = 64 * 1024;

/// The writer connection's settings, as [`connect_options`] gives the pool's.
const WRITER_PRAGMAS: &[&str] = &[
    "pragma busy_timeout = 30000",
    "pragma journal_mode = wal",
    "pragma synchronous = full",
    "pragma foreign_keys = on",
];

impl SqliteCommitter {
    fn connection(&mut self) -> Result<&mut raw::Connection, StoreError> {
        if self.conn.is_none() {
            self.conn = Some(raw::Connection::open(&self.path, WRITER_PRAGMAS)?);
        }
        self.conn
            .as_mut()
            .ok_or_else(|| StoreError::Backend("no writer connection".into()))
    }
}

/// What the planner needs, read inside the open transaction: the head, the revisions of the
/// batch's streams (from the cache where it is still valid) and the stored events among its ids.
fn facts(
    c: &Conn,
    batch: &[PreparedAppend],
    cache: &mut RevisionCache,
) -> Result<BatchFacts, StoreError> {
    let head = head_on(c)?;
    let (mut revisions, unknown) = cache.lookup(head.position, streams_of(batch));
    if !unknown.is_empty() {
        let mut revision = c.prepare(include_str!("sql/stream_revision.sql"))?;
        for stream in unknown {
            let last = revision.query_int(&[Bind::Text(&stream)])?;
            revisions.insert(stream, last.map(position_of));
        }
    }
    let mut existing = HashMap::new();
    let mut by_id = c.prepare(include_str!("sql/event_by_id.sql"))?;
    for id in event_ids_of(batch) {
        by_id.run(&[Bind::Blob(id.as_bytes())], |row| {
            let e = row.event()?;
            existing.insert(e.event_id, e);
            Ok(())
        })?;
    }
    Ok(BatchFacts {
        head: Some(head),
        revisions,
        existing,
    })
}

/// Write a batch inside the open transaction. With `merkle`, also the newly completed tree
/// nodes; returns the grown frontier to keep once the transaction commits.
fn write(
    c: &Conn,
    batch: &[PreparedAppend],
    merkle: Option<Option<Frontier>>,
    cache: &mut RevisionCache,
) -> Result<(super::plan::BatchPlan, Option<Frontier>), StoreError> {
    let facts = facts(c, batch, cache)?;
    let size = facts.head.map_or(0, |h| h.position);
    let plan = plan_batch(facts, batch, chrono::Utc::now().timestamp_micros());
    if plan.rows.is_empty() {
        return Ok((plan, merkle.flatten()));
    }
    let mut grown = None;
    if let Some(cached) = merkle {
        let mut frontier = match cached {
            Some(f) if f.size() == size => f,
            _ => tree::frontier_from(&tree_nodes_on(c, &Frontier::nodes_needed(size))?, size)?,
        };
        let mut insert = c.prepare(include_str!("sql/insert_node.sql"))?;
        for n in tree::grow(&mut frontier, plan.rows.iter().map(|r| r.hash)) {
            insert.run(
                &[
                    Bind::Int(i64::from(n.level)),
                    Bind::Int(sql_int(n.index)),
                    Bind::Blob(&n.hash),
                ],
                |_| Ok(()),
            )?;
        }
        grown = Some(frontier);
    }
    let mut insert = c.prepare(include_str!("sql/insert_event.sql"))?;
    for e in &plan.rows {
        insert.run(
            &[
                Bind::Int(sql_int(e.position)),
                Bind::Blob(e.event_id.as_bytes()),
                Bind::Text(&e.stream_id),
                Bind::Int(sql_int(e.revision)),
                Bind::Text(category_of(&e.stream_id)),
                Bind::Text(&e.event_type),
                Bind::Int(i64::from(e.schema_version)),
                Bind::Text(&e.data),
                Bind::Text(&e.metadata),
                Bind::Int(e.recorded_at.timestamp_micros()),
                Bind::Blob(&e.hash),
            ],
            |_| Ok(()),
        )?;
    }
    c.execute(
        include_str!("sql/update_head.sql"),
        &[
            Bind::Int(sql_int(plan.head.position)),
            Bind::Blob(&plan.head.hash),
            Bind::Int(plan.head.recorded_at_micros),
        ],
    )?;
    Ok((plan, grown))
}

/// Begin the batch's transaction and write it; on any failure roll back (the batch is absent).
fn begin_and_write(
    c: &Conn,
    batch: &[PreparedAppend],
    merkle: Option<Option<Frontier>>,
    cache: &mut RevisionCache,
) -> Result<(super::plan::BatchPlan, Option<Frontier>), StoreError> {
    c.execute(include_str!("sql/begin.sql"), &[])?;
    write(c, batch, merkle, cache).inspect_err(|_| {
        let _ = c.execute("rollback", &[]);
    })
}

impl BlockingCommitter for SqliteCommitter {
    fn commit_batch(&mut self, batch: &[PreparedAppend]) -> Result<Committed, StoreError> {
        let delay = self.commit_delay;
        let merkle = self.merkle.then(|| self.frontier.take());
        let mut cache = std::mem::take(&mut self.revisions);
        let c = match self.connection() {
            Ok(conn) => conn.conn(),
            Err(e) => return Err(StoreError::NotCommitted(e.to_string())),
        };
        let (plan, grown) = match begin_and_write(c, batch, merkle, &mut cache) {
            Ok(written) => written,
            Err(e) => {
                // Rolled back (or never begun); a fresh connection for the next batch.
                self.conn = None;
                return Err(StoreError::NotCommitted(e.to_string()));
            }
        };
        if let Some(delay) = delay {
            std::thread::sleep(delay);
        }
        match c.execute("commit", &[]) {
            Ok(()) => {
                self.frontier = grown;
                cache.remember(plan.head.position, plan.revisions.clone());
                self.revisions = cache;
                Ok(Committed {
                    head: plan.head.position,
                    outcomes: plan.outcomes,
                })
            }
            Err(e) => {
                let _ = c.execute("rollback", &[]);
                self.conn = None;
                let first = plan.rows.first().map(|r| r.event_id);
                let path = self.path.clone();
                resolve_failed_commit_blocking(plan, e.to_string(), move || {
                    let Some(id) = first else { return Ok(false) };
                    let mut probe = raw::Connection::open(&path, WRITER_PRAGMAS)?;
                    let n = probe
                        .conn()
                        .prepare(include_str!("sql/event_exists.sql"))?
                        .query_int(&[Bind::Blob(id.as_bytes())])?;
                    Ok(n.unwrap_or(0) > 0)
                })
            }
        }
    }
}

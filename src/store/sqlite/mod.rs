//! The embedded SQLite backend, the zero-set-up default: one database file in WAL mode, reads from
//! a small pool, and all appends through one writer connection that takes the lock with
//! `BEGIN IMMEDIATE`, writes a whole batch and commits once.

mod error;
pub mod raw;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteSynchronous,
};
use sqlx::{Connection, Row};
use tokio::sync::watch;

use super::plan::{
    BatchFacts, PreparedAppend, RevisionCache, event_ids_of, plan_batch, streams_of,
};
use super::row::{
    EventRow, TreeHeadRow, node_ref, position_of, sql_int, sql_limit, to_events, to_hash,
};
use super::tree;
use super::writer::{BatchCommitter, Committed, Writer, WriterOptions, resolve_failed_commit};
use super::{
    AppendResult, Direction, EventStore, ExpectedRevision, LogHead, NewEvent, Position, ReadFrom,
    RecordedEvent, StoreError, StreamId, category_of,
};
use crate::proofs::{Frontier, Hash, NodeRef, SignedTreeHead};
use error::classify;
use raw::Bind;

/// The embedded migrations of the SQLite event store.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");

/// The SQLite event store.
pub struct SqliteStore {
    pool: SqlitePool,
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
        let conn = SqliteConnection::connect_with(&connect_options(url)?)
            .await
            .map_err(classify)?;
        let head_position = read_head(&pool).await?.position;
        let head = watch::channel(head_position).0;
        let committer = SqliteCommitter {
            url: url.to_string(),
            conn: Some(conn),
            pool: pool.clone(),
            commit_delay: options.commit_delay,
            merkle: options.merkle,
            frontier: None,
            revisions: RevisionCache::default(),
        };
        let writer = Writer::spawn(committer, options, head.clone());
        Ok(Self { pool, writer, head })
    }

    /// The read pool (for tests and tools that inspect the file).
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    async fn fetch(&self, sql: &str, binds: &[Bind<'_>]) -> Result<Vec<RecordedEvent>, StoreError> {
        raw::read_events(&self.pool, sql, binds).await
    }
}

async fn read_head<'e, E: sqlx::SqliteExecutor<'e>>(e: E) -> Result<LogHead, StoreError> {
    let row = sqlx::query(include_str!("sql/head.sql"))
        .fetch_one(e)
        .await
        .map_err(classify)?;
    let hash: Vec<u8> = row.try_get("hash").map_err(classify)?;
    Ok(LogHead {
        position: position_of(row.try_get("position").map_err(classify)?),
        hash: hash
            .try_into()
            .map_err(|_| StoreError::Backend("log head hash is not 32 bytes".into()))?,
        recorded_at_micros: row.try_get("recorded_at").map_err(classify)?,
    })
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
            &[
                Bind::Text(stream.as_str()),
                Bind::Int(revision),
                Bind::Int(sql_limit(limit)),
            ],
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
        self.fetch(
            include_str!("sql/read_all.sql"),
            &[Bind::Int(sql_int(after)), Bind::Int(sql_limit(limit))],
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
            &[
                Bind::Text(category),
                Bind::Int(sql_int(after)),
                Bind::Int(sql_limit(limit)),
            ],
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
            &[
                Bind::Text(event_type),
                Bind::Int(sql_int(after)),
                Bind::Int(sql_limit(limit)),
            ],
        )
        .await
    }

    async fn head(&self) -> Result<LogHead, StoreError> {
        read_head(&self.pool).await
    }

    fn watch_head(&self) -> watch::Receiver<Position> {
        self.head.subscribe()
    }

    async fn shutdown(&self) {
        self.writer.shutdown().await;
    }

    async fn tree_nodes(&self, refs: &[NodeRef]) -> Result<HashMap<NodeRef, Hash>, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(classify)?;
        tree_nodes_with(&mut conn, refs).await
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

/// Every node among `refs`: stored ones from `merkle_nodes`, low ones from event hashes.
async fn tree_nodes_with(
    conn: &mut SqliteConnection,
    refs: &[NodeRef],
) -> Result<HashMap<NodeRef, Hash>, StoreError> {
    let wanted: Vec<[u64; 2]> = tree::stored_refs(refs)
        .iter()
        .map(|r| [u64::from(r.level), r.index])
        .collect();
    let mut stored = HashMap::new();
    if !wanted.is_empty() {
        let list = serde_json::to_string(&wanted).unwrap_or_default();
        for row in sqlx::query(include_str!("sql/select_nodes.sql"))
            .bind(list)
            .fetch_all(&mut *conn)
            .await
            .map_err(classify)?
        {
            let r = node_ref(
                row.try_get(0).map_err(classify)?,
                row.try_get(1).map_err(classify)?,
            )?;
            stored.insert(r, to_hash(row.try_get(2).map_err(classify)?)?);
        }
    }
    let mut chain = BTreeMap::new();
    for (first, last) in tree::position_ranges(refs) {
        for row in sqlx::query(include_str!("sql/chain_hashes.sql"))
            .bind(sql_int(first))
            .bind(sql_int(last))
            .fetch_all(&mut *conn)
            .await
            .map_err(classify)?
        {
            let position = position_of(row.try_get(0).map_err(classify)?);
            chain.insert(position, to_hash(row.try_get(1).map_err(classify)?)?);
        }
    }
    Ok(tree::compose(refs, stored, &chain))
}

/// The frontier of the tree at `size`, from what is stored.
async fn load_frontier(conn: &mut SqliteConnection, size: u64) -> Result<Frontier, StoreError> {
    let nodes = tree_nodes_with(conn, &Frontier::nodes_needed(size)).await?;
    tree::frontier_from(&nodes, size)
}

/// The writer side: one connection, one transaction per batch.
struct SqliteCommitter {
    url: String,
    /// None after a failure: reconnect before the next batch.
    conn: Option<SqliteConnection>,
    pool: SqlitePool,
    commit_delay: Option<Duration>,
    /// Maintain the Merkle tree (see [`WriterOptions::merkle`]).
    merkle: bool,
    /// The tree's right edge after the last committed batch; None when it must be reloaded.
    frontier: Option<Frontier>,
    /// Stream revisions as of this writer's last commit.
    revisions: RevisionCache,
}

impl SqliteCommitter {
    async fn connection(&mut self) -> Result<&mut SqliteConnection, StoreError> {
        if self.conn.is_none() {
            let conn = SqliteConnection::connect_with(&connect_options(&self.url)?)
                .await
                .map_err(classify)?;
            self.conn = Some(conn);
        }
        self.conn
            .as_mut()
            .ok_or_else(|| StoreError::Backend("no writer connection".into()))
    }
}

async fn facts(
    conn: &mut SqliteConnection,
    batch: &[PreparedAppend],
    cache: &mut RevisionCache,
) -> Result<BatchFacts, StoreError> {
    let head = read_head(&mut *conn).await?;
    let (mut revisions, unknown) = cache.lookup(head.position, streams_of(batch));
    if !unknown.is_empty() {
        let streams = serde_json::to_string(&unknown).unwrap_or_default();
        for row in sqlx::query(include_str!("sql/revisions.sql"))
            .bind(streams)
            .fetch_all(&mut *conn)
            .await
            .map_err(classify)?
        {
            let stream: String = row.try_get(0).map_err(classify)?;
            let revision: i64 = row.try_get(1).map_err(classify)?;
            revisions.insert(stream, Some(position_of(revision)));
        }
        for stream in unknown {
            revisions.entry(stream).or_insert(None);
        }
    }
    let ids: Vec<String> = event_ids_of(batch)
        .iter()
        .map(|id| hex::encode(id.as_bytes()))
        .collect();
    let ids = serde_json::to_string(&ids).unwrap_or_default();
    let rows: Vec<EventRow> = sqlx::query_as(include_str!("sql/existing.sql"))
        .bind(ids)
        .fetch_all(&mut *conn)
        .await
        .map_err(classify)?;
    let existing = to_events(rows)?
        .into_iter()
        .map(|e| (e.event_id, e))
        .collect();
    Ok(BatchFacts {
        head: Some(head),
        revisions,
        existing,
    })
}

/// Write a batch inside the open transaction. With `merkle`, also the newly completed tree
/// nodes; returns the grown frontier to keep once the transaction commits.
async fn write(
    conn: &mut SqliteConnection,
    batch: &[PreparedAppend],
    merkle: Option<Option<Frontier>>,
    cache: &mut RevisionCache,
) -> Result<(super::plan::BatchPlan, Option<Frontier>), StoreError> {
    let facts = facts(conn, batch, cache).await?;
    let size = facts.head.map_or(0, |h| h.position);
    let plan = plan_batch(facts, batch, chrono::Utc::now().timestamp_micros());
    let mut grown = None;
    if let Some(cached) = merkle {
        let mut frontier = match cached {
            Some(f) if f.size() == size => f,
            _ => load_frontier(conn, size).await?,
        };
        let nodes = tree::grow(&mut frontier, plan.rows.iter().map(|r| r.hash));
        if !nodes.is_empty() {
            let list: Vec<serde_json::Value> = nodes
                .iter()
                .map(|n| serde_json::json!([n.level, n.index, hex::encode(n.hash)]))
                .collect();
            sqlx::query(include_str!("sql/insert_nodes.sql"))
                .bind(serde_json::Value::Array(list).to_string())
                .execute(&mut *conn)
                .await
                .map_err(classify)?;
        }
        grown = Some(frontier);
    }
    if !plan.rows.is_empty() {
        let rows: Vec<serde_json::Value> = plan
            .rows
            .iter()
            .map(|e| {
                serde_json::json!([
                    e.position,
                    hex::encode(e.event_id.as_bytes()),
                    e.stream_id,
                    e.revision,
                    category_of(&e.stream_id),
                    e.event_type,
                    e.schema_version,
                    e.data,
                    e.metadata,
                    e.recorded_at.timestamp_micros(),
                    hex::encode(e.hash),
                ])
            })
            .collect();
        sqlx::query(include_str!("sql/insert_events.sql"))
            .bind(serde_json::Value::Array(rows).to_string())
            .execute(&mut *conn)
            .await
            .map_err(classify)?;
    }
    if !plan.rows.is_empty() {
        sqlx::query(include_str!("sql/update_head.sql"))
            .bind(sql_int(plan.head.position))
            .bind(&plan.head.hash[..])
            .bind(plan.head.recorded_at_micros)
            .execute(&mut *conn)
            .await
            .map_err(classify)?;
    }
    Ok((plan, grown))
}

#[async_trait]
impl BatchCommitter for SqliteCommitter {
    async fn commit_batch(&mut self, batch: &[PreparedAppend]) -> Result<Committed, StoreError> {
        let delay = self.commit_delay;
        let merkle = self.merkle.then(|| self.frontier.take());
        let mut cache = std::mem::take(&mut self.revisions);
        let conn = self.connection().await?;
        if let Err(e) = sqlx::query(include_str!("sql/begin.sql"))
            .execute(&mut *conn)
            .await
        {
            self.conn = None;
            return Err(StoreError::NotCommitted(classify(e).to_string()));
        }
        let (plan, grown) = match write(conn, batch, merkle, &mut cache).await {
            Ok(written) => written,
            Err(e) => {
                if sqlx::query("rollback").execute(&mut *conn).await.is_err() {
                    self.conn = None;
                }
                return Err(StoreError::NotCommitted(e.to_string()));
            }
        };
        if let Some(delay) = delay {
            tokio::time::sleep(delay).await;
        }
        match sqlx::query("commit").execute(&mut *conn).await {
            Ok(_) => {
                self.frontier = grown;
                cache.remember(plan.head.position, plan.revisions.clone());
                self.revisions = cache;
                Ok(Committed {
                    head: plan.head.position,
                    outcomes: plan.outcomes,
                })
            }
            Err(e) => {
                let _ = sqlx::query("rollback").execute(&mut *conn).await;
                self.conn = None;
                let first = plan.rows.first().map(|r| r.event_id);
                let pool = self.pool.clone();
                resolve_failed_commit(plan, classify(e).to_string(), async move {
                    let Some(id) = first else { return Ok(false) };
                    let n: i64 = sqlx::query_scalar(include_str!("sql/event_exists.sql"))
                        .bind(id)
                        .fetch_one(&pool)
                        .await
                        .map_err(classify)?;
                    Ok(n > 0)
                })
                .await
            }
        }
    }
}

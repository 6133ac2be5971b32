//! The PostgreSQL backend, for a city: reads from a pool, appends through this process's one
//! writer, which locks the log head's row for the whole batch (so several service instances can
//! share the database and still commit in position order), writes the batch with one `unnest`
//! insert, and commits once. LISTEN/NOTIFY wakes live subscribers in every instance.

mod copy;
mod error;

use std::collections::{BTreeMap, HashMap};
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::Row;
use sqlx::postgres::{PgConnectOptions, PgListener, PgPool, PgPoolOptions};
use tokio::sync::watch;
use uuid::Uuid;

use super::plan::{
    BatchFacts, BatchPlan, PreparedAppend, RevisionCache, event_ids_of, plan_batch, streams_of,
};
use super::row::{
    EventRow, TreeHeadRow, expected_after, node_ref, position_of, sql_int, sql_limit, to_events,
    to_hash,
};
use super::tree;
use super::writer::{BatchCommitter, Committed, Writer, WriterOptions, resolve_failed_commit};
use super::{
    AppendResult, Direction, EventStore, ExpectedRevision, LogHead, NewEvent, Position, ReadFrom,
    RecordedEvent, StoreError, StreamId, category_of,
};
use crate::proofs::{Frontier, Hash, NodeRef, SignedTreeHead};
use error::classify;

/// The embedded migrations of the PostgreSQL event store.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

/// The channel of LISTEN/NOTIFY wake-ups.
pub const NOTIFY_CHANNEL: &str = "kinerja_events";

/// The application name of the writer's connections (visible in `pg_stat_activity`).
pub const WRITER_APPLICATION_NAME: &str = "kinerja-writer";

/// Pages of `$all` expected to hold at least this many events are read with COPY.
const COPY_FROM_EVENTS: usize = 512;

/// The PostgreSQL event store.
pub struct PostgresStore {
    pool: PgPool,
    writer: Writer,
    head: watch::Sender<Position>,
    listener: tokio::task::JoinHandle<()>,
}

/// Connect a pool to `url` and apply the migrations.
pub async fn open_pool(url: &str, max_connections: u32) -> Result<PgPool, StoreError> {
    open_pool_with(url, max_connections, &[]).await
}

/// [`open_pool`] with run-time parameters set on every connection (e.g. the read models'
/// `synchronous_commit`).
pub async fn open_pool_with(
    url: &str,
    max_connections: u32,
    parameters: &[(&str, &str)],
) -> Result<PgPool, StoreError> {
    let options = PgConnectOptions::from_str(url)
        .map_err(classify)?
        .options(parameters.iter().copied());
    let pool = PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(options)
        .await
        .map_err(classify)?;
    MIGRATOR
        .run(&pool)
        .await
        .map_err(|e| StoreError::Backend(format!("migrations: {e}")))?;
    Ok(pool)
}

impl PostgresStore {
    /// Open the store at `url` (e.g. `postgres://127.0.0.1:5432/kinerja`), migrating when needed.
    pub async fn open(url: &str, options: WriterOptions) -> Result<Self, StoreError> {
        let pool = open_pool(url, 8).await?;
        let writer_options = PgConnectOptions::from_str(url)
            .map_err(classify)?
            .application_name(WRITER_APPLICATION_NAME)
            // Every query of the writer is an index probe; never let a plan cached while the
            // table was small fall back to scanning the whole log.
            .options([("enable_seqscan", "off")]);
        let writer_pool = PgPoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(writer_options)
            .await
            .map_err(classify)?;
        let head_position = read_head(&pool).await?.position;
        let head = watch::channel(head_position).0;
        let listener = tokio::spawn(listen(pool.clone(), head.clone()));
        let committer = PgCommitter {
            pool: writer_pool,
            probe_pool: pool.clone(),
            commit_delay: options.commit_delay,
            merkle: options.merkle,
            frontier: None,
            revisions: RevisionCache::default(),
        };
        let writer = Writer::spawn(committer, options, head.clone());
        Ok(Self {
            pool,
            writer,
            head,
            listener,
        })
    }

    /// The read pool (for tests and tools).
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    async fn fetch(
        &self,
        query: sqlx::query::Query<'_, sqlx::Postgres, sqlx::postgres::PgArguments>,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        super::row::collect_events(query.fetch(&self.pool), classify).await
    }
}

impl Drop for PostgresStore {
    fn drop(&mut self) {
        self.listener.abort();
    }
}

/// Follow NOTIFY wake-ups from every instance's writer and move the head watch. On a lost
/// connection, reconnect after a pause; subscribers poll meanwhile.
async fn listen(pool: PgPool, head: watch::Sender<Position>) {
    loop {
        let mut listener = match PgListener::connect_with(&pool).await {
            Ok(l) => l,
            Err(error) => {
                tracing::warn!(%error, "LISTEN connection failed; subscribers fall back to polling");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        if listener.listen(NOTIFY_CHANNEL).await.is_err() {
            tokio::time::sleep(Duration::from_secs(1)).await;
            continue;
        }
        while let Ok(note) = listener.recv().await {
            if let Ok(position) = note.payload().parse::<Position>() {
                head.send_if_modified(|h| {
                    let newer = position > *h;
                    *h = (*h).max(position);
                    newer
                });
            }
        }
    }
}

async fn read_head<'e, E: sqlx::PgExecutor<'e>>(e: E) -> Result<LogHead, StoreError> {
    head_from(
        sqlx::query(include_str!("sql/head.sql"))
            .fetch_one(e)
            .await
            .map_err(classify)?,
    )
}

fn head_from(row: sqlx::postgres::PgRow) -> Result<LogHead, StoreError> {
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
impl EventStore for PostgresStore {
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
        let forwards = include_str!("sql/read_stream_forwards.sql");
        let backwards = include_str!("sql/read_stream_backwards.sql");
        let (sql, revision) = match (direction, from) {
            (Direction::Forwards, ReadFrom::Start) => (forwards, 0),
            (Direction::Forwards, ReadFrom::End) => return Ok(Vec::new()),
            (Direction::Forwards, ReadFrom::Revision(r)) => (forwards, sql_int(r)),
            (Direction::Backwards, ReadFrom::Start) => (backwards, 0),
            (Direction::Backwards, ReadFrom::End) => (backwards, i64::MAX),
            (Direction::Backwards, ReadFrom::Revision(r)) => (backwards, sql_int(r)),
        };
        self.fetch(
            sqlx::query(sql)
                .bind(stream.as_str())
                .bind(revision)
                .bind(sql_limit(limit)),
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
        // Long pages (replays, catch-up, verify) come faster through COPY; short ones (a live
        // tail) through the prepared query, which COPY's planning per call would make slower.
        let expected = expected_after(*self.head.borrow(), after, limit);
        if expected >= COPY_FROM_EVENTS {
            return copy::read_all(&self.pool, after, limit, expected).await;
        }
        self.fetch(
            sqlx::query(include_str!("sql/read_all.sql"))
                .bind(sql_int(after))
                .bind(sql_limit(limit)),
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
        let wanted: Vec<i64> = positions.iter().map(|p| sql_int(*p)).collect();
        self.fetch(sqlx::query(include_str!("sql/read_positions.sql")).bind(wanted))
            .await
    }

    async fn read_category(
        &self,
        category: &str,
        after: Position,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        self.fetch(
            sqlx::query(include_str!("sql/read_category.sql"))
                .bind(category)
                .bind(sql_int(after))
                .bind(sql_limit(limit)),
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
            sqlx::query(include_str!("sql/read_event_type.sql"))
                .bind(event_type)
                .bind(sql_int(after))
                .bind(sql_limit(limit)),
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
    conn: &mut sqlx::PgConnection,
    refs: &[NodeRef],
) -> Result<HashMap<NodeRef, Hash>, StoreError> {
    let wanted = tree::stored_refs(refs);
    let mut stored = HashMap::new();
    if !wanted.is_empty() {
        let levels: Vec<i16> = wanted.iter().map(|r| i16::from(r.level)).collect();
        let idxs: Vec<i64> = wanted.iter().map(|r| sql_int(r.index)).collect();
        for row in sqlx::query(include_str!("sql/select_nodes.sql"))
            .bind(levels)
            .bind(idxs)
            .fetch_all(&mut *conn)
            .await
            .map_err(classify)?
        {
            let level: i16 = row.try_get(0).map_err(classify)?;
            let r = node_ref(i64::from(level), row.try_get(1).map_err(classify)?)?;
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
async fn load_frontier(conn: &mut sqlx::PgConnection, size: u64) -> Result<Frontier, StoreError> {
    let nodes = tree_nodes_with(conn, &Frontier::nodes_needed(size)).await?;
    tree::frontier_from(&nodes, size)
}

/// The writer side: one connection (from a pool of one, so a dropped connection is replaced).
struct PgCommitter {
    pool: PgPool,
    probe_pool: PgPool,
    commit_delay: Option<Duration>,
    /// Maintain the Merkle tree (see [`WriterOptions::merkle`]).
    merkle: bool,
    /// The tree's right edge after this writer's last batch; reloaded when another instance has
    /// written since, or after a failure.
    frontier: Option<Frontier>,
    /// Stream revisions as of this writer's last commit.
    revisions: RevisionCache,
}

/// What writing a batch inside its transaction came to.
enum Written {
    /// Written; to be committed. With the Merkle tree, its grown frontier to keep after COMMIT.
    Planned(BatchPlan, Option<Frontier>),
    /// The batch may hold a retried append (an event id stored already, or a failed expectation,
    /// which a retry of a committed append also meets): roll back and plan again with the stored
    /// events in view, so that a retry gets its original answer.
    Replan,
}

/// Begin the batch's transaction, take the head lock, read what the planner needs, plan, and
/// write everything in one statement. Stored events are looked up only when `check_ids` (the
/// second attempt of a batch, see [`Written::Replan`]): the first attempt saves that round trip
/// for the common batch of fresh ids and met expectations.
async fn write(
    conn: &mut sqlx::PgConnection,
    batch: &[PreparedAppend],
    merkle: Option<Option<Frontier>>,
    cache: &mut RevisionCache,
    check_ids: bool,
) -> Result<Written, StoreError> {
    let rows = sqlx::raw_sql(include_str!("sql/begin_lock_head.sql"))
        .fetch_all(&mut *conn)
        .await
        .map_err(classify)?;
    let head = head_from(
        rows.into_iter()
            .next()
            .ok_or_else(|| StoreError::Backend("the log head row is missing".into()))?,
    )?;
    let (mut revisions, unknown) = cache.lookup(head.position, streams_of(batch));
    if !unknown.is_empty() {
        for row in sqlx::query(include_str!("sql/revisions.sql"))
            .bind(unknown)
            .fetch_all(&mut *conn)
            .await
            .map_err(classify)?
        {
            let stream: String = row.try_get(0).map_err(classify)?;
            let revision: Option<i64> = row.try_get(1).map_err(classify)?;
            revisions.insert(stream, revision.map(position_of));
        }
    }
    let mut existing = HashMap::new();
    if check_ids {
        let rows: Vec<EventRow> = sqlx::query_as(include_str!("sql/existing.sql"))
            .bind(event_ids_of(batch))
            .fetch_all(&mut *conn)
            .await
            .map_err(classify)?;
        existing = to_events(rows)?
            .into_iter()
            .map(|e| (e.event_id, e))
            .collect();
    }
    let size = head.position;
    let facts = BatchFacts {
        head: Some(head),
        revisions,
        existing,
    };
    let plan = plan_batch(facts, batch, chrono::Utc::now().timestamp_micros());
    if !check_ids && plan.outcomes.iter().any(Result::is_err) {
        return Ok(Written::Replan);
    }
    if plan.rows.is_empty() {
        return Ok(Written::Planned(plan, merkle.flatten()));
    }
    let mut grown = None;
    let mut nodes = Vec::new();
    if let Some(cached) = merkle {
        let mut frontier = match cached {
            Some(f) if f.size() == size => f,
            _ => load_frontier(conn, size).await?,
        };
        nodes = tree::grow(&mut frontier, plan.rows.iter().map(|r| r.hash));
        grown = Some(frontier);
    }
    let r = &plan.rows;
    let inserted: i64 = sqlx::query_scalar(include_str!("sql/write_batch.sql"))
        .bind(r.iter().map(|e| sql_int(e.position)).collect::<Vec<_>>())
        .bind(r.iter().map(|e| e.event_id).collect::<Vec<Uuid>>())
        .bind(r.iter().map(|e| e.stream_id.as_str()).collect::<Vec<_>>())
        .bind(r.iter().map(|e| sql_int(e.revision)).collect::<Vec<_>>())
        .bind(
            r.iter()
                .map(|e| category_of(&e.stream_id))
                .collect::<Vec<_>>(),
        )
        .bind(r.iter().map(|e| e.event_type.as_str()).collect::<Vec<_>>())
        .bind(
            r.iter()
                .map(|e| i64::from(e.schema_version))
                .collect::<Vec<_>>(),
        )
        .bind(r.iter().map(|e| e.data.as_str()).collect::<Vec<_>>())
        .bind(r.iter().map(|e| e.metadata.as_str()).collect::<Vec<_>>())
        .bind(
            r.iter()
                .map(|e| e.recorded_at.timestamp_micros())
                .collect::<Vec<_>>(),
        )
        .bind(r.iter().map(|e| e.hash.to_vec()).collect::<Vec<_>>())
        .bind(nodes.iter().map(|n| i16::from(n.level)).collect::<Vec<_>>())
        .bind(nodes.iter().map(|n| sql_int(n.index)).collect::<Vec<_>>())
        .bind(nodes.iter().map(|n| n.hash.to_vec()).collect::<Vec<_>>())
        .bind(sql_int(plan.head.position))
        .bind(&plan.head.hash[..])
        .bind(plan.head.recorded_at_micros)
        .bind(plan.head.position.to_string())
        .fetch_one(&mut *conn)
        .await
        .map_err(classify)?;
    if usize::try_from(inserted).ok() != Some(r.len()) {
        return Ok(Written::Replan);
    }
    Ok(Written::Planned(plan, grown))
}

/// Roll the open transaction back; a connection that cannot even do that is closed, so that the
/// pool never hands out a connection inside a transaction.
async fn roll_back(conn: sqlx::pool::PoolConnection<sqlx::Postgres>) {
    let mut conn = conn;
    if sqlx::raw_sql("rollback").execute(&mut *conn).await.is_err() {
        drop(conn.detach());
    }
}

#[async_trait]
impl BatchCommitter for PgCommitter {
    async fn commit_batch(&mut self, batch: &[PreparedAppend]) -> Result<Committed, StoreError> {
        let mut conn = self
            .pool
            .acquire()
            .await
            .map_err(|e| StoreError::NotCommitted(classify(e).to_string()))?;
        let mut check_ids = false;
        let (plan, grown) = loop {
            let merkle = self.merkle.then(|| self.frontier.clone());
            match write(&mut conn, batch, merkle, &mut self.revisions, check_ids).await {
                Ok(Written::Planned(plan, grown)) => break (plan, grown),
                Ok(Written::Replan) if !check_ids => {
                    if sqlx::raw_sql("rollback").execute(&mut *conn).await.is_err() {
                        drop(conn.detach());
                        self.forget();
                        return Err(StoreError::NotCommitted(
                            "the connection failed while rolling back a retried batch".into(),
                        ));
                    }
                    check_ids = true;
                }
                Ok(Written::Replan) => {
                    roll_back(conn).await;
                    self.forget();
                    return Err(StoreError::NotCommitted(
                        "event ids were stored while the head was locked (a writer that bypassed \
                         the head lock?)"
                            .into(),
                    ));
                }
                Err(e) => {
                    roll_back(conn).await;
                    self.forget();
                    return Err(StoreError::NotCommitted(e.to_string()));
                }
            }
        };
        if let Some(delay) = self.commit_delay {
            tokio::time::sleep(delay).await;
        }
        match sqlx::raw_sql("commit").execute(&mut *conn).await {
            Ok(_) => {
                self.frontier = grown;
                self.revisions
                    .remember(plan.head.position, plan.revisions.clone());
                Ok(Committed {
                    head: plan.head.position,
                    outcomes: plan.outcomes,
                })
            }
            Err(e) => {
                roll_back(conn).await;
                self.forget();
                let first = plan.rows.first().map(|r| r.event_id);
                let pool = self.probe_pool.clone();
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

impl PgCommitter {
    /// After a failed or doubtful batch: reload the frontier and every revision next time.
    fn forget(&mut self) {
        self.frontier = None;
        self.revisions.invalidate();
    }
}

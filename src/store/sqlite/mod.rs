//! The embedded SQLite backend, the zero-set-up default: one database file in WAL mode, reads from
//! a small pool, and all appends through one writer connection that takes the lock with
//! `BEGIN IMMEDIATE`, writes a whole batch and commits once.

mod error;

use std::collections::HashMap;
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

use super::plan::{BatchFacts, PreparedAppend, event_ids_of, plan_batch, streams_of};
use super::row::{EventRow, position_of, sql_int, sql_limit, to_events};
use super::writer::{BatchCommitter, Committed, Writer, WriterOptions, resolve_failed_commit};
use super::{
    AppendResult, Direction, EventStore, ExpectedRevision, LogHead, NewEvent, Position, ReadFrom,
    RecordedEvent, StoreError, StreamId, category_of,
};
use error::classify;

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
        };
        let writer = Writer::spawn(committer, options, head.clone());
        Ok(Self { pool, writer, head })
    }

    /// The read pool (for tests and tools that inspect the file).
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    async fn fetch(
        &self,
        query: sqlx::query::Query<'_, sqlx::Sqlite, sqlx::sqlite::SqliteArguments>,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let rows = query.fetch_all(&self.pool).await.map_err(classify)?;
        let rows = rows
            .iter()
            .map(sqlx::FromRow::from_row)
            .collect::<Result<Vec<EventRow>, _>>()
            .map_err(classify)?;
        to_events(rows)
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
        self.fetch(
            sqlx::query(include_str!("sql/read_all.sql"))
                .bind(sql_int(after))
                .bind(sql_limit(limit)),
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
}

/// The writer side: one connection, one transaction per batch.
struct SqliteCommitter {
    url: String,
    /// None after a failure: reconnect before the next batch.
    conn: Option<SqliteConnection>,
    pool: SqlitePool,
    commit_delay: Option<Duration>,
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
) -> Result<BatchFacts, StoreError> {
    let head = read_head(&mut *conn).await?;
    let streams = serde_json::to_string(&streams_of(batch)).unwrap_or_default();
    let mut revisions: HashMap<String, Option<u64>> = HashMap::new();
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

async fn write(
    conn: &mut SqliteConnection,
    batch: &[PreparedAppend],
) -> Result<super::plan::BatchPlan, StoreError> {
    let facts = facts(conn, batch).await?;
    let plan = plan_batch(facts, batch, chrono::Utc::now().timestamp_micros());
    for e in &plan.rows {
        sqlx::query(include_str!("sql/insert_event.sql"))
            .bind(sql_int(e.position))
            .bind(e.event_id)
            .bind(&e.stream_id)
            .bind(sql_int(e.revision))
            .bind(category_of(&e.stream_id))
            .bind(&e.event_type)
            .bind(i64::from(e.schema_version))
            .bind(&e.data)
            .bind(&e.metadata)
            .bind(e.recorded_at.timestamp_micros())
            .bind(&e.hash[..])
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
    Ok(plan)
}

#[async_trait]
impl BatchCommitter for SqliteCommitter {
    async fn commit_batch(&mut self, batch: &[PreparedAppend]) -> Result<Committed, StoreError> {
        let delay = self.commit_delay;
        let conn = self.connection().await?;
        if let Err(e) = sqlx::query(include_str!("sql/begin.sql"))
            .execute(&mut *conn)
            .await
        {
            self.conn = None;
            return Err(StoreError::NotCommitted(classify(e).to_string()));
        }
        let plan = match write(conn, batch).await {
            Ok(plan) => plan,
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
            Ok(_) => Ok(Committed {
                head: plan.head.position,
                outcomes: plan.outcomes,
            }),
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

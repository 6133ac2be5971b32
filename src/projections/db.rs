//! The read side's database: a pool of its own, the `projection_checkpoints` table, the
//! projections' schemas, the generic multi-row upsert and the few generic reads the queries need.
//!
//! # Where the read models live
//!
//! - **SQLite**: in a file of their own next to the event log, never in the log's file:
//!   `sqlite://data/kinerja.db` keeps them in `data/kinerja.projections.db` ([`read_url_for`]),
//!   or wherever `KINERJA_READ_DATABASE_URL` says ([`ReadDb::open_with`]). A SQLite file has one
//!   write lock; in the log's file every read-model commit of the projector waited for the event
//!   writer's group commits and made them wait in turn. The file is opened in WAL mode with
//!   `synchronous=NORMAL`: a commit does not wait for an fsync, so a power cut or an OS crash
//!   may lose the last few read-model commits (an application crash loses nothing). That is
//!   safe because the read side is disposable and its checkpoints are in the same file and the
//!   same transactions as its rows: after a crash the file holds some earlier committed batch
//!   with the checkpoint of exactly that batch, and the projector catches up from there. Nothing
//!   acknowledged is lost, as the events themselves are in the log, committed with
//!   `synchronous=FULL` before any command is answered. The file needs no backup; deleting it
//!   (while stopped) only makes the next start rebuild it from the log. In-memory URLs
//!   (`sqlite::memory:`) get an in-memory database of their own. A big commit (a rebuild or
//!   catch-up page, [`BIG_BATCH_ROWS`]) leaves the copy of the WAL into the file to a passive
//!   checkpoint on another connection instead of SQLite's automatic one on its own thread.
//! - **PostgreSQL**: in the same database as the events (another connection pool; the writer
//!   locks only the log head row, so the projector's commits do not wait for it). Its sessions
//!   commit with `synchronous_commit = off`, for the same reason as SQLite's `NORMAL`.
//!
//! Schemas and queries are kept in `.sql` files (`projections/{sqlite,postgres}/{name}.sql` for the
//! tables, `projections/queries/*.sql` for the reads, written with `$1`-style parameters, which
//! both backends accept). Only the upsert is built at run time, from a [`TableDef`]:
//! `insert into t (k, …, doc) values (…) on conflict (k) do update set … = excluded.…` (SQLite,
//! one row at a time through the C API) or `… select * from unnest(…) on conflict …` (PostgreSQL).

use std::collections::HashMap;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, Row, SqlitePool};

use crate::store::sqlite::raw;

use super::{
    Changes, ColType, Projection, ProjectionError, Result, TableDef, Val, pos_i64, pos_u64,
};

/// Which database the read side lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The read side's pool.
#[derive(Debug, Clone)]
pub enum ReadDb {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// One checkpoint move in a commit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckpointMove {
    pub name: &'static str,
    pub version: u32,
    /// The position the projector believes is stored (compare-and-set).
    pub from: u64,
    pub to: u64,
}

/// A stored checkpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Checkpoint {
    pub version: u32,
    pub position: u64,
}

/// A SQLite commit of at least this many rows (a catch-up or rebuild page; the live projector's
/// commits are a few rows each) does not copy the WAL into the database when it ends, as
/// SQLite's automatic checkpoint would on the committing thread: a passive checkpoint on another
/// connection does, while the projector folds and commits the next page (BENCHMARKS.md: a
/// rebuild of 1,000,000 events 1.19× faster on SQLite).
pub const BIG_BATCH_ROWS: usize = 10_000;
const AUTOCHECKPOINT_OFF: &str =
    include_str!("../../projections/queries/sqlite_autocheckpoint_off.sql");
const AUTOCHECKPOINT_ON: &str =
    include_str!("../../projections/queries/sqlite_autocheckpoint_on.sql");
const CHECKPOINT_PASSIVE: &str = include_str!("../../projections/queries/sqlite_checkpoint.sql");

/// The read models' PostgreSQL sessions commit without waiting for their WAL to reach the disk
/// (`synchronous_commit = off`), as their SQLite file does (`synchronous=NORMAL`, see the module
/// docs): a server crash may lose the last few read-model commits, never corrupt them, and
/// each commit holds its own checkpoints, so the projector folds those events again. The
/// events' own commits stay synchronous (another pool).
const POSTGRES_PARAMETERS: [(&str, &str); 1] = [("synchronous_commit", "off")];

/// Connections of the SQLite read pool (the projector's commits and the queries).
const SQLITE_CONNECTIONS: u32 = 8;

/// The URL of the SQLite file that holds the read models of the SQLite event store at
/// `store_url`: the same directory and query string, `.projections` before the extension
/// (`sqlite://data/kinerja.db` → `sqlite://data/kinerja.projections.db`, `sqlite:log` →
/// `sqlite:log.projections`). An in-memory URL is returned as it is (each pool opened from it is
/// a database of its own). `None` for a URL that is not `sqlite:`.
pub fn read_url_for(store_url: &str) -> Option<String> {
    let rest = store_url.strip_prefix("sqlite:")?;
    let (path, query) = match rest.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (rest, None),
    };
    let in_memory = path.ends_with(":memory:")
        || path.trim_start_matches('/').is_empty()
        || query.is_some_and(|q| q.split('&').any(|kv| kv == "mode=memory"));
    if in_memory {
        return Some(store_url.to_string());
    }
    let (dir, name) = match path.rfind('/') {
        Some(i) => path.split_at(i + 1),
        None => ("", path),
    };
    let name = match name.rfind('.') {
        Some(i) if i > 0 => format!("{}.projections{}", &name[..i], &name[i..]),
        _ => format!("{name}.projections"),
    };
    let query = query.map(|q| format!("?{q}")).unwrap_or_default();
    Some(format!("sqlite:{dir}{name}{query}"))
}

/// Open (creating when missing) the read models' SQLite file: WAL, `synchronous=NORMAL` (see the
/// module docs for why that is safe here), a generous busy timeout. No event-store migrations:
/// this file holds read models only.
async fn open_sqlite(url: &str) -> Result<SqlitePool> {
    let options = SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(Duration::from_secs(30));
    let file = options.get_filename();
    if file != Path::new(":memory:")
        && !file.as_os_str().is_empty()
        && let Some(dir) = file.parent().filter(|p| !p.as_os_str().is_empty())
    {
        std::fs::create_dir_all(dir).map_err(|e| {
            ProjectionError::Invalid(format!("cannot create directory {}: {e}", dir.display()))
        })?;
    }
    Ok(SqlitePoolOptions::new()
        .max_connections(SQLITE_CONNECTIONS)
        .connect_with(options)
        .await?)
}

fn upsert_tail(t: &TableDef) -> String {
    let sets: Vec<String> = t
        .columns
        .iter()
        .skip(1)
        .map(|(c, _)| format!("{c} = excluded.{c}"))
        .collect();
    format!(" on conflict (k) do update set {}", sets.join(", "))
}

fn upsert_head(t: &TableDef) -> String {
    let cols: Vec<&str> = t.columns.iter().map(|(c, _)| *c).collect();
    format!("insert into {} ({}) ", t.name, cols.join(", "))
}

/// `insert into t (k, …, doc) values (?1, …) on conflict (k) do update set …`: one row.
fn upsert_one(t: &TableDef) -> String {
    let params: Vec<String> = (1..=t.columns.len()).map(|i| format!("?{i}")).collect();
    format!(
        "{}values ({}){}",
        upsert_head(t),
        params.join(", "),
        upsert_tail(t)
    )
}

/// `q` with `binds` bound in order.
fn bind_vals<'q, DB, O>(
    q: sqlx::query::QueryAs<'q, DB, O, <DB as sqlx::Database>::Arguments>,
    binds: &[Val],
) -> sqlx::query::QueryAs<'q, DB, O, <DB as sqlx::Database>::Arguments>
where
    DB: sqlx::Database,
    Option<String>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<i64>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    binds.iter().fold(q, |q, b| match b {
        Val::Text(t) => q.bind(t.clone()),
        Val::Int(i) => q.bind(*i),
    })
}

/// `insert into t (k, …, doc) select * from unnest($1::text[], $2::bigint[], …) on conflict …`.
fn upsert_unnest(t: &TableDef) -> String {
    let arrays: Vec<String> = t
        .columns
        .iter()
        .enumerate()
        .map(|(i, (_, ty))| match ty {
            ColType::Text => format!("${}::text[]", i + 1),
            ColType::Int => format!("${}::bigint[]", i + 1),
        })
        .collect();
    format!(
        "{}select * from unnest({}){}",
        upsert_head(t),
        arrays.join(", "),
        upsert_tail(t)
    )
}

/// A read whose text differs between the backends (a list bound as one JSON array is
/// unpacked by `json_each` on SQLite, by `jsonb_array_elements_text` on PostgreSQL): the files
/// `projections/queries/{name}.sqlite.sql` and `….postgres.sql`, taken by [`per_backend!`].
#[derive(Debug, Clone, Copy)]
pub struct PerBackend {
    pub sqlite: &'static str,
    pub postgres: &'static str,
}

impl PerBackend {
    fn of(self, backend: Backend) -> &'static str {
        match backend {
            Backend::Sqlite => self.sqlite,
            Backend::Postgres => self.postgres,
        }
    }
}

/// The [`PerBackend`] query `projections/queries/{name}.{sqlite,postgres}.sql`.
#[macro_export]
macro_rules! per_backend {
    ($name:literal) => {
        $crate::projections::db::PerBackend {
            sqlite: include_str!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/projections/queries/",
                $name,
                ".sqlite.sql"
            )),
            postgres: include_str!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/projections/queries/",
                $name,
                ".postgres.sql"
            )),
        }
    };
}

impl ReadDb {
    /// Open the read side of the event store at `url` (`sqlite:…` or `postgres:…`), in its
    /// default place ([`read_url_for`]).
    pub async fn open(url: &str) -> Result<Self> {
        Self::open_with(url, None).await
    }

    /// Open the read side of the event store at `store_url`; on SQLite in the file `read_url`
    /// names when given (a `sqlite:` URL), else next to the log ([`read_url_for`]). PostgreSQL
    /// keeps the read models in the events' database and takes no `read_url`.
    pub async fn open_with(store_url: &str, read_url: Option<&str>) -> Result<Self> {
        let db = if store_url.starts_with("sqlite:") {
            let url = match read_url {
                Some(u) if u.starts_with("sqlite:") => u.to_string(),
                Some(u) => {
                    return Err(ProjectionError::Invalid(format!(
                        "the read models of a SQLite store need a sqlite: URL, not {u:?}"
                    )));
                }
                None => read_url_for(store_url).unwrap_or_else(|| store_url.to_string()),
            };
            ReadDb::Sqlite(open_sqlite(&url).await?)
        } else if store_url.starts_with("postgres:") || store_url.starts_with("postgresql:") {
            if let Some(u) = read_url {
                return Err(ProjectionError::Invalid(format!(
                    "on PostgreSQL the read models live in the events' database; \
                     a separate read-model URL ({u:?}) is for SQLite only"
                )));
            }
            ReadDb::Postgres(
                crate::store::postgres::open_pool_with(store_url, 8, &POSTGRES_PARAMETERS).await?,
            )
        } else {
            return Err(ProjectionError::Invalid(format!(
                "read models need sqlite: or postgres:, not {store_url:?}"
            )));
        };
        db.ensure_checkpoints().await?;
        Ok(db)
    }

    /// Close every connection of the pool (waiting for those in use to come back).
    pub async fn close(&self) {
        match self {
            ReadDb::Sqlite(p) => p.close().await,
            ReadDb::Postgres(p) => p.close().await,
        }
    }

    pub fn backend(&self) -> Backend {
        match self {
            ReadDb::Sqlite(_) => Backend::Sqlite,
            ReadDb::Postgres(_) => Backend::Postgres,
        }
    }

    async fn raw(&self, sql: &'static str) -> Result<()> {
        match self {
            ReadDb::Sqlite(p) => sqlx::raw_sql(sql).execute(p).await.map(|_| ())?,
            ReadDb::Postgres(p) => sqlx::raw_sql(sql).execute(p).await.map(|_| ())?,
        }
        Ok(())
    }

    async fn ensure_checkpoints(&self) -> Result<()> {
        self.raw(match self.backend() {
            Backend::Sqlite => include_str!("../../projections/sqlite/checkpoints.sql"),
            Backend::Postgres => include_str!("../../projections/postgres/checkpoints.sql"),
        })
        .await
    }

    /// The hash (hex) of the first event of the log the read models were folded from.
    pub async fn origin(&self) -> Result<Option<String>> {
        let sql = include_str!("../../projections/queries/origin.sql");
        Ok(match self {
            ReadDb::Sqlite(p) => sqlx::query_scalar(sql).fetch_optional(p).await?,
            ReadDb::Postgres(p) => sqlx::query_scalar(sql).fetch_optional(p).await?,
        })
    }

    /// Record the log the read models are folded from ([`ReadDb::origin`]).
    pub async fn set_origin(&self, first_hash: &str) -> Result<()> {
        let sql = include_str!("../../projections/queries/origin_set.sql");
        match self {
            ReadDb::Sqlite(p) => sqlx::query(sql)
                .bind(first_hash)
                .execute(p)
                .await
                .map(|_| ())?,
            ReadDb::Postgres(p) => sqlx::query(sql)
                .bind(first_hash)
                .execute(p)
                .await
                .map(|_| ())?,
        }
        Ok(())
    }

    /// Every stored checkpoint by projection name.
    pub async fn checkpoints(&self) -> Result<HashMap<String, Checkpoint>> {
        let sql = include_str!("../../projections/queries/checkpoints.sql");
        let rows: Vec<(String, i64, i64)> = match self {
            ReadDb::Sqlite(p) => sqlx::query_as(sql).fetch_all(p).await?,
            ReadDb::Postgres(p) => sqlx::query_as(sql).fetch_all(p).await?,
        };
        Ok(rows
            .into_iter()
            .map(|(n, v, p)| {
                let c = Checkpoint {
                    version: u32::try_from(v).unwrap_or(0),
                    position: pos_u64(p),
                };
                (n, c)
            })
            .collect())
    }

    /// Drop a projection's tables, recreate them, and set its checkpoint to (version, 0).
    pub async fn reinstall(&self, p: &dyn Projection) -> Result<()> {
        for t in p.tables() {
            let sql = format!("drop table if exists {}", t.name);
            match self {
                ReadDb::Sqlite(pool) => {
                    sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                        .execute(pool)
                        .await?;
                }
                ReadDb::Postgres(pool) => {
                    sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                        .execute(pool)
                        .await?;
                }
            }
        }
        self.raw(p.schema(self.backend())).await?;
        if let ReadDb::Postgres(pool) = self {
            // Documents over 2 kB (an SKP's is about 6 kB) are compressed when stored: with lz4
            // where the server has it (PostgreSQL 14 and later, built with lz4), several times
            // cheaper in CPU than the default pglz; elsewhere the default stays.
            for t in p
                .tables()
                .iter()
                .filter(|t| t.columns.iter().any(|(c, _)| *c == "doc"))
            {
                let sql = format!(
                    "alter table {} alter column doc set compression lz4",
                    t.name
                );
                if let Err(e) = sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(pool).await {
                    tracing::debug!(table = t.name, error = %e, "read models: no lz4 compression");
                }
            }
        }
        let sql = include_str!("../../projections/queries/checkpoint_reset.sql");
        let version = i64::from(p.version());
        match self {
            ReadDb::Sqlite(pool) => {
                sqlx::query(sql)
                    .bind(p.name())
                    .bind(version)
                    .bind(Utc::now())
                    .execute(pool)
                    .await?;
            }
            ReadDb::Postgres(pool) => {
                sqlx::query(sql)
                    .bind(p.name())
                    .bind(version)
                    .bind(Utc::now())
                    .execute(pool)
                    .await?;
            }
        }
        Ok(())
    }

    /// Reset `p` and feed it every stored doc of its restorable tables.
    pub async fn restore(&self, p: &mut dyn Projection) -> Result<()> {
        p.reset();
        for t in p.tables().iter().filter(|t| t.restore) {
            let sql = format!("select doc from {} order by k", t.name);
            let docs: Vec<String> = match self {
                ReadDb::Sqlite(pool) => {
                    sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                        .fetch_all(pool)
                        .await?
                }
                ReadDb::Postgres(pool) => {
                    sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                        .fetch_all(pool)
                        .await?
                }
            };
            for d in docs {
                p.restore(t.name, &d)?;
            }
        }
        Ok(())
    }

    /// Write the changes and move the checkpoints, all in one transaction. Returns false (and
    /// writes nothing) when a stored checkpoint was not where `moves` said: another process moved
    /// it, and the caller must reload.
    ///
    /// SQLite gets one prepared single-row `insert … values (…) on conflict (k) do update` per
    /// table, stepped through the C API for each row ([`sqlite_commit`]); PostgreSQL one
    /// `insert … select * from unnest($1, …)`
    /// per table with every row bound as arrays, and one `delete … where k = any($1)`.
    pub async fn commit(
        &self,
        tables: &HashMap<&'static str, &'static TableDef>,
        changes: Changes,
        moves: &[CheckpointMove],
    ) -> Result<bool> {
        let cas = include_str!("../../projections/queries/checkpoint_move.sql");
        let now = Utc::now();
        let grouped = group(changes);
        match self {
            ReadDb::Sqlite(pool) => {
                let rows: usize = grouped
                    .iter()
                    .map(|(_, r)| r.upserts.len() + r.deletes.len())
                    .sum();
                let big = rows >= BIG_BATCH_ROWS;
                let mut conn = pool.acquire().await?;
                if big {
                    sqlx::query(AUTOCHECKPOINT_OFF).execute(&mut *conn).await?;
                }
                let done = sqlite_commit(&mut conn, tables, grouped, moves, cas, now).await;
                if big {
                    // Back to checkpointing on commit whatever happened; a connection that
                    // cannot be reset is not given back to the pool.
                    if let Err(e) = sqlx::query(AUTOCHECKPOINT_ON).execute(&mut *conn).await {
                        tracing::warn!(error = %e, "read models: resetting wal_autocheckpoint failed");
                        conn.close_on_drop();
                    }
                    drop(conn);
                    // The WAL is copied into the database on another connection (its own
                    // thread) while the next page is folded and committed. A checkpoint already
                    // running makes this one return at once.
                    let pool = pool.clone();
                    tokio::spawn(async move {
                        if let Err(e) = sqlx::query(CHECKPOINT_PASSIVE).execute(&pool).await {
                            tracing::debug!(error = %e, "read models: background checkpoint");
                        }
                    });
                }
                if !done? {
                    return Ok(false);
                }
            }
            ReadDb::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                for m in moves {
                    let n = sqlx::query(cas)
                        .bind(pos_i64(m.to))
                        .bind(now)
                        .bind(m.name)
                        .bind(i64::from(m.version))
                        .bind(pos_i64(m.from))
                        .execute(&mut *tx)
                        .await?
                        .rows_affected();
                    if n != 1 {
                        tx.rollback().await?;
                        return Ok(false);
                    }
                }
                for (table, rows) in grouped {
                    let def = table_def(tables, table)?;
                    if !rows.upserts.is_empty() {
                        let mut q = sqlx::query(sqlx::AssertSqlSafe(upsert_unnest(def)));
                        for column in columns_of(def, rows.upserts)? {
                            q = match column {
                                Column::Text(v) => q.bind(v),
                                Column::Int(v) => q.bind(v),
                            };
                        }
                        q.execute(&mut *tx).await?;
                    }
                    if !rows.deletes.is_empty() {
                        let sql = format!("delete from {} where k = any($1)", def.name);
                        sqlx::query(sqlx::AssertSqlSafe(sql))
                            .bind(rows.deletes)
                            .execute(&mut *tx)
                            .await?;
                    }
                }
                tx.commit().await?;
            }
        }
        Ok(true)
    }

    /// The `doc` column of the rows a query returns (its first column), in order.
    pub async fn docs(&self, sql: &'static str, binds: &[Val]) -> Result<Vec<String>> {
        let rows: Vec<(String,)> = self.fetch_as(sql, binds).await?;
        Ok(rows.into_iter().map(|(doc,)| doc).collect())
    }

    /// The (key, doc) pairs of the rows a query returns (its first two columns), in order.
    pub async fn keyed_docs(
        &self,
        sql: &'static str,
        binds: &[Val],
    ) -> Result<Vec<(String, String)>> {
        self.fetch_as(sql, binds).await
    }

    /// The (text, integer) pairs of the rows a query returns (its first two columns), in order.
    pub async fn keyed_ints(&self, sql: &'static str, binds: &[Val]) -> Result<Vec<(String, i64)>> {
        self.fetch_as(sql, binds).await
    }

    /// [`Self::keyed_docs`] of the text of `sql` for this backend.
    pub async fn keyed_docs_of(
        &self,
        sql: PerBackend,
        binds: &[Val],
    ) -> Result<Vec<(String, String)>> {
        self.fetch_as(sql.of(self.backend()), binds).await
    }

    /// The rows of a query with `binds` (`$1`, `$2`, … in order), decoded by position.
    async fn fetch_as<T>(&self, sql: &'static str, binds: &[Val]) -> Result<Vec<T>>
    where
        T: Send
            + Unpin
            + for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
            + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>,
    {
        Ok(match self {
            ReadDb::Sqlite(pool) => {
                bind_vals(sqlx::query_as(sql), binds)
                    .fetch_all(pool)
                    .await?
            }
            ReadDb::Postgres(pool) => {
                bind_vals(sqlx::query_as(sql), binds)
                    .fetch_all(pool)
                    .await?
            }
        })
    }

    /// Every row of a table as (k, doc), in key order: what the rebuild tests compare.
    pub async fn dump(&self, table: &str) -> Result<Vec<(String, String)>> {
        let sql = format!("select k, doc from {table} order by k");
        Ok(match self {
            ReadDb::Sqlite(pool) => {
                sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .fetch_all(pool)
                    .await?
            }
            ReadDb::Postgres(pool) => {
                sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .fetch_all(pool)
                    .await?
            }
        })
    }

    /// Every row of a table with all columns rendered as text, in key order.
    pub async fn dump_all_columns(&self, t: &TableDef) -> Result<Vec<Vec<Option<String>>>> {
        let cols: Vec<String> = t
            .columns
            .iter()
            .map(|(c, ty)| match ty {
                ColType::Text => (*c).to_string(),
                ColType::Int => format!("cast({c} as text)"),
            })
            .collect();
        let sql = format!("select {} from {} order by k", cols.join(", "), t.name);
        let n = t.columns.len();
        Ok(match self {
            ReadDb::Sqlite(pool) => {
                let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                    .fetch_all(pool)
                    .await?;
                rows.iter()
                    .map(|r| (0..n).map(|i| r.try_get::<Option<String>, _>(i)).collect())
                    .collect::<std::result::Result<_, _>>()?
            }
            ReadDb::Postgres(pool) => {
                let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                    .fetch_all(pool)
                    .await?;
                rows.iter()
                    .map(|r| (0..n).map(|i| r.try_get::<Option<String>, _>(i)).collect())
                    .collect::<std::result::Result<_, _>>()?
            }
        })
    }
}

fn table_def<'a>(tables: &HashMap<&'static str, &'a TableDef>, name: &str) -> Result<&'a TableDef> {
    tables
        .get(name)
        .copied()
        .ok_or_else(|| ProjectionError::Corrupt {
            table: name.to_string(),
            reason: "a change for a table no projection declares".into(),
        })
}

#[derive(Default)]
struct TableRows {
    upserts: Vec<Vec<Val>>,
    deletes: Vec<String>,
}

/// One SQLite commit on `conn`: the checkpoint moves (compare-and-set; `false` when another
/// process moved one), then the rows, in one transaction. The statements are stepped through
/// SQLite's C API on the connection's own handle (`raw::with_connection`): one single-row upsert
/// per table, prepared once per commit and run for each row with its values bound where they lie.
/// Through sqlx every value was copied twice on its way in and a page of a rebuild went through
/// multi-row statements of thousands of parameters (BENCHMARKS.md: the commits of a rebuild of
/// 1,000,000 events took about three times what SQLite itself needs).
async fn sqlite_commit(
    conn: &mut sqlx::pool::PoolConnection<sqlx::Sqlite>,
    tables: &HashMap<&'static str, &'static TableDef>,
    grouped: Vec<(&'static str, TableRows)>,
    moves: &[CheckpointMove],
    cas: &'static str,
    now: DateTime<Utc>,
) -> Result<bool> {
    let plan: Vec<(&TableDef, TableRows)> = grouped
        .into_iter()
        .map(|(table, rows)| Ok((table_def(tables, table)?, rows)))
        .collect::<Result<_>>()?;
    // As sqlx writes a `DateTime<Utc>` into SQLite, so the checkpoint reads it back the same.
    let now = now.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false);
    let done = raw::with_connection(conn, |c| {
        c.execute("begin immediate", &[])?;
        let written = sqlite_write(c, &plan, moves, cas, &now);
        match written {
            Ok(true) => match c.execute("commit", &[]) {
                Ok(()) => Ok(true),
                Err(e) => {
                    let _ = c.execute("rollback", &[]);
                    Err(e)
                }
            },
            Ok(false) | Err(_) => {
                let _ = c.execute("rollback", &[]);
                written
            }
        }
    })
    .await?;
    Ok(done)
}

/// The statements of [`sqlite_commit`], inside its transaction.
fn sqlite_write(
    c: &raw::Conn,
    plan: &[(&TableDef, TableRows)],
    moves: &[CheckpointMove],
    cas: &str,
    now: &str,
) -> std::result::Result<bool, crate::store::StoreError> {
    use crate::store::sqlite::raw::Bind;
    let mut moved = c.prepare(cas)?;
    for m in moves {
        let version = i64::from(m.version);
        moved.run(
            &[
                Bind::Int(pos_i64(m.to)),
                Bind::Text(now),
                Bind::Text(m.name),
                Bind::Int(version),
                Bind::Int(pos_i64(m.from)),
            ],
            |_| Ok(()),
        )?;
        if c.changes() != 1 {
            return Ok(false);
        }
    }
    let mut binds: Vec<Bind<'_>> = Vec::new();
    for (def, rows) in plan {
        if !rows.upserts.is_empty() {
            let mut upsert = c.prepare(&upsert_one(def))?;
            for row in &rows.upserts {
                binds.clear();
                binds.extend(row.iter().map(|v| match v {
                    Val::Text(Some(t)) => Bind::Text(t),
                    Val::Int(Some(i)) => Bind::Int(*i),
                    Val::Text(None) | Val::Int(None) => Bind::Null,
                }));
                upsert.run(&binds, |_| Ok(()))?;
            }
        }
        if !rows.deletes.is_empty() {
            let mut delete = c.prepare(&format!("delete from {} where k = ?1", def.name))?;
            for key in &rows.deletes {
                delete.run(&[Bind::Text(key)], |_| Ok(()))?;
            }
        }
    }
    Ok(true)
}

/// The changes by table, in table and key order.
fn group(changes: Changes) -> Vec<(&'static str, TableRows)> {
    let mut out: Vec<(&'static str, TableRows)> = Vec::new();
    for ((table, key), row) in changes.rows {
        if out.last().is_none_or(|(t, _)| *t != table) {
            out.push((table, TableRows::default()));
        }
        if let Some((_, rows)) = out.last_mut() {
            match row {
                Some(r) => rows.upserts.push(r),
                None => rows.deletes.push(key),
            }
        }
    }
    out
}

/// One column of a batch of rows, for binding as a PostgreSQL array.
enum Column {
    Text(Vec<Option<String>>),
    Int(Vec<Option<i64>>),
}

/// Transpose rows (in the table's column order) into columns.
fn columns_of(def: &TableDef, rows: Vec<Vec<Val>>) -> Result<Vec<Column>> {
    let mut cols: Vec<Column> = def
        .columns
        .iter()
        .map(|(_, ty)| match ty {
            ColType::Text => Column::Text(Vec::with_capacity(rows.len())),
            ColType::Int => Column::Int(Vec::with_capacity(rows.len())),
        })
        .collect();
    for row in rows {
        if row.len() != cols.len() {
            return Err(ProjectionError::Corrupt {
                table: def.name.to_string(),
                reason: format!("a row of {} values for {} columns", row.len(), cols.len()),
            });
        }
        for (col, v) in cols.iter_mut().zip(row) {
            match (col, v) {
                (Column::Text(c), Val::Text(t)) => c.push(t),
                (Column::Int(c), Val::Int(i)) => c.push(i),
                (_, v) => {
                    return Err(ProjectionError::Corrupt {
                        table: def.name.to_string(),
                        reason: format!("a value {v:?} of the wrong type"),
                    });
                }
            }
        }
    }
    Ok(cols)
}

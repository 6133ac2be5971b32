//! The backend's own queries on the ledger database: the map from our positions to the server's,
//! the claim on the database, and looking sealed events up by id.

use sqlx::Row;
use sqlx::postgres::PgPool;
use sqlx::sqlite::SqlitePool;
use uuid::Uuid;

use crate::store::row::{EventRow, position_of, sql_int, sql_limit, to_events};
use crate::store::{Position, RecordedEvent, StoreError, postgres, sqlite};

/// One row of `kurrentdb_sealed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SealedRow {
    pub position: Position,
    pub event_id: Uuid,
    pub commit: u64,
    pub prepare: u64,
    pub created_micros: i64,
}

/// A pool on the ledger database.
#[derive(Debug, Clone)]
pub enum Index {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

fn db(e: sqlx::Error) -> StoreError {
    StoreError::Backend(format!("ledger database: {e}"))
}

impl Index {
    /// Connect to the ledger database at `url` (migrated by the event-store migrations) and create
    /// this backend's tables when missing.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let index = if url.starts_with("sqlite:") {
            let pool = sqlite::open_pool(url).await?;
            sqlx::raw_sql(include_str!("sql/schema_sqlite.sql"))
                .execute(&pool)
                .await
                .map_err(db)?;
            Self::Sqlite(pool)
        } else {
            let pool = postgres::open_pool(url, 4).await?;
            sqlx::raw_sql(include_str!("sql/schema_postgres.sql"))
                .execute(&pool)
                .await
                .map_err(db)?;
            Self::Postgres(pool)
        };
        Ok(index)
    }

    /// Claim the database for a sealed log. Refused when it already holds events and was never
    /// claimed: those events did not come from the cluster, and sealing after them would mix two
    /// logs into one chain.
    pub async fn claim(&self, head: Position) -> Result<(), StoreError> {
        let claimed: i64 = match self {
            Self::Sqlite(p) => sqlx::query_scalar(include_str!("sql/claimed.sql"))
                .fetch_one(p)
                .await
                .map_err(db)?,
            Self::Postgres(p) => sqlx::query_scalar(include_str!("sql/claimed.sql"))
                .fetch_one(p)
                .await
                .map_err(db)?,
        };
        if claimed > 0 {
            return Ok(());
        }
        if head > 0 {
            return Err(StoreError::Backend(format!(
                "the ledger database already holds {head} events that were not sealed from \
                 KurrentDB; give the KurrentDB backend a database of its own"
            )));
        }
        let now = chrono::Utc::now().timestamp_micros();
        let sql = include_str!("sql/claim.sql");
        match self {
            Self::Sqlite(p) => {
                sqlx::query(sql).bind(now).execute(p).await.map_err(db)?;
            }
            Self::Postgres(p) => {
                sqlx::query(sql).bind(now).execute(p).await.map_err(db)?;
            }
        }
        Ok(())
    }

    /// Note where a sealed event sits in `$all` (kept when already noted).
    pub async fn record(&self, row: &SealedRow) -> Result<(), StoreError> {
        macro_rules! run {
            ($pool:expr) => {
                sqlx::query(include_str!("sql/insert_sealed.sql"))
                    .bind(sql_int(row.position))
                    .bind(row.event_id)
                    .bind(sql_int(row.commit))
                    .bind(sql_int(row.prepare))
                    .bind(row.created_micros)
                    .execute($pool)
                    .await
                    .map_err(db)?;
            };
        }
        match self {
            Self::Sqlite(p) => {
                run!(p);
            }
            Self::Postgres(p) => {
                run!(p);
            }
        }
        Ok(())
    }

    /// The last noted event: our position and the server's.
    pub async fn last_sealed(&self) -> Result<Option<(Position, kurrentdb::Position)>, StoreError> {
        let row = match self {
            Self::Sqlite(p) => sqlx::query(include_str!("sql/last_sealed.sql"))
                .fetch_optional(p)
                .await
                .map_err(db)?
                .map(|r| -> Result<_, sqlx::Error> {
                    Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?))
                }),
            Self::Postgres(p) => sqlx::query(include_str!("sql/last_sealed.sql"))
                .fetch_optional(p)
                .await
                .map_err(db)?
                .map(|r| -> Result<_, sqlx::Error> {
                    Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?))
                }),
        };
        let Some(row) = row else { return Ok(None) };
        let (position, commit, prepare): (i64, i64, i64) = row.map_err(db)?;
        Ok(Some((
            position_of(position),
            kurrentdb::Position {
                commit: position_of(commit),
                prepare: position_of(prepare),
            },
        )))
    }

    /// Noted rows after `after` (ours), for tests and tools.
    pub async fn sealed_after(
        &self,
        after: Position,
        limit: usize,
    ) -> Result<Vec<(Position, Uuid)>, StoreError> {
        macro_rules! run {
            ($pool:expr) => {
                sqlx::query(include_str!("sql/sealed_after.sql"))
                    .bind(sql_int(after))
                    .bind(sql_limit(limit))
                    .fetch_all($pool)
                    .await
                    .map_err(db)?
                    .into_iter()
                    .map(|r| Ok((position_of(r.try_get(0)?), r.try_get(1)?)))
                    .collect::<Result<Vec<_>, sqlx::Error>>()
                    .map_err(db)
            };
        }
        match self {
            Self::Sqlite(p) => run!(p),
            Self::Postgres(p) => run!(p),
        }
    }

    /// The sealed events with these ids (in no particular order).
    pub async fn events_by_id(&self, ids: &[Uuid]) -> Result<Vec<RecordedEvent>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows: Vec<EventRow> = match self {
            Self::Sqlite(p) => {
                let hex: Vec<String> = ids.iter().map(|id| hex::encode(id.as_bytes())).collect();
                sqlx::query_as(include_str!("../sqlite/sql/existing.sql"))
                    .bind(serde_json::to_string(&hex).unwrap_or_default())
                    .fetch_all(p)
                    .await
                    .map_err(db)?
            }
            Self::Postgres(p) => sqlx::query_as(include_str!("../postgres/sql/existing.sql"))
                .bind(ids.to_vec())
                .fetch_all(p)
                .await
                .map_err(db)?,
        };
        to_events(rows)
    }
}

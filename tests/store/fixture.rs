//! Fresh databases for each test: a temporary SQLite file, a new PostgreSQL database, or memory.
//!
//! PostgreSQL tests use `KINERJA_TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`) to create a database per test. When the server
//! cannot be reached they fail, unless `KINERJA_TEST_POSTGRES=skip` is set, in which case they say
//! plainly on stderr that they were skipped.

use std::sync::Arc;

use kinerja::store::writer::WriterOptions;
use kinerja::store::{
    EventStore, memory::MemoryStore, postgres::PostgresStore, sqlite::SqliteStore,
};
use sqlx::Connection;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Memory,
    Sqlite,
    Postgres,
}

pub struct Backend {
    pub kind: Kind,
    pub url: String,
    pub store: Arc<dyn EventStore>,
    _dir: Option<tempfile::TempDir>,
}

fn admin_url() -> String {
    std::env::var("KINERJA_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string())
}

fn with_database(url: &str, db: &str) -> String {
    let base = url.rsplit_once('/').map_or(url, |(b, _)| b);
    format!("{base}/{db}")
}

/// A new, empty PostgreSQL database, or None when skipping was asked for and the server is away.
pub async fn fresh_postgres_url() -> Option<String> {
    let admin = admin_url();
    let mut conn = match sqlx::PgConnection::connect(&admin).await {
        Ok(c) => c,
        Err(e) => {
            if std::env::var("KINERJA_TEST_POSTGRES").as_deref() == Ok("skip") {
                eprintln!("SKIPPED: PostgreSQL test, server not reachable at {admin}: {e}");
                return None;
            }
            panic!(
                "PostgreSQL is not reachable at {admin} ({e}). Start it (see .ci/run), point \
                 KINERJA_TEST_POSTGRES_URL at one, or set KINERJA_TEST_POSTGRES=skip to skip"
            );
        }
    };
    let db = format!("kinerja_test_{}", uuid::Uuid::new_v4().simple());
    sqlx::query(sqlx::AssertSqlSafe(format!("create database {db}")))
        .execute(&mut conn)
        .await
        .expect("create test database");
    Some(with_database(&admin, &db))
}

impl Backend {
    pub async fn new(kind: Kind, options: WriterOptions) -> Option<Self> {
        match kind {
            Kind::Memory => Some(Self {
                kind,
                url: "memory:".into(),
                store: Arc::new(MemoryStore::new()),
                _dir: None,
            }),
            Kind::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}/kinerja.db", dir.path().display());
                let store = SqliteStore::open(&url, options).await.expect("open sqlite");
                Some(Self {
                    kind,
                    url,
                    store: Arc::new(store),
                    _dir: Some(dir),
                })
            }
            Kind::Postgres => {
                let url = fresh_postgres_url().await?;
                let store = PostgresStore::open(&url, options)
                    .await
                    .expect("open postgres");
                Some(Self {
                    kind,
                    url,
                    store: Arc::new(store),
                    _dir: None,
                })
            }
        }
    }

    /// Another instance (its own writer) on the same database.
    pub async fn another_instance(&self, options: WriterOptions) -> Arc<dyn EventStore> {
        match self.kind {
            Kind::Memory => panic!("the memory store has one instance"),
            Kind::Sqlite => Arc::new(SqliteStore::open(&self.url, options).await.unwrap()),
            Kind::Postgres => Arc::new(PostgresStore::open(&self.url, options).await.unwrap()),
        }
    }

    /// Run raw SQL statements as a database administrator would, bypassing the store.
    pub async fn raw_sql(&self, statements: &[&str]) {
        match self.kind {
            Kind::Memory => panic!("no SQL on the memory store"),
            Kind::Sqlite => {
                let mut c = sqlx::SqliteConnection::connect(&self.url).await.unwrap();
                for s in statements {
                    sqlx::query(sqlx::AssertSqlSafe(s.to_string()))
                        .execute(&mut c)
                        .await
                        .unwrap();
                }
            }
            Kind::Postgres => {
                let mut c = sqlx::PgConnection::connect(&self.url).await.unwrap();
                for s in statements {
                    sqlx::query(sqlx::AssertSqlSafe(s.to_string()))
                        .execute(&mut c)
                        .await
                        .unwrap();
                }
            }
        }
    }

    /// Lift the append-only triggers, as an administrator bent on tampering would.
    pub async fn drop_guards(&self) {
        match self.kind {
            Kind::Sqlite => {
                self.raw_sql(&[
                    "drop trigger events_are_immutable",
                    "drop trigger events_are_never_deleted",
                ])
                .await
            }
            Kind::Postgres => {
                self.raw_sql(&["alter table events disable trigger user"])
                    .await
            }
            Kind::Memory => panic!("no guards on the memory store"),
        }
    }
}

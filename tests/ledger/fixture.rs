//! Fresh databases for each test (a temporary SQLite file or a new PostgreSQL database), raw SQL
//! as an administrator would run it, and the log appends the tests share. Adapted from
//! `tests/store/fixture.rs`.
//!
//! PostgreSQL tests use `KINERJA_TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`) to create a database per test. When the server
//! cannot be reached they fail, unless `KINERJA_TEST_POSTGRES=skip` is set, in which case they say
//! plainly on stderr that they were skipped.

use std::sync::Arc;

use kinerja::store::writer::WriterOptions;
use kinerja::store::{
    EventStore, ExpectedRevision, NewEvent, StreamId, postgres::PostgresStore, sqlite::SqliteStore,
};
use serde_json::json;
use sqlx::Connection;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Sqlite,
    Postgres,
}

pub struct Backend {
    pub kind: Kind,
    pub url: String,
    pub store: Arc<dyn EventStore>,
    pub dir: Option<tempfile::TempDir>,
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
async fn fresh_postgres_url() -> Option<String> {
    let admin = admin_url();
    let mut conn = match sqlx::PgConnection::connect(&admin).await {
        Ok(c) => c,
        Err(e) => {
            if std::env::var("KINERJA_TEST_POSTGRES").as_deref() == Ok("skip") {
                eprintln!("SKIPPED: PostgreSQL test, server not reachable at {admin}: {e}");
                return None;
            }
            panic!(
                "PostgreSQL is not reachable at {admin} ({e}). Start it, point \
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
    /// A fresh, empty store of `kind` (None: PostgreSQL skipped).
    pub async fn new(kind: Kind) -> Option<Self> {
        let options = WriterOptions::default();
        match kind {
            Kind::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}/kinerja.db", dir.path().display());
                let store = SqliteStore::open(&url, options).await.expect("open sqlite");
                Some(Self {
                    kind,
                    url,
                    store: Arc::new(store),
                    dir: Some(dir),
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
                    dir: None,
                })
            }
        }
    }

    /// Run raw SQL statements as a database administrator would, bypassing the store.
    pub async fn raw_sql(&self, statements: &[String]) {
        match self.kind {
            Kind::Sqlite => {
                let mut c = sqlx::SqliteConnection::connect(&self.url).await.unwrap();
                for s in statements {
                    sqlx::query(sqlx::AssertSqlSafe(s.clone()))
                        .execute(&mut c)
                        .await
                        .unwrap_or_else(|e| panic!("{s}: {e}"));
                }
            }
            Kind::Postgres => {
                let mut c = sqlx::PgConnection::connect(&self.url).await.unwrap();
                for s in statements {
                    sqlx::query(sqlx::AssertSqlSafe(s.clone()))
                        .execute(&mut c)
                        .await
                        .unwrap_or_else(|e| panic!("{s}: {e}"));
                }
            }
        }
    }

    /// Lift the append-only triggers on `events`, as an administrator bent on tampering would.
    pub async fn drop_guards(&self) {
        let statements: &[&str] = match self.kind {
            Kind::Sqlite => &[
                "drop trigger events_are_immutable",
                "drop trigger events_are_never_deleted",
            ],
            Kind::Postgres => &["alter table events disable trigger user"],
        };
        self.raw_sql(&statements.iter().map(|s| s.to_string()).collect::<Vec<_>>())
            .await;
    }

    /// A byte string as an SQL literal of this backend.
    pub fn bytes_literal(&self, bytes: &[u8]) -> String {
        match self.kind {
            Kind::Sqlite => format!("X'{}'", hex::encode(bytes)),
            Kind::Postgres => format!("decode('{}', 'hex')", hex::encode(bytes)),
        }
    }
}

/// A text as an SQL string literal.
pub fn text_literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// Append events in batches of the given sizes (one `append` call per batch), each batch to its
/// own stream; event `n` (1-based, = its log position on a fresh store) carries `{"n": n}`.
pub async fn append_batches(store: &dyn EventStore, sizes: &[usize]) {
    let mut n = store.head().await.unwrap().position;
    for (i, &size) in sizes.iter().enumerate() {
        let stream = StreamId::parse(format!("officer-{}-{i}", n + 1)).unwrap();
        let events = (0..size)
            .map(|_| {
                n += 1;
                NewEvent::new(
                    "ReportFiled",
                    json!({ "n": n, "report": format!("laporan kinerja {n}") }),
                )
            })
            .collect();
        let r = store
            .append(&stream, ExpectedRevision::NoStream, events)
            .await
            .unwrap();
        assert_eq!(r.position, n);
    }
}

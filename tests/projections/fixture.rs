//! Fresh databases per test: a temporary SQLite file or a new PostgreSQL database (at
//! `KINERJA_TEST_POSTGRES_URL`, default `postgres://postgres@127.0.0.1:5432/postgres`). An
//! unreachable server fails the test unless `KINERJA_TEST_POSTGRES=skip`.

use std::sync::Arc;

use kinerja::projections::{Projector, ReadDb};
use kinerja::store::writer::WriterOptions;
use kinerja::store::{EventStore, postgres::PostgresStore, sqlite::SqliteStore};
use sqlx::Connection;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Sqlite,
    Postgres,
}

pub struct Backend {
    pub url: String,
    pub store: Arc<dyn EventStore>,
    _dir: Option<tempfile::TempDir>,
}

fn admin_url() -> String {
    std::env::var("KINERJA_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string())
}

async fn fresh_postgres_url() -> Option<String> {
    let admin = admin_url();
    let mut conn = match sqlx::PgConnection::connect(&admin).await {
        Ok(c) => c,
        Err(e) => {
            if std::env::var("KINERJA_TEST_POSTGRES").as_deref() == Ok("skip") {
                eprintln!("SKIPPED: PostgreSQL test, server not reachable at {admin}: {e}");
                return None;
            }
            panic!("PostgreSQL is not reachable at {admin} ({e}); set KINERJA_TEST_POSTGRES=skip");
        }
    };
    let db = format!("kinerja_test_{}", uuid::Uuid::new_v4().simple());
    sqlx::query(sqlx::AssertSqlSafe(format!("create database {db}")))
        .execute(&mut conn)
        .await
        .expect("create test database");
    let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
    Some(format!("{base}/{db}"))
}

impl Backend {
    pub async fn new(kind: Kind) -> Option<Self> {
        match kind {
            Kind::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}/kinerja.db", dir.path().display());
                let store = SqliteStore::open(&url, WriterOptions::default())
                    .await
                    .expect("open sqlite");
                Some(Self {
                    url,
                    store: Arc::new(store),
                    _dir: Some(dir),
                })
            }
            Kind::Postgres => {
                let url = fresh_postgres_url().await?;
                let store = PostgresStore::open(&url, WriterOptions::default())
                    .await
                    .expect("open postgres");
                Some(Self {
                    url,
                    store: Arc::new(store),
                    _dir: None,
                })
            }
        }
    }

    pub async fn read_db(&self) -> ReadDb {
        ReadDb::open(&self.url).await.expect("open read db")
    }

    pub async fn projector(&self) -> Projector {
        Projector::new(self.read_db().await, self.store.clone())
            .await
            .expect("projector")
    }
}

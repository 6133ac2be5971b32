//! Shared bench fixtures: fresh stores per backend, and a cached 1,000,000-event log per backend
//! for the read benches (built once through the store itself, then reused between runs).

#![allow(dead_code)]

use std::sync::Arc;

use kinerja::domain::plan::{Indicator, ResultPlan};
use kinerja::domain::values::{Aspek, JenisRhk, Milli, Quantity};
use kinerja::store::writer::WriterOptions;
use kinerja::store::{
    EventStore, ExpectedRevision, NewEvent, StreamId, postgres::PostgresStore, sqlite::SqliteStore,
};
use sqlx::Connection;

pub const PG_ADMIN: &str = "postgres://postgres@127.0.0.1:5432/postgres";

pub fn pg_admin_url() -> String {
    std::env::var("KINERJA_TEST_POSTGRES_URL").unwrap_or_else(|_| PG_ADMIN.to_string())
}

pub fn pg_url(db: &str) -> String {
    let admin = pg_admin_url();
    let base = admin
        .rsplit_once('/')
        .map_or(admin.as_str(), |(b, _)| b)
        .to_string();
    format!("{base}/{db}")
}

/// Drop (when `fresh`) and create a PostgreSQL database; false when PostgreSQL is not reachable.
pub async fn pg_database(db: &str, fresh: bool) -> bool {
    let Ok(mut conn) = sqlx::PgConnection::connect(&pg_admin_url()).await else {
        eprintln!(
            "SKIPPED: PostgreSQL benches, server not reachable at {}",
            pg_admin_url()
        );
        return false;
    };
    if fresh {
        let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
            "drop database if exists {db} with (force)"
        )))
        .execute(&mut conn)
        .await;
    }
    let _ = sqlx::query(sqlx::AssertSqlSafe(format!("create database {db}")))
        .execute(&mut conn)
        .await;
    true
}

/// A fresh store of `backend` ("sqlite" or "postgres") with `options`.
pub async fn fresh_store(
    backend: &str,
    options: WriterOptions,
) -> Option<(Arc<dyn EventStore>, Option<tempfile::TempDir>)> {
    match backend {
        "sqlite" => {
            let dir = tempfile::tempdir().unwrap();
            let url = format!("sqlite://{}/bench.db", dir.path().display());
            Some((
                Arc::new(SqliteStore::open(&url, options).await.unwrap()),
                Some(dir),
            ))
        }
        "postgres" => {
            if !pg_database("kinerja_bench_append", true).await {
                return None;
            }
            let url = pg_url("kinerja_bench_append");
            Some((
                Arc::new(PostgresStore::open(&url, options).await.unwrap()),
                None,
            ))
        }
        other => panic!("unknown backend {other}"),
    }
}

/// A realistic event body (~300 bytes), like a filed report.
pub fn report(i: u64) -> NewEvent {
    NewEvent::new(
        "ReportFiled",
        serde_json::json!({
            "nip": "198503302010011002", "year": 2026, "period": "TW1",
            "indicator_id": format!("iki-{}", i % 7), "realised": { "value_milli": i * 1000, "unit": "dokumen" },
            "evidence": [{ "uri": "https://arsip.lhokseumawekota.go.id/bukti/1.pdf",
                            "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
                            "media_type": "application/pdf" }],
            "note": "Laporan realisasi triwulan",
        }),
    )
    .with_metadata(serde_json::json!({ "actor": "198503302010011002", "role": "PEGAWAI" }))
}

/// Append `total` events, `batch` per call, to `streams` streams round-robin.
pub async fn fill(store: &dyn EventStore, total: u64, batch: u64, streams: u64) {
    let mut i = 0;
    while i < total {
        let n = batch.min(total - i);
        let stream = StreamId::parse(format!("officer-{}", (i / batch) % streams)).unwrap();
        let events = (i..i + n).map(report).collect();
        store
            .append(&stream, ExpectedRevision::Any, events)
            .await
            .unwrap();
        i += n;
    }
}

/// The SQLite URL of the cached read-bench log with `n` events, built when missing.
pub async fn sqlite_log(n: u64) -> String {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("bench-data");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("log-{n}.db"));
    let url = format!("sqlite://{}", path.display());
    let store = SqliteStore::open(&url, WriterOptions::default())
        .await
        .unwrap();
    let have = store.head().await.unwrap().position;
    if have < n {
        fill(&store, n - have, 500, 6_500).await;
    }
    store.shutdown().await;
    url
}

/// The PostgreSQL URL of the cached read-bench log with `n` events, built when missing.
pub async fn postgres_log(n: u64) -> Option<String> {
    let db = format!("kinerja_bench_log_{n}");
    if !pg_database(&db, false).await {
        return None;
    }
    let url = pg_url(&db);
    let store = PostgresStore::open(&url, WriterOptions::default())
        .await
        .unwrap();
    let have = store.head().await.unwrap().position;
    if have < n {
        fill(&store, n - have, 500, 6_500).await;
    }
    store.shutdown().await;
    Some(url)
}

/// The SQLite URL of the cached proof-bench log with `n` small events (`{"i": n}`, 1,000 per
/// append), built through the store when missing: the tree of 10,000,000 leaves that proofs are
/// measured against, without the disk of 10,000,000 full-size events.
pub async fn sqlite_small_log(n: u64) -> String {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("bench-data");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("small-log-{n}.db"));
    let url = format!("sqlite://{}", path.display());
    let store = SqliteStore::open(&url, WriterOptions::default())
        .await
        .unwrap();
    let mut have = store.head().await.unwrap().position;
    if have < n {
        eprintln!(
            "building the {n}-event proof-bench log at {}",
            path.display()
        );
    }
    while have < n {
        let count = 1_000.min(n - have);
        let stream = StreamId::parse(format!("officer-{}", (have / 1_000) % 6_500)).unwrap();
        let events = (have..have + count)
            .map(|i| NewEvent::new("Tick", serde_json::json!({ "i": i })))
            .collect();
        have = store
            .append(&stream, ExpectedRevision::Any, events)
            .await
            .unwrap()
            .position;
    }
    store.shutdown().await;
    url
}

/// Read every page that a proof may touch once: the stored tree's nodes into the store's tree
/// reader (its own page cache keeps them), the chain hashes into the system's page cache (which
/// on this machine keeps only part of a large file), so that proofs are measured warm.
pub async fn warm_tree(store: &SqliteStore) {
    let _: i64 = sqlx::query_scalar("select count(hash) from events")
        .fetch_one(store.pool())
        .await
        .unwrap();
    let nodes = store.warm_tree().await.unwrap();
    assert!(nodes > 0, "the proof-bench log has a stored tree");
}

/// Result `r` of a bench SKP (the first utama, the others tambahan), with two quantity
/// indicators (ids from `indicator(r, k)`) of a target of 4 documents each.
pub fn result_plan(
    id: uuid::Uuid,
    r: u32,
    indicator: impl Fn(u32, u32) -> uuid::Uuid,
) -> ResultPlan {
    ResultPlan {
        id,
        jenis: if r == 0 {
            JenisRhk::Utama
        } else {
            JenisRhk::Tambahan
        },
        text: format!("Tersedianya dokumen kebijakan {r}"),
        superior_result: Some("Meningkatnya kualitas layanan publik".into()),
        perspektif: None,
        indicators: (0..2)
            .map(|k| Indicator {
                id: indicator(r, k),
                text: format!("Jumlah dokumen {k}"),
                aspek: Some(Aspek::Kuantitas),
                target: Some(Quantity::new(Milli::whole(4).unwrap(), "Dokumen").unwrap()),
            })
            .collect(),
    }
}

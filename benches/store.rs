//! Event-store benchmarks, each beside its baseline in the same run (BENCHMARKS.md):
//!
//! - `append_64_callers/{backend}/group_commit` vs `…/one_tx_per_append`: 64 concurrent callers
//!   each appending one event per call;
//! - `replay_1m/{backend}/read_all` vs `…/plain_select`: all 1,000,000 events through `read_all`
//!   pages vs one plain `SELECT … ORDER BY position` scan through sqlx; on SQLite, `read_all`
//!   steps statements through SQLite's C API itself, so `sqlite/plain_select_c_api` is the same
//!   plain scan through that C API (every column read, nothing built), the stricter baseline,
//!   and `sqlite/plain_select_c_api_owned` the same scan decoding every column into an owned
//!   value as the sqlx baseline does;
//! - `verify_1m/{backend}`: the chain walk over 1,000,000 events;
//! - `append_64_callers/{backend}/group_commit_no_merkle`: the same store without maintaining the
//!   Merkle tree, the baseline for the tree's cost;
//! - `append_64_callers/disk/fdatasync_per_64_events`: the disk's ceiling for a durable group
//!   commit, with no database at all: the same 6,400 events' bytes appended to a plain file, one
//!   `fdatasync` per 64 events (64 callers can have at most 64 events waiting for one commit);
//! - `proofs/sqlite_stored/…` vs `proofs/memory/…`: inclusion and consistency proofs at random
//!   positions from the stored tree of a 10,000,000-event SQLite log (small events, built once
//!   through the store and cached; its pages read once before measuring), beside the same proofs
//!   from a tree of as many leaves held in memory (`KINERJA_BENCH_PROOF_LEAVES` changes the size).
//!
//! Run with `cargo bench --bench store`; `KINERJA_BENCH_EVENTS` shrinks the read benches, and
//! `KINERJA_BENCH_ONLY` (a comma-separated list of `append`, `replay`, `verify`, `proofs`) runs
//! only those groups, skipping the others' set-up (the 1M-event logs, the 10M-leaf tree).

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use futures::TryStreamExt;
use kinerja::store::verify::verify_chain;
use kinerja::store::writer::WriterOptions;
use kinerja::store::{
    EventStore, ExpectedRevision, StreamId, postgres::PostgresStore, sqlite::SqliteStore,
};
use sqlx::Row;

const CALLERS: u64 = 64;
const PER_CALLER: u64 = 100;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// Whether a group of this bench runs: `KINERJA_BENCH_ONLY` lists the wanted ones (all when unset).
fn group_wanted(group: &str) -> bool {
    std::env::var("KINERJA_BENCH_ONLY")
        .map_or(true, |only| only.split(',').any(|g| g.trim() == group))
}

fn read_events() -> u64 {
    std::env::var("KINERJA_BENCH_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000)
}

async fn append_round(store: &Arc<dyn EventStore>, round: u64) -> Duration {
    let start = Instant::now();
    let mut tasks = Vec::with_capacity(CALLERS as usize);
    for caller in 0..CALLERS {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let stream = StreamId::parse(format!("officer-{round}x{caller}")).unwrap();
            for i in 0..PER_CALLER {
                store
                    .append(&stream, ExpectedRevision::Any, vec![common::report(i)])
                    .await
                    .unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    start.elapsed()
}

fn append_64_callers(c: &mut Criterion) {
    if !group_wanted("append") {
        return;
    }
    let rt = runtime();
    let mut group = c.benchmark_group("append_64_callers");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(10))
        .warm_up_time(Duration::from_secs(1));
    group.throughput(Throughput::Elements(CALLERS * PER_CALLER));
    group.bench_function("disk/fdatasync_per_64_events", |b| {
        let dir = tempfile::tempdir().unwrap();
        let bytes: Vec<u8> = (0..CALLERS)
            .flat_map(|i| serde_json::to_vec(&common::report(i).data).unwrap())
            .collect();
        b.iter_custom(|iters| {
            use std::io::Write;
            let mut file = std::fs::File::create(dir.path().join("wal")).unwrap();
            let start = Instant::now();
            for _ in 0..iters * PER_CALLER {
                file.write_all(&bytes).unwrap();
                file.sync_data().unwrap();
            }
            start.elapsed()
        })
    });
    for backend in ["sqlite", "postgres"] {
        for (mode, batching, merkle) in [
            ("group_commit", true, true),
            ("group_commit_no_merkle", true, false),
            ("one_tx_per_append", false, true),
        ] {
            let options = WriterOptions {
                batching,
                merkle,
                ..Default::default()
            };
            let Some((store, _dir)) = rt.block_on(common::fresh_store(backend, options)) else {
                continue;
            };
            let mut round = 0;
            group.bench_function(format!("{backend}/{mode}"), |b| {
                b.iter_custom(|iters| {
                    let mut total = Duration::ZERO;
                    for _ in 0..iters {
                        round += 1;
                        total += rt.block_on(append_round(&store, round));
                    }
                    total
                })
            });
            rt.block_on(store.shutdown());
        }
    }
    group.finish();
}

fn replay_1m(c: &mut Criterion) {
    if !group_wanted("replay") {
        return;
    }
    let rt = runtime();
    let n = read_events();
    let mut group = c.benchmark_group("replay_1m");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(20))
        .warm_up_time(Duration::from_secs(1));
    group.throughput(Throughput::Elements(n));

    let url = rt.block_on(common::sqlite_log(n));
    let store = rt
        .block_on(SqliteStore::open(&url, WriterOptions::default()))
        .unwrap();
    group.bench_function("sqlite/read_all", |b| {
        b.to_async(&rt).iter(|| async { replay(&store).await });
    });
    group.bench_function("sqlite/plain_select", |b| {
        b.to_async(&rt).iter(|| async {
            let mut rows = sqlx::query(PLAIN_SELECT).fetch(store.pool());
            let mut count = 0u64;
            while let Some(row) = rows.try_next().await.unwrap() {
                count += touch(&row);
            }
            count
        });
    });
    group.bench_function("sqlite/plain_select_c_api", |b| {
        b.to_async(&rt).iter(|| async {
            let mut count = 0u64;
            kinerja::store::sqlite::raw::scan(store.pool(), PLAIN_SELECT, &[], |row| {
                let lengths: usize = [1, 2, 4, 6, 7, 9].map(|c| row.blob(c).len()).iter().sum();
                count += u64::try_from(row.int(0) + row.int(3) + row.int(5) + row.int(8)).unwrap()
                    + lengths as u64 % 2;
                Ok(())
            })
            .await
            .unwrap();
            count
        });
    });
    group.bench_function("sqlite/plain_select_c_api_owned", |b| {
        b.to_async(&rt).iter(|| async {
            let mut count = 0u64;
            kinerja::store::sqlite::raw::scan(store.pool(), PLAIN_SELECT, &[], |row| {
                count += touch_c_api(row);
                Ok(())
            })
            .await
            .unwrap();
            count
        });
    });
    rt.block_on(store.shutdown());

    if let Some(url) = rt.block_on(common::postgres_log(n)) {
        let store = rt
            .block_on(PostgresStore::open(&url, WriterOptions::default()))
            .unwrap();
        group.bench_function("postgres/read_all", |b| {
            b.to_async(&rt).iter(|| async { replay(&store).await });
        });
        group.bench_function("postgres/plain_select", |b| {
            b.to_async(&rt).iter(|| async {
                let mut rows = sqlx::query(PLAIN_SELECT).fetch(store.pool());
                let mut count = 0u64;
                while let Some(row) = rows.try_next().await.unwrap() {
                    count += touch(&row);
                }
                count
            });
        });
        rt.block_on(store.shutdown());
    }
    group.finish();
}

const PLAIN_SELECT: &str = "select position, event_id, stream_id, revision, event_type, schema_version, \
     data, metadata, recorded_at, hash from events order by position";

/// Decode every column of a row, as `read_all` does, so the baseline does the same work.
fn touch<R: Row>(row: &R) -> u64
where
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Vec<u8>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> uuid::Uuid: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    usize: sqlx::ColumnIndex<R>,
{
    let position: i64 = row.get(0);
    let _id: uuid::Uuid = row.get(1);
    let stream: String = row.get(2);
    let _revision: i64 = row.get(3);
    let event_type: String = row.get(4);
    let _version: i64 = row.get(5);
    let data: String = row.get(6);
    let metadata: String = row.get(7);
    let _at: i64 = row.get(8);
    let hash: Vec<u8> = row.get(9);
    u64::try_from(position).unwrap()
        + (stream.len() + event_type.len() + data.len() + metadata.len() + hash.len()) as u64 % 2
}

/// Decode every column of a C-API row into an owned value, as [`touch`] does through sqlx
/// (the text columns checked as UTF-8 and copied, the id and hash copied out), building nothing.
fn touch_c_api(row: &kinerja::store::sqlite::raw::Row<'_>) -> u64 {
    let owned = |c| row.text(c).unwrap().to_owned();
    let position = row.int(0);
    let _id = uuid::Uuid::from_slice(row.blob(1)).unwrap();
    let stream = owned(2);
    let _revision = row.int(3);
    let event_type = owned(4);
    let _version = row.int(5);
    let data = owned(6);
    let metadata = owned(7);
    let _at = row.int(8);
    let hash = row.blob(9).to_vec();
    u64::try_from(position).unwrap()
        + (stream.len() + event_type.len() + data.len() + metadata.len() + hash.len()) as u64 % 2
}

async fn replay(store: &dyn EventStore) -> u64 {
    let mut after = 0;
    loop {
        let page = store.read_all(after, 10_000).await.unwrap();
        match page.last() {
            Some(last) => after = last.position,
            None => return after,
        }
    }
}

fn verify_1m(c: &mut Criterion) {
    if !group_wanted("verify") {
        return;
    }
    let rt = runtime();
    let n = read_events();
    let mut group = c.benchmark_group("verify_1m");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(20))
        .warm_up_time(Duration::from_secs(1));
    group.throughput(Throughput::Elements(n));
    let url = rt.block_on(common::sqlite_log(n));
    let store = rt
        .block_on(SqliteStore::open(&url, WriterOptions::default()))
        .unwrap();
    group.bench_function("sqlite", |b| {
        b.to_async(&rt)
            .iter(|| async { verify_chain(&store, 10_000, |_| ()).await.unwrap().unwrap() });
    });
    rt.block_on(store.shutdown());
    if let Some(url) = rt.block_on(common::postgres_log(n)) {
        let store = rt
            .block_on(PostgresStore::open(&url, WriterOptions::default()))
            .unwrap();
        group.bench_function("postgres", |b| {
            b.to_async(&rt)
                .iter(|| async { verify_chain(&store, 10_000, |_| ()).await.unwrap().unwrap() });
        });
        rt.block_on(store.shutdown());
    }
    group.finish();
}

fn proofs(c: &mut Criterion) {
    if !group_wanted("proofs") {
        return;
    }
    let rt = runtime();
    let leaves: u64 = std::env::var("KINERJA_BENCH_PROOF_LEAVES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000_000);
    let mut group = c.benchmark_group("proofs");
    group
        .sample_size(50)
        .measurement_time(Duration::from_secs(5))
        .warm_up_time(Duration::from_secs(1));
    let url = rt.block_on(common::sqlite_small_log(leaves));
    let store = rt
        .block_on(SqliteStore::open(&url, WriterOptions::default()))
        .unwrap();
    rt.block_on(common::warm_tree(&store));
    let mut position = 1u64;
    group.bench_function("sqlite_stored/inclusion", |b| {
        b.to_async(&rt).iter(|| {
            position = position * 7919 % leaves + 1;
            let p = position;
            let store = &store;
            async move {
                kinerja::ledger::inclusion_proof(store, p, leaves)
                    .await
                    .unwrap()
            }
        });
    });
    group.bench_function("sqlite_stored/consistency", |b| {
        b.to_async(&rt).iter(|| {
            position = position * 7919 % leaves + 1;
            let p = position;
            let store = &store;
            async move {
                kinerja::ledger::consistency_proof(store, p, leaves)
                    .await
                    .unwrap()
            }
        });
    });
    rt.block_on(store.shutdown());

    // The baseline: the same proofs from a tree held wholly in memory, no storage at all.
    let tree = kinerja::proofs::MemoryTree::from_leaves(
        (0..leaves).map(|i| kinerja::proofs::leaf_hash(&i.to_be_bytes())),
    );
    let mut index = 0u64;
    group.bench_function("memory/inclusion", |b| {
        b.iter(|| {
            index = (index * 7919 + 1) % leaves;
            tree.inclusion_proof(index, leaves).unwrap()
        });
    });
    group.bench_function("memory/consistency", |b| {
        b.iter(|| {
            index = (index * 7919 + 1) % leaves;
            tree.consistency_proof(index + 1, leaves).unwrap()
        });
    });
    group.finish();
}

criterion_group!(benches, append_64_callers, replay_1m, verify_1m, proofs);
criterion_main!(benches);

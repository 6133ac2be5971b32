//! A real crash of the projector: the `kinerja` binary, rebuilding the read models in small
//! batches, is killed with SIGKILL while its batches are being read, folded and committed;
//! `kinerja serve` then restores from the committed checkpoints and continues (and is killed once
//! more if it has not caught up yet, then started again); when it has caught up, every row of
//! every read-model table equals what a clean `kinerja rebuild` writes.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use kinerja::projections::ReadDb;
use kinerja::store::EventStore;
use kinerja::store::sqlite::SqliteStore;
use kinerja::store::writer::WriterOptions;

const BIN: &str = env!("CARGO_BIN_EXE_kinerja");

fn kinerja(url: &str, args: &[&str]) -> Command {
    let mut c = Command::new(BIN);
    c.args(args)
        .env("KINERJA_DATABASE_URL", url)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    c
}

/// Every read-model row of every projection, all columns.
async fn snapshot(db: &ReadDb) -> Vec<(String, Vec<Vec<Option<String>>>)> {
    let mut out = Vec::new();
    for p in kinerja::projections::all() {
        for t in p.tables() {
            out.push((t.name.to_string(), db.dump_all_columns(t).await.unwrap()));
        }
    }
    out
}

/// The lowest stored checkpoint (0 before any).
async fn lowest_checkpoint(db: &ReadDb) -> u64 {
    let stored = db.checkpoints().await.unwrap();
    let names = kinerja::projections::names();
    names
        .iter()
        .map(|n| stored.get(*n).map_or(0, |c| c.position))
        .min()
        .unwrap_or(0)
}

/// Poll the checkpoints until they are past `after` (a batch of this run has been committed)
/// and the child is still running, then SIGKILL it. Returns the lowest checkpoint seen just
/// before the kill, or `None` when the child finished first.
async fn kill_once_past(child: &mut Child, db: &ReadDb, after: u64, head: u64) -> Option<u64> {
    for _ in 0..30_000 {
        if child.try_wait().unwrap().is_some() {
            return None;
        }
        let low = lowest_checkpoint(db).await;
        if low > after && low < head {
            child.kill().unwrap(); // SIGKILL
            child.wait().unwrap();
            return Some(low);
        }
        if low >= head {
            child.kill().unwrap();
            child.wait().unwrap();
            return None;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    panic!("the projector made no progress in a minute");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_projector_killed_in_the_middle_of_its_batches_resumes_to_a_clean_rebuild() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/kinerja.db", dir.path().display());
    let key = dir.path().join("ledger.key");

    // A history written through the use cases by the real binary.
    let seeded = kinerja(
        &url,
        &["seed", "--demo", "--officers", "300", "--seed", "7"],
    )
    .status()
    .unwrap();
    assert!(seeded.success(), "kinerja seed --demo failed: {seeded}");
    let store = SqliteStore::open(&url, WriterOptions::default())
        .await
        .unwrap();
    let head = store.head().await.unwrap().position;
    store.shutdown().await;
    drop(store);
    assert!(
        head > 2_000,
        "the seeded history is too small: {head} events"
    );
    let db = ReadDb::open(&url).await.unwrap();

    // 1. A rebuild in batches of 50 events, killed after some of its batches were committed.
    let mut rebuild = kinerja(&url, &["rebuild", "--page", "50"]).spawn().unwrap();
    let killed_at = kill_once_past(&mut rebuild, &db, 0, head)
        .await
        .expect("kinerja rebuild finished before it could be killed; seed more officers");
    assert!(killed_at < head);

    // 2. The service restores from the checkpoints and continues; killed again while behind.
    let serve = |url: &str| {
        let mut c = kinerja(url, &["serve", "--listen", "127.0.0.1:0"]);
        c.env("KINERJA_SIGNING_KEY", &key);
        c.spawn().unwrap()
    };
    let mut first = serve(&url);
    let second_kill = kill_once_past(&mut first, &db, killed_at, head).await;
    if let Some(p) = second_kill {
        assert!(p > killed_at && p < head);
    }

    // 3. Started again, it catches up to the head.
    let mut last = serve(&url);
    let mut caught_up = false;
    for _ in 0..3_000 {
        if lowest_checkpoint(&db).await >= head {
            caught_up = true;
            break;
        }
        assert!(
            last.try_wait().unwrap().is_none(),
            "kinerja serve stopped before catching up"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    last.kill().unwrap();
    last.wait().unwrap();
    assert!(caught_up, "kinerja serve did not catch up in a minute");
    let resumed = snapshot(&db).await;
    assert!(
        resumed.iter().map(|(_, rows)| rows.len()).sum::<usize>() > 1_000,
        "the read models are nearly empty"
    );

    // 4. A clean rebuild by the binary writes exactly the same rows.
    let clean = kinerja(&url, &["rebuild"]).status().unwrap();
    assert!(clean.success(), "kinerja rebuild failed: {clean}");
    assert_eq!(lowest_checkpoint(&db).await, head);
    let rebuilt = snapshot(&db).await;
    for ((table, a), (_, b)) in resumed.iter().zip(&rebuilt) {
        assert_eq!(a.len(), b.len(), "{table}: row counts differ");
        for (ra, rb) in a.iter().zip(b) {
            assert_eq!(ra, rb, "{table}: a row differs");
        }
    }
    assert_eq!(resumed, rebuilt);
}

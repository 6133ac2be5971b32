//! Nothing acknowledged is lost when the process is killed with SIGKILL: this test runs its own
//! binary again as a child process that appends to a SQLite file and prints every acknowledged
//! event; the parent kills it mid-stream, reopens the file and finds every acknowledged event.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use kinerja::store::verify::verify_chain;
use kinerja::store::writer::WriterOptions;
use kinerja::store::{EventStore, ExpectedRevision, NewEvent, StreamId, sqlite::SqliteStore};

const CHILD_ENV: &str = "KINERJA_CRASH_CHILD_URL";

fn child(url: &str) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let store = std::sync::Arc::new(
            SqliteStore::open(url, WriterOptions::default())
                .await
                .unwrap(),
        );
        let mut tasks = Vec::new();
        for w in 0..8u64 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                let stream = StreamId::parse(format!("officer-{w}")).unwrap();
                for i in 0u64.. {
                    let e = NewEvent::new("ReportFiled", serde_json::json!({ "w": w, "i": i }));
                    let id = e.event_id;
                    let r = store
                        .append(&stream, ExpectedRevision::Any, vec![e])
                        .await
                        .unwrap();
                    let mut out = std::io::stdout().lock();
                    writeln!(out, "ACK {} {id}", r.position).unwrap();
                    out.flush().unwrap();
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
    });
}

#[test]
fn a_sigkilled_process_loses_no_acknowledged_append() {
    if let Ok(url) = std::env::var(CHILD_ENV) {
        child(&url);
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/crash.db", dir.path().display());
    let mut proc = Command::new(std::env::current_exe().unwrap())
        .args([
            "crash::a_sigkilled_process_loses_no_acknowledged_append",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, &url)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = proc.stdout.take().unwrap();
    let mut acked = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        if let Some(rest) = line.strip_prefix("ACK ") {
            let (pos, id) = rest.split_once(' ').unwrap();
            acked.push((
                pos.parse::<u64>().unwrap(),
                uuid::Uuid::parse_str(id).unwrap(),
            ));
            if acked.len() >= 2000 {
                proc.kill().unwrap(); // SIGKILL on Unix
                break;
            }
        }
    }
    proc.wait().unwrap();
    assert!(
        acked.len() >= 2000,
        "the child acknowledged {} appends before dying",
        acked.len()
    );

    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let store = SqliteStore::open(&url, WriterOptions::default())
            .await
            .unwrap();
        let all = store.read_all(0, 1_000_000).await.unwrap();
        let stored: std::collections::HashMap<u64, uuid::Uuid> =
            all.iter().map(|e| (e.position, e.event_id)).collect();
        for (pos, id) in &acked {
            assert_eq!(
                stored.get(pos),
                Some(id),
                "acknowledged event at {pos} is lost"
            );
        }
        assert!(verify_chain(&store, 1000, |_| ()).await.unwrap().is_ok());
        store.shutdown().await;
    });
}

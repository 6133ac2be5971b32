//! PostgreSQL faults: the writer's connection dropped in the middle of a batch. The batch is wholly
//! absent and every caller in it is told so; the writer reconnects for the next batch.

use std::time::Duration;

use kinerja::store::writer::WriterOptions;
use kinerja::store::{ExpectedRevision as E, NewEvent, StoreError, StreamId};
use serde_json::json;

use crate::fixture::{Backend, Kind};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_connection_dropped_mid_batch_commits_nothing_and_tells_every_caller() {
    let options = WriterOptions {
        commit_delay: Some(Duration::from_millis(1500)),
        ..Default::default()
    };
    let Some(b) = Backend::new(Kind::Postgres, options).await else {
        return;
    };
    let store = b.store.clone();
    let sid = |s: &str| StreamId::parse(s).unwrap();

    // Batch 1 occupies the writer for 1.5 s; B, C, D queue up behind it and form batch 2.
    let first = {
        let store = store.clone();
        tokio::spawn(async move {
            store
                .append(
                    &sid("officer-a"),
                    E::NoStream,
                    vec![NewEvent::new("T", json!({}))],
                )
                .await
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut queued = Vec::new();
    for name in ["officer-b", "officer-c", "officer-d"] {
        let store = store.clone();
        queued.push(tokio::spawn(async move {
            store
                .append(
                    &sid(name),
                    E::NoStream,
                    vec![NewEvent::new("T", json!({ "who": name }))],
                )
                .await
        }));
    }
    // Batch 2 is written at about 1.5 s and waits 1.5 s before COMMIT: cut its connection then.
    tokio::time::sleep(Duration::from_millis(2200)).await;
    b.raw_sql(&["select pg_terminate_backend(pid) from pg_stat_activity \
         where application_name = 'kinerja-writer' and datname = current_database()"])
        .await;

    assert!(
        first.await.unwrap().is_ok(),
        "batch 1 committed before the cut"
    );
    for q in queued {
        let outcome = q.await.unwrap();
        assert!(
            matches!(outcome, Err(StoreError::NotCommitted(_))),
            "{outcome:?}"
        );
    }
    let all = store.read_all(0, 100).await.unwrap();
    assert_eq!(all.len(), 1, "nothing of batch 2 is stored");
    // The writer recovers with a new connection.
    let r = store
        .append(
            &sid("officer-b"),
            E::NoStream,
            vec![NewEvent::new("T", json!({}))],
        )
        .await
        .unwrap();
    assert_eq!(r.position, 2);
    store.shutdown().await;
}

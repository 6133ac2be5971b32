//! Event-store tests: the conformance suite on every backend, the property test against a model,
//! PostgreSQL faults, and a crash (SIGKILL) test.

mod conformance;
mod crash;
mod fixture;
mod model;
mod postgres_faults;

use fixture::{Backend, Kind};
use kinerja::store::writer::WriterOptions;

async fn backend(kind: Kind) -> Option<Backend> {
    Backend::new(kind, WriterOptions::default()).await
}

/// One `#[tokio::test]` per suite function and backend.
macro_rules! run_suite {
    ($kind:expr; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $name() {
                if let Some(b) = crate::backend($kind).await {
                    crate::conformance::$name(b).await;
                }
            }
        )*
    };
}

mod memory {
    run_suite!(crate::Kind::Memory;
        every_expectation_kind,
        multi_event_appends_are_atomic,
        reappending_stored_ids_is_idempotent,
        reads_by_stream_all_category_and_type,
        long_pages_read_as_short_pages,
        bad_input_is_refused_and_changes_nothing,
        concurrent_writers_and_a_live_subscriber,
        category_subscription_catches_up_then_goes_live,
        shutdown_drains_the_queue,
        recorded_at_is_monotonic,
    );
}

mod sqlite {
    run_suite!(crate::Kind::Sqlite;
        every_expectation_kind,
        multi_event_appends_are_atomic,
        reappending_stored_ids_is_idempotent,
        reads_by_stream_all_category_and_type,
        long_pages_read_as_short_pages,
        bad_input_is_refused_and_changes_nothing,
        concurrent_writers_and_a_live_subscriber,
        a_slow_commit_cannot_make_a_subscriber_skip,
        two_instances_see_each_others_revisions,
        tampering_is_named_by_verify,
        damaged_rows_are_reported_as_corrupt,
        deletions_are_named_by_verify,
        guards_refuse_updates_and_deletes,
        category_subscription_catches_up_then_goes_live,
        shutdown_drains_the_queue,
        recorded_at_is_monotonic,
    );
}

mod postgres {
    run_suite!(crate::Kind::Postgres;
        every_expectation_kind,
        multi_event_appends_are_atomic,
        reappending_stored_ids_is_idempotent,
        reads_by_stream_all_category_and_type,
        long_pages_read_as_short_pages,
        bad_input_is_refused_and_changes_nothing,
        concurrent_writers_and_a_live_subscriber,
        a_slow_commit_cannot_make_a_subscriber_skip,
        two_instances_see_each_others_revisions,
        tampering_is_named_by_verify,
        damaged_rows_are_reported_as_corrupt,
        deletions_are_named_by_verify,
        guards_refuse_updates_and_deletes,
        category_subscription_catches_up_then_goes_live,
        shutdown_drains_the_queue,
        recorded_at_is_monotonic,
    );
}

/// Warming the SQLite store's tree reader reads every stored Merkle node (levels 4 and up: for
/// 100 events, the six complete 16-leaf nodes, three of 32, one of 64), and proofs still verify
/// against the root afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_warm_tree_reads_every_stored_node() {
    use kinerja::store::{EventStore, ExpectedRevision, NewEvent, StreamId, sqlite::SqliteStore};
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/kinerja.db", dir.path().display());
    let store = SqliteStore::open(&url, WriterOptions::default())
        .await
        .unwrap();
    assert_eq!(store.warm_tree().await.unwrap(), 0);
    let events = (0..100)
        .map(|i| NewEvent::new("Tick", serde_json::json!({ "i": i })))
        .collect();
    let stream = StreamId::parse("officer-1".to_string()).unwrap();
    store
        .append(&stream, ExpectedRevision::Any, events)
        .await
        .unwrap();
    assert_eq!(store.warm_tree().await.unwrap(), 6 + 3 + 1);
    let events = store.read_all(0, 1_000).await.unwrap();
    let tree = kinerja::proofs::MemoryTree::from_leaves(
        events.iter().map(|e| kinerja::proofs::leaf_hash(&e.hash)),
    );
    for position in [1, 17, 64, 100] {
        let proof = kinerja::ledger::inclusion_proof(&store, position, 100)
            .await
            .unwrap();
        assert_eq!(proof.root_hash, tree.root(), "root for {position}");
        kinerja::proofs::verify_inclusion(
            proof.leaf_index,
            proof.tree_size,
            &proof.leaf_hash,
            &proof.audit_path,
            &tree.root(),
        )
        .unwrap();
    }
    store.shutdown().await;
}

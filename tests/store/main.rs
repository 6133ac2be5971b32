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

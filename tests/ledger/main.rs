//! Ledger tests: proofs and signed heads over a real store, full and kept-head verification,
//! tamper detection by an administrator with SQL access, and the `kinerja` ledger commands end
//! to end. Each store test runs on a fresh SQLite file and a fresh PostgreSQL database.

mod cli;
mod fixture;
mod proofs;
mod tamper;

use fixture::{Backend, Kind};

/// One `#[tokio::test]` per test function and backend.
macro_rules! on_backends {
    ($($module:ident :: $name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    if let Some(b) = crate::Backend::new(crate::Kind::Sqlite).await {
                        crate::$module::$name(b).await;
                    }
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    if let Some(b) = crate::Backend::new(crate::Kind::Postgres).await {
                        crate::$module::$name(b).await;
                    }
                }
            )*
        }
    };
}

on_backends!(
    proofs::proofs_from_the_store_verify,
    proofs::verify_all_passes_a_clean_log_and_names_a_foreign_head,
    tamper::an_edited_event_is_named,
    tamper::a_deleted_event_is_named,
    tamper::swapped_data_is_named,
    tamper::rewritten_history_is_named,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cli_end_to_end_on_sqlite() {
    cli::the_commands_end_to_end().await;
}

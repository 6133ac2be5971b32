//! The officer side of the API, in process (`tower::ServiceExt::oneshot` on the router): the
//! performance cycle as a new user walks it, one test per authorisation rule, idempotency and
//! If-Match, bad input, and the CSV import. Every test runs on a fresh SQLite file and a fresh
//! PostgreSQL database.

mod authz;
mod bad_input;
mod cycle;
mod fixture;
mod import;
mod semantics;

use fixture::{Env, Kind};

/// One `#[tokio::test]` per test function and backend.
macro_rules! on_backends {
    ($($module:ident :: $name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if let Some(env) = crate::Env::new(crate::Kind::Sqlite).await {
                        crate::$module::$name(env).await;
                    }
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if let Some(env) = crate::Env::new(crate::Kind::Postgres).await {
                        crate::$module::$name(env).await;
                    }
                }
            )*
        }
    };
}

on_backends!(
    cycle::a_whole_officer_cycle_from_registration_to_predikat,
    cycle::a_transfer_closes_the_current_plan,
    cycle::an_objection_is_decided_by_the_atasan,
    authz::another_officer_cannot_file_my_report,
    authz::a_non_appraiser_cannot_approve,
    authz::a_non_appraiser_cannot_evaluate,
    authz::only_the_atasan_decides_objections,
    authz::an_auditor_reads_but_cannot_write,
    authz::only_admin_registers_transfers_and_assigns,
    authz::officers_read_only_their_own_and_their_teams_records,
    authz::a_missing_or_unknown_token_is_401,
    authz::a_revoked_token_is_401,
    semantics::an_idempotent_retry_returns_the_first_answer_and_appends_nothing,
    semantics::a_stale_if_match_is_409_with_both_revisions,
    semantics::gets_carry_the_stream_revision_as_etag,
    bad_input::malformed_and_mistyped_bodies_are_400,
    bad_input::invalid_nips_are_422,
    bad_input::odd_unicode_in_names_is_refused,
    bad_input::over_long_and_empty_text_is_422,
    bad_input::dates_and_clocks_in_the_future_are_422,
    bad_input::bad_reports_are_refused,
    bad_input::bad_addresses_are_4xx,
    import::a_file_with_a_bad_row_imports_nothing_and_names_the_line,
    import::skip_invalid_imports_the_good_rows,
);

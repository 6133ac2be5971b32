//! Map the client's errors to the store's one error type, and say which ones an append may retry.

use kurrentdb::{CurrentRevision, Error};

use crate::store::{ExpectedRevision, StoreError};

/// Our expectation as the client's `StreamState`.
pub fn stream_state(expected: ExpectedRevision) -> kurrentdb::StreamState {
    match expected {
        ExpectedRevision::Any => kurrentdb::StreamState::Any,
        ExpectedRevision::NoStream => kurrentdb::StreamState::NoStream,
        ExpectedRevision::StreamExists => kurrentdb::StreamState::StreamExists,
        ExpectedRevision::Revision(n) => kurrentdb::StreamState::StreamRevision(n),
    }
}

/// How sure we are that a failed append wrote nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The server refused it or it never reached a leader: nothing was written.
    NotWritten,
    /// It may have been written (a deadline passed, the connection dropped mid-call).
    Unknown,
    /// Not a transient failure (a conflict, bad credentials, a deleted stream…).
    Final,
}

/// What kind of failure `e` is for an append.
pub fn outcome(e: &Error) -> Outcome {
    match e {
        Error::NotLeaderException(_) | Error::GrpcConnectionError(_) => Outcome::NotWritten,
        Error::DeadlineExceeded
        | Error::ServerError(_)
        | Error::ConnectionClosed
        | Error::Grpc { .. } => Outcome::Unknown,
        _ => Outcome::Final,
    }
}

/// May an append that failed with `e` be sent again? Always when nothing was written; when the
/// outcome is unknown only with an exact expectation, under which KurrentDB guarantees that a
/// repeat of the same event ids is idempotent (with `Any` it only tries its best).
pub fn retryable(e: &Error, expected: ExpectedRevision) -> bool {
    match outcome(e) {
        Outcome::NotWritten => true,
        Outcome::Unknown => expected != ExpectedRevision::Any,
        Outcome::Final => false,
    }
}

/// The [`StoreError`] for an append to `stream` with `expected` that failed with `e`.
pub fn append_error(e: Error, stream: &str, expected: ExpectedRevision) -> StoreError {
    match e {
        Error::WrongExpectedVersion { current, .. } => StoreError::WrongExpectedVersion {
            stream_id: stream.to_string(),
            expected,
            actual: match current {
                CurrentRevision::Current(n) => Some(n),
                CurrentRevision::NoStream => None,
            },
        },
        e => match outcome(&e) {
            Outcome::NotWritten => {
                StoreError::NotCommitted(format!("KurrentDB cluster not available: {e}"))
            }
            Outcome::Unknown => StoreError::CommitUnknown(format!("KurrentDB: {e}")),
            Outcome::Final => other(e),
        },
    }
}

/// The [`StoreError`] for a failed read.
pub fn read_error(e: Error) -> StoreError {
    match outcome(&e) {
        Outcome::NotWritten | Outcome::Unknown => {
            StoreError::Backend(format!("KurrentDB cluster not available: {e}"))
        }
        Outcome::Final => other(e),
    }
}

fn other(e: Error) -> StoreError {
    match e {
        Error::AccessDenied => StoreError::Backend(
            "KurrentDB refused access: check the user and password in the URL".into(),
        ),
        Error::ResourceDeleted => StoreError::Backend(
            "the stream was deleted in KurrentDB; ledger streams must never be deleted".into(),
        ),
        e => StoreError::Backend(format!("KurrentDB: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wrong_expected_version_carries_the_actual_revision() {
        let e = Error::WrongExpectedVersion {
            expected: kurrentdb::StreamState::NoStream,
            current: CurrentRevision::Current(4),
        };
        assert_eq!(
            append_error(e, "officer-1", ExpectedRevision::NoStream),
            StoreError::WrongExpectedVersion {
                stream_id: "officer-1".into(),
                expected: ExpectedRevision::NoStream,
                actual: Some(4),
            }
        );
        let e = Error::WrongExpectedVersion {
            expected: kurrentdb::StreamState::StreamRevision(1),
            current: CurrentRevision::NoStream,
        };
        assert!(matches!(
            append_error(e, "officer-1", ExpectedRevision::Revision(1)),
            StoreError::WrongExpectedVersion { actual: None, .. }
        ));
    }

    #[test]
    fn leader_and_connection_failures_are_not_committed_and_retried() {
        let leader = Error::NotLeaderException(kurrentdb::Endpoint {
            host: "n2".into(),
            port: 2113,
        });
        assert!(matches!(
            append_error(leader.clone(), "a-1", ExpectedRevision::Any),
            StoreError::NotCommitted(_)
        ));
        assert!(retryable(&leader, ExpectedRevision::Any));
        let down = Error::GrpcConnectionError(kurrentdb::GrpcConnectionError::Grpc("x".into()));
        assert!(matches!(
            append_error(down, "a-1", ExpectedRevision::Any),
            StoreError::NotCommitted(_)
        ));
    }

    #[test]
    fn unknown_outcomes_are_retried_only_under_an_exact_expectation() {
        let e = Error::DeadlineExceeded;
        assert!(matches!(
            append_error(e.clone(), "a-1", ExpectedRevision::Revision(3)),
            StoreError::CommitUnknown(_)
        ));
        assert!(retryable(&e, ExpectedRevision::Revision(3)));
        assert!(retryable(&e, ExpectedRevision::NoStream));
        assert!(!retryable(&e, ExpectedRevision::Any));
        assert!(!retryable(&Error::AccessDenied, ExpectedRevision::NoStream));
        assert!(matches!(
            append_error(Error::AccessDenied, "a-1", ExpectedRevision::Any),
            StoreError::Backend(_)
        ));
        assert!(matches!(read_error(e), StoreError::Backend(_)));
    }

    #[test]
    fn expectations_map_one_to_one() {
        use kurrentdb::StreamState as S;
        assert_eq!(stream_state(ExpectedRevision::Any), S::Any);
        assert_eq!(stream_state(ExpectedRevision::NoStream), S::NoStream);
        assert_eq!(
            stream_state(ExpectedRevision::StreamExists),
            S::StreamExists
        );
        assert_eq!(
            stream_state(ExpectedRevision::Revision(7)),
            S::StreamRevision(7)
        );
    }
}

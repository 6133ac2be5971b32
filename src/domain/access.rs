//! `access-{token_id}`: bearer tokens for officers and staff, issued and revoked by command and
//! recorded as events, so that access changes are audited like everything else. Only the SHA-256
//! of a token is ever recorded; the token itself is shown once to whoever issued it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::codec::DomainEvent;
use super::error::DomainError;
use super::values::Nip;

/// The stream category.
pub const CATEGORY: &str = "access";

/// The stream of one token.
pub fn stream_id(token_id: Uuid) -> String {
    format!("{CATEGORY}-{token_id}")
}

/// A staff role that a token can carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum StaffRole {
    /// The personnel agency (BKPSDM): manages units, officers, trainings, awards.
    Admin,
    /// The inspectorate: reads everything, writes nothing.
    Auditor,
}

/// Whom a token belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Subject {
    /// An officer; rights follow the org chart.
    Officer {
        /// The officer's NIP.
        nip: Nip,
    },
    /// A staff account.
    Staff {
        /// Its role.
        role: StaffRole,
        /// A name for the audit trail.
        name: String,
    },
}

/// Events of a token stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum AccessEvent {
    /// A token was issued.
    TokenIssued {
        /// Token id (the stream id's suffix).
        token_id: Uuid,
        /// Hex SHA-256 of the token text.
        token_sha256: String,
        /// Whom it belongs to.
        subject: Subject,
        /// When it was issued.
        issued_at: DateTime<Utc>,
    },
    /// A token was revoked; it no longer authenticates.
    TokenRevoked {
        /// Token id.
        token_id: Uuid,
        /// Why.
        reason: String,
        /// When.
        revoked_at: DateTime<Utc>,
    },
}

/// Folded state of a token stream.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AccessState {
    /// Id, hash and subject once issued.
    pub issued: Option<(Uuid, String, Subject)>,
    /// Revoked?
    pub revoked: bool,
}

/// Commands on a token stream.
#[derive(Debug, Clone, PartialEq)]
pub enum AccessCommand {
    /// Issue a new token (the id and hash are made at the edge).
    Issue {
        /// Token id.
        token_id: Uuid,
        /// Hex SHA-256 of the token text.
        token_sha256: String,
        /// Whom it belongs to.
        subject: Subject,
    },
    /// Revoke the token.
    Revoke {
        /// Why.
        reason: String,
    },
}

/// Apply one event.
pub fn evolve(mut s: AccessState, e: &AccessEvent) -> AccessState {
    match e {
        AccessEvent::TokenIssued {
            token_id,
            token_sha256,
            subject,
            ..
        } => s.issued = Some((*token_id, token_sha256.clone(), subject.clone())),
        AccessEvent::TokenRevoked { .. } => s.revoked = true,
    }
    s
}

/// Decide a token command at server time `at`.
pub fn decide(
    s: &AccessState,
    c: &AccessCommand,
    at: DateTime<Utc>,
) -> Result<Vec<AccessEvent>, DomainError> {
    match c {
        AccessCommand::Issue {
            token_id,
            token_sha256,
            subject,
        } => {
            if s.issued.is_some() {
                return Err(DomainError::DuplicateId { what: "token" });
            }
            if let Subject::Staff { name, .. } = subject
                && name.trim().is_empty()
            {
                return Err(DomainError::RequiredText {
                    field: "name",
                    max: 200,
                });
            }
            Ok(vec![AccessEvent::TokenIssued {
                token_id: *token_id,
                token_sha256: token_sha256.clone(),
                subject: subject.clone(),
                issued_at: at,
            }])
        }
        AccessCommand::Revoke { reason } => {
            let Some((token_id, ..)) = &s.issued else {
                return Err(DomainError::NotFound { what: "token" });
            };
            if reason.trim().is_empty() {
                return Err(DomainError::RequiredText {
                    field: "reason",
                    max: 2000,
                });
            }
            if s.revoked {
                return Ok(Vec::new());
            }
            Ok(vec![AccessEvent::TokenRevoked {
                token_id: *token_id,
                reason: reason.clone(),
                revoked_at: at,
            }])
        }
    }
}

impl DomainEvent for AccessEvent {
    type State = AccessState;
    const CATEGORY: &'static str = CATEGORY;

    fn event_type(&self) -> &'static str {
        match self {
            Self::TokenIssued { .. } => "TokenIssued",
            Self::TokenRevoked { .. } => "TokenRevoked",
        }
    }

    fn evolve(state: AccessState, event: &Self) -> AccessState {
        evolve(state, event)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at() -> DateTime<Utc> {
        DateTime::from_timestamp(1_780_000_000, 0).unwrap()
    }

    fn issue() -> AccessCommand {
        AccessCommand::Issue {
            token_id: Uuid::from_u128(1),
            token_sha256: "ab".repeat(32),
            subject: Subject::Staff {
                role: StaffRole::Auditor,
                name: "Inspektorat".into(),
            },
        }
    }

    #[test]
    fn a_token_is_issued_once_and_revoked_with_a_reason() {
        let events = decide(&AccessState::default(), &issue(), at()).unwrap();
        let s = AccessEvent::fold(&events);
        assert_eq!(
            decide(&s, &issue(), at()),
            Err(DomainError::DuplicateId { what: "token" })
        );
        let blank = AccessCommand::Revoke { reason: " ".into() };
        assert_eq!(
            decide(&s, &blank, at()),
            Err(DomainError::RequiredText {
                field: "reason",
                max: 2000
            })
        );
        let revoke = AccessCommand::Revoke {
            reason: "pindah tugas".into(),
        };
        let revoked = decide(&s, &revoke, at()).unwrap();
        assert_eq!(revoked.len(), 1);
        let s = evolve(s, &revoked[0]);
        assert!(s.revoked);
        assert!(decide(&s, &revoke, at()).unwrap().is_empty());
    }

    #[test]
    fn revoking_an_unknown_token_is_refused() {
        let revoke = AccessCommand::Revoke { reason: "x".into() };
        assert_eq!(
            decide(&AccessState::default(), &revoke, at()),
            Err(DomainError::NotFound { what: "token" })
        );
    }

    #[test]
    fn events_round_trip_through_the_store_encoding() {
        for e in decide(&AccessState::default(), &issue(), at()).unwrap() {
            let back = AccessEvent::from_data(e.event_type(), 1, &e.to_data()).unwrap();
            assert_eq!(back, e);
        }
    }
}

//! Who is calling: the [`Caller`] extractor authenticates the bearer token against the token
//! registry, and [`Ctx`] adds the request's metadata (request id, Idempotency-Key, If-Match,
//! the client's clock) that every command records. The coarse rules live here (auditors write
//! nothing, admin-only resources); the org-chart rules (the assigned appraiser, the atasan, one's
//! own records) are domain rules checked by the deciders with the actor given here.
//!
//! A reading request (GET, HEAD) may instead carry the web interface's session cookie
//! ([`SESSION_COOKIE`], HttpOnly, SameSite=Strict): the browser's `EventSource` for the live feed
//! and the export links cannot send a bearer header. Commands always need the bearer header.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::AppState;
use super::error::ApiError;
use crate::app::Meta;
use crate::domain::access::{StaffRole, Subject};
use crate::domain::{Actor, ActorId, Nip, Role};

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct Caller {
    pub token_id: Uuid,
    pub subject: Subject,
}

impl Caller {
    /// The officer's NIP, for officer tokens.
    pub fn nip(&self) -> Option<&Nip> {
        match &self.subject {
            Subject::Officer { nip } => Some(nip),
            Subject::Staff { .. } => None,
        }
    }

    pub fn is_admin(&self) -> bool {
        matches!(
            self.subject,
            Subject::Staff {
                role: StaffRole::Admin,
                ..
            }
        )
    }

    pub fn is_auditor(&self) -> bool {
        matches!(
            self.subject,
            Subject::Staff {
                role: StaffRole::Auditor,
                ..
            }
        )
    }

    /// The actor recorded for a command, acting in `role` (staff tokens act as their own role).
    pub fn actor(&self, role: Role) -> Actor {
        match &self.subject {
            Subject::Officer { nip } => Actor {
                id: ActorId::Nip(nip.clone()),
                role,
            },
            Subject::Staff { role: staff, name } => Actor {
                id: ActorId::Staff(name.clone()),
                role: match staff {
                    StaffRole::Admin => Role::Admin,
                    StaffRole::Auditor => Role::Auditor,
                },
            },
        }
    }

    /// Refuse anything but the personnel agency's admin.
    pub fn require_admin(&self) -> Result<(), ApiError> {
        if self.is_admin() {
            Ok(())
        } else {
            Err(ApiError::forbidden(
                "Hanya admin BKPSDM yang boleh melakukan ini.",
            ))
        }
    }

    /// Refuse auditors (read-only) from any command.
    pub fn require_writer(&self) -> Result<(), ApiError> {
        if self.is_auditor() {
            Err(ApiError::new(
                axum::http::StatusCode::FORBIDDEN,
                "READ_ONLY",
                "Akun auditor hanya dapat membaca; tidak dapat mengubah data.",
            ))
        } else {
            Ok(())
        }
    }

    /// Auditors and admins read everything; officers only what `own` allows.
    pub fn require_reader(&self, own: bool) -> Result<(), ApiError> {
        if self.is_admin() || self.is_auditor() || own {
            Ok(())
        } else {
            Err(ApiError::forbidden(
                "Anda tidak berhak melihat data ini. Pegawai hanya melihat data sendiri dan data tim yang dinilainya.",
            ))
        }
    }
}

/// The web interface's session cookie: the caller's token, kept by the browser.
pub const SESSION_COOKIE: &str = "kinerja_session";

/// The value of cookie `name` in the request's `Cookie` headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = match bearer(&parts.headers) {
            Some(t) => t,
            None if parts.method.is_safe() => {
                cookie(&parts.headers, SESSION_COOKIE).ok_or_else(ApiError::unauthenticated)?
            }
            None => return Err(ApiError::unauthenticated()),
        };
        let found = state
            .tokens
            .authenticate(state.app.store.as_ref(), token)
            .await
            .map_err(ApiError::from)?;
        let (token_id, subject) = found.ok_or_else(ApiError::unauthenticated)?;
        Ok(Caller { token_id, subject })
    }
}

/// A caller and the metadata of this request.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub caller: Caller,
    pub meta: Meta,
    /// Server time when the request was received.
    pub at: DateTime<Utc>,
}

impl Ctx {
    /// The metadata with the actor acting in `role` and an optional reason.
    pub fn meta(&self, role: Role, reason: Option<String>) -> Meta {
        Meta {
            actor: Some(self.caller.actor(role)),
            reason,
            ..self.meta.clone()
        }
    }
}

/// Request metadata from headers: `x-request-id`, `Idempotency-Key`, `If-Match` (a stream
/// revision, quoted or not) and `X-Client-Time` (RFC 3339).
pub fn request_meta(headers: &HeaderMap) -> Result<Meta, ApiError> {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let idempotency_key = match text("idempotency-key") {
        Some(k) if k.is_empty() || k.len() > 200 => {
            return Err(ApiError::invalid_field(
                "Idempotency-Key",
                "panjang 1 sampai 200 karakter",
            ));
        }
        other => other.map(str::to_string),
    };
    let expected_revision = match text("if-match") {
        None => None,
        Some(v) => Some(
            v.trim_start_matches("W/")
                .trim_matches('"')
                .parse::<u64>()
                .map_err(|_| {
                    ApiError::invalid_field("If-Match", "harus revisi aliran (ETag) dari GET")
                })?,
        ),
    };
    let client_time = match text("x-client-time") {
        None => None,
        Some(v) => Some(
            DateTime::parse_from_rfc3339(v)
                .map_err(|_| ApiError::invalid_field("X-Client-Time", "format RFC 3339"))?
                .with_timezone(&Utc),
        ),
    };
    Ok(Meta {
        request_id: text("x-request-id").map(str::to_string),
        idempotency_key,
        expected_revision,
        client_time,
        ..Meta::default()
    })
}

impl FromRequestParts<AppState> for Ctx {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let caller = Caller::from_request_parts(parts, state).await?;
        let meta = request_meta(&parts.headers)?;
        Ok(Ctx {
            caller,
            meta,
            at: Utc::now(),
        })
    }
}

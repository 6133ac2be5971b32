//! Signing in and out, and who is signed in. The session cookie holds the caller's token
//! (HttpOnly, SameSite=Strict, 8 hours), checked against the token registry on every request like
//! a bearer token, so a revoked token ends its sessions at once. Forms that change something
//! carry a CSRF token derived from the session token (SHA-256, not guessable without it) and an
//! idempotency key, so a double submit records once. The outcome of a form is shown once on the
//! next page (a short-lived flash cookie).

use axum::Router;
use axum::extract::{Form, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use base64::Engine;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::i18n::Lang;
use super::{Chrome, WebError, render};
use crate::app::{Committed, Meta};
use crate::domain::Role;
use crate::domain::access::Subject;
use crate::http::AppState;
use crate::http::auth::{Caller, SESSION_COOKIE, cookie, request_meta};
use crate::http::error::ApiError;

/// The cookie carrying the message of the last form.
const FLASH_COOKIE: &str = "kinerja_flash";
/// Session lifetime in seconds.
const SESSION_SECS: u32 = 8 * 3600;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/ui/masuk", get(sign_in_page).post(sign_in))
        .route("/ui/keluar", axum::routing::post(sign_out))
}

/// A message shown once after a form.
#[derive(Debug, Clone)]
pub struct Flash {
    /// `ok` or `error` (a CSS class).
    pub kind: &'static str,
    pub text: String,
}

impl Flash {
    pub fn ok(text: impl Into<String>) -> Self {
        Self {
            kind: "ok",
            text: text.into(),
        }
    }

    pub fn error(text: impl Into<String>) -> Self {
        Self {
            kind: "error",
            text: text.into(),
        }
    }

    fn encode(&self) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(format!("{}:{}", self.kind, self.text))
    }

    fn decode(raw: &str) -> Option<Self> {
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(raw)
            .ok()?;
        let text = String::from_utf8(bytes).ok()?;
        let (kind, text) = text.split_once(':')?;
        let kind = match kind {
            "ok" => "ok",
            _ => "error",
        };
        Some(Self {
            kind,
            text: text.chars().take(500).collect(),
        })
    }

    /// The flash of a request, if any.
    pub fn of(headers: &HeaderMap) -> Option<Self> {
        cookie(headers, FLASH_COOKIE).and_then(Self::decode)
    }
}

fn set_cookie(r: &mut Response, value: String) {
    if let Ok(v) = HeaderValue::from_str(&value) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
}

/// Redirect (303) to `to` with a message for the next page.
pub fn redirect_with(to: &str, flash: &Flash) -> Response {
    let mut r = Redirect::to(to).into_response();
    set_cookie(
        &mut r,
        format!(
            "{FLASH_COOKIE}={}; Path=/ui; Max-Age=60; HttpOnly; SameSite=Strict",
            flash.encode()
        ),
    );
    r
}

/// Forget a shown message.
pub fn clear_flash(r: &mut Response) {
    set_cookie(
        r,
        format!("{FLASH_COOKIE}=; Path=/ui; Max-Age=0; HttpOnly; SameSite=Strict"),
    );
}

/// A signed-in caller.
#[derive(Debug, Clone)]
pub struct Session {
    pub caller: Caller,
    token: String,
    pub lang: Lang,
    pub flash: Option<Flash>,
    /// The request's metadata (request id, client clock).
    meta: Meta,
}

impl Session {
    /// The CSRF token of this session.
    pub fn csrf(&self) -> String {
        csrf_of(&self.token)
    }

    /// Refuse a form whose CSRF token is not this session's.
    pub fn check_csrf(&self, given: &str) -> Result<(), WebError> {
        if given.as_bytes() == self.csrf().as_bytes() {
            Ok(())
        } else {
            Err(WebError::Api(ApiError::forbidden(
                self.lang.messages().bad_csrf,
            )))
        }
    }

    /// Who is signed in, as shown in the header.
    pub fn display_name(&self) -> String {
        match &self.caller.subject {
            Subject::Officer { nip } => nip.to_string(),
            Subject::Staff { name, .. } => name.clone(),
        }
    }

    /// The metadata of a command acting in `role`; `idem` (the form's key) makes a resubmit safe.
    pub fn meta(&self, role: Role, reason: Option<String>, idem: &str) -> Meta {
        Meta {
            actor: Some(self.caller.actor(role)),
            reason,
            idempotency_key: (!idem.is_empty() && idem.len() <= 200).then(|| idem.to_string()),
            ..self.meta.clone()
        }
    }
}

fn csrf_of(token: &str) -> String {
    hex::encode(&Sha256::digest(format!("kinerja-csrf:{token}").as_bytes())[..16])
}

async fn session_of(parts: &Parts, state: &AppState) -> Result<Option<Session>, ApiError> {
    let Some(token) = cookie(&parts.headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    let found = state
        .tokens
        .authenticate(state.app.store.as_ref(), token)
        .await?;
    Ok(found.map(|(token_id, subject)| Session {
        caller: Caller { token_id, subject },
        token: token.to_string(),
        lang: Lang::of(&parts.headers, parts.uri.query()),
        flash: Flash::of(&parts.headers),
        meta: request_meta(&parts.headers).unwrap_or_default(),
    }))
}

impl FromRequestParts<AppState> for Session {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, WebError> {
        session_of(parts, state).await?.ok_or(WebError::SignIn)
    }
}

/// The session when there is one.
pub struct MaybeSession(pub Option<Session>);

impl FromRequestParts<AppState> for MaybeSession {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, WebError> {
        Ok(MaybeSession(session_of(parts, state).await?))
    }
}

/// The language and flash of a page without a session.
pub struct Visitor {
    pub lang: Lang,
    pub flash: Option<Flash>,
    pub path: String,
}

impl<S: Send + Sync> FromRequestParts<S> for Visitor {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Visitor {
            lang: Lang::of(&parts.headers, parts.uri.query()),
            flash: Flash::of(&parts.headers),
            path: parts
                .uri
                .path_and_query()
                .map_or_else(|| parts.uri.path().to_string(), |p| p.as_str().to_string()),
        })
    }
}

impl Visitor {
    /// The frame of a page seen without signing in.
    pub fn chrome(&self, title: &str) -> Chrome {
        let mut c = Chrome::new(self.lang, &self.path, title);
        c.flash = self.flash.clone();
        c
    }
}

#[derive(askama::Template)]
#[template(path = "signin.html")]
struct SignInPage {
    c: Chrome,
}

async fn sign_in_page(v: Visitor) -> Result<Response, WebError> {
    let c = v.chrome(v.lang.messages().signin_title);
    render(&c, &SignInPage { c: c.clone() })
}

#[derive(Deserialize)]
struct SignInForm {
    token: String,
}

fn session_cookie(headers: &HeaderMap, value: &str, max_age: u32) -> String {
    let https = headers
        .get("x-forwarded-proto")
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"https"));
    format!(
        "{SESSION_COOKIE}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Strict{}",
        if https { "; Secure" } else { "" }
    )
}

async fn sign_in(
    State(state): State<AppState>,
    v: Visitor,
    headers: HeaderMap,
    Form(form): Form<SignInForm>,
) -> Result<Response, WebError> {
    let token = form.token.trim();
    let m = v.lang.messages();
    let valid = token.len() <= 200 && token.bytes().all(|b| b.is_ascii_graphic());
    let found = if valid {
        state
            .tokens
            .authenticate(state.app.store.as_ref(), token)
            .await?
    } else {
        None
    };
    if found.is_none() {
        return Ok(redirect_with("/ui/masuk", &Flash::error(m.bad_token)));
    }
    let mut r = redirect_with("/ui", &Flash::ok(m.signed_in));
    set_cookie(&mut r, session_cookie(&headers, token, SESSION_SECS));
    Ok(r)
}

#[derive(Deserialize)]
struct CsrfForm {
    csrf: String,
}

async fn sign_out(
    s: Session,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Result<Response, WebError> {
    s.check_csrf(&form.csrf)?;
    let mut r = redirect_with("/ui/masuk", &Flash::ok(s.lang.messages().signed_out));
    set_cookie(&mut r, session_cookie(&headers, "", 0));
    Ok(r)
}

/// After a command from a form: wait (bounded) until the read models show it, then go back to
/// `back` with `ok` or the error's message.
pub async fn after_command(
    state: &AppState,
    back: &str,
    result: Result<Committed, ApiError>,
    ok: &str,
) -> Response {
    match result {
        Ok(c) => {
            if let Some(p) = &state.projector {
                // Not yet folded after the wait: the page shows it a moment later.
                let _ = p.wait_for(c.position, p.wait_limit).await;
            }
            redirect_with(back, &Flash::ok(ok))
        }
        Err(e) => redirect_with(back, &Flash::error(e.detail)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flash_survives_its_cookie_and_odd_kinds_become_errors() {
        let f = Flash::ok("Realisasi tercatat; 100 %");
        let back = Flash::decode(&f.encode()).unwrap();
        assert_eq!(
            (back.kind, back.text.as_str()),
            ("ok", "Realisasi tercatat; 100 %")
        );
        let odd = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode("x\" onload:hi");
        assert_eq!(Flash::decode(&odd).unwrap().kind, "error");
        assert!(Flash::decode("%%%").is_none());
    }

    #[test]
    fn the_csrf_token_depends_on_the_session_token() {
        assert_ne!(csrf_of("knj_a"), csrf_of("knj_b"));
        assert_eq!(csrf_of("knj_a").len(), 32);
    }
}

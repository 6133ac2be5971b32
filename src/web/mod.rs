//! The web interface: server-rendered HTML pages for officers (Pegawai), supervisors (Atasan),
//! leaders (Pimpinan), auditors and the public, served by the same binary under `/ui`. Bahasa
//! Indonesia first, English with `?lang=en` (remembered in a cookie); every text comes from one
//! message table per language ([`i18n`]).
//!
//! Templates are askama templates under `templates/`, compiled into the binary and checked against
//! their view structs at build time (a misspelt field or message key does not build); CSS and the
//! one small script are under `assets/`, embedded with `include_str!`. Nothing is fetched from
//! elsewhere at run time, and the Content-Security-Policy allows only this origin.
//!
//! Handlers are thin: commands go through the same use cases as the JSON API ([`crate::app`]),
//! pages read the read models ([`crate::projections`]) with the same access rules as
//! [`crate::http::projections`]. The session is the caller's token in an HttpOnly, SameSite=Strict
//! cookie ([`session`]); every form that changes something carries a CSRF token derived from it.
//! The supervisor page follows the live feed (`/api/v1/live`, which accepts the session cookie).
//!
//! # Layout
//!
//! - this file: the router, the page frame ([`Chrome`]), the error page, headers, assets;
//! - [`session`]: sign-in, sign-out, the [`session::Session`] extractor, CSRF, flash messages;
//! - [`i18n`]: the message tables and labels of domain values;
//! - [`chart`]: bar charts as inline SVG;
//! - one module per page group: [`officer`], [`supervisor`], [`leader`], [`auditor`], [`public`].

pub mod auditor;
pub mod chart;
pub mod i18n;
pub mod leader;
pub mod officer;
pub mod public;
pub mod session;
pub mod supervisor;

use askama::Template;
use axum::extract::{Path, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Router, extract::State};
use chrono::{Datelike, Utc};

use crate::domain::Period;
use crate::http::AppState;
use crate::http::error::ApiError;
use i18n::{Lang, Messages};
use session::{Flash, MaybeSession};

/// A signed tree head as the auditor's and the public pages show it (`head.html`).
pub struct HeadView {
    tree_size: u64,
    root: String,
    signed_at: String,
    key_id: String,
}

impl From<&crate::proofs::SignedTreeHead> for HeadView {
    fn from(h: &crate::proofs::SignedTreeHead) -> Self {
        HeadView {
            tree_size: h.tree_size,
            root: hex::encode(h.root_hash),
            signed_at: officer::when(h.timestamp),
            key_id: h.key_id.clone(),
        }
    }
}

/// The routes of the web interface (merged into the service's router).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(root))
        .route("/ui", get(home))
        .route("/ui/assets/{name}", get(asset))
        .merge(session::router())
        .merge(officer::router())
        .merge(supervisor::router())
        .merge(leader::router())
        .merge(auditor::router())
        .merge(public::router())
        .layer(middleware::from_fn(frame))
}

/// `/`: the caller's home when signed in, else the sign-in page.
async fn root() -> Redirect {
    Redirect::to("/ui")
}

/// `/ui`: the page of the caller's role.
async fn home(State(state): State<AppState>, s: MaybeSession) -> Result<Redirect, WebError> {
    let Some(s) = s.0 else {
        return Ok(Redirect::to("/ui/masuk"));
    };
    let to = if s.caller.is_auditor() {
        "/ui/auditor"
    } else if s.caller.is_admin() {
        "/ui/pimpinan"
    } else if supervisor::has_team(&state, &s).await? {
        "/ui/atasan"
    } else {
        "/ui/pegawai"
    };
    Ok(Redirect::to(to))
}

/// The embedded static files.
async fn asset(Path(name): Path<String>) -> Response {
    let (body, kind) = match name.as_str() {
        "app.css" => (
            include_str!("../../assets/app.css"),
            "text/css; charset=utf-8",
        ),
        "app.js" => (
            include_str!("../../assets/app.js"),
            "text/javascript; charset=utf-8",
        ),
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    let mut r = body.into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    r
}

/// One link of the navigation.
#[derive(Debug, Clone)]
pub struct NavItem {
    pub href: &'static str,
    pub label: &'static str,
    pub current: bool,
}

/// What every page shows around its content: language, navigation, sign-out, flash message.
#[derive(Debug, Clone)]
pub struct Chrome {
    pub lang: Lang,
    pub m: &'static Messages,
    pub title: String,
    pub nav: Vec<NavItem>,
    /// The CSRF token of the session (empty when signed out).
    pub csrf: String,
    pub signed_in: bool,
    /// Who is signed in, as shown.
    pub who: String,
    pub flash: Option<Flash>,
    /// This page in the other language.
    pub other_lang_href: String,
}

impl Chrome {
    /// The frame of a page at `path` (query included) titled `title`.
    pub fn new(lang: Lang, path: &str, title: &str) -> Self {
        let m = lang.messages();
        Self {
            lang,
            m,
            title: title.to_string(),
            nav: Vec::new(),
            csrf: String::new(),
            signed_in: false,
            who: String::new(),
            flash: None,
            other_lang_href: lang.other().switch_href(path),
        }
    }

    /// The navigation of a signed-in caller, with `current` marked.
    pub fn for_session(s: &session::Session, path: &str, title: &str, current: &str) -> Self {
        let mut c = Self::new(s.lang, path, title);
        let m = c.m;
        let mut nav = Vec::new();
        if s.caller.nip().is_some() {
            nav.push(("/ui/pegawai", m.nav_officer));
            nav.push(("/ui/atasan", m.nav_supervisor));
        }
        nav.push(("/ui/pimpinan", m.nav_leader));
        if s.caller.is_auditor() || s.caller.is_admin() {
            nav.push(("/ui/auditor", m.nav_auditor));
        }
        nav.push(("/ui/publik", m.nav_public));
        c.nav = nav
            .into_iter()
            .map(|(href, label)| NavItem {
                href,
                label,
                current: href == current,
            })
            .collect();
        c.csrf = s.csrf();
        c.signed_in = true;
        c.who = s.display_name();
        c.flash = s.flash.clone();
        c
    }

    /// `lang` attribute value.
    pub fn lang_code(&self) -> &'static str {
        self.lang.code()
    }

    /// The other language's code (for `hreflang`).
    pub fn other_lang_code(&self) -> &'static str {
        self.lang.other().code()
    }
}

/// Render a page; a shown flash message is cleared.
pub fn render(chrome: &Chrome, page: &impl Template) -> Result<Response, WebError> {
    let html = page.render().map_err(|e| {
        tracing::error!(error = %e, "template failed");
        WebError::Api(ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "INTERNAL",
            "Halaman tidak dapat ditampilkan.",
        ))
    })?;
    let mut r = Html(html).into_response();
    if chrome.flash.is_some() {
        session::clear_flash(&mut r);
    }
    Ok(r)
}

/// An error of a page: go to sign-in, or an error page with the API's code and message.
#[derive(Debug)]
pub enum WebError {
    SignIn,
    Api(ApiError),
}

impl From<ApiError> for WebError {
    fn from(e: ApiError) -> Self {
        WebError::Api(e)
    }
}

impl From<crate::projections::ProjectionError> for WebError {
    fn from(e: crate::projections::ProjectionError) -> Self {
        WebError::Api(e.into())
    }
}

impl From<crate::app::AppError> for WebError {
    fn from(e: crate::app::AppError) -> Self {
        WebError::Api(e.into())
    }
}

impl From<crate::domain::DomainError> for WebError {
    fn from(e: crate::domain::DomainError) -> Self {
        WebError::Api(e.into())
    }
}

/// The error to render, left in the response for [`frame`] (which knows the language).
#[derive(Debug, Clone)]
struct ErrorToRender {
    code: String,
    detail: String,
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        match self {
            WebError::SignIn => Redirect::to("/ui/masuk").into_response(),
            WebError::Api(e) => {
                let mut r = e.status.into_response();
                r.extensions_mut().insert(ErrorToRender {
                    code: e.code,
                    detail: e.detail,
                });
                r
            }
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    c: Chrome,
    status: u16,
    code: String,
    detail: String,
}

/// Around every page: the error page in the caller's language, the language cookie when
/// `?lang=` was given, and the security headers.
async fn frame(req: Request, next: Next) -> Response {
    let lang = Lang::of(req.headers(), req.uri().query());
    let chosen = Lang::from_query(req.uri().query());
    let path = req
        .uri()
        .path_and_query()
        .map_or("/ui".to_string(), |p| p.as_str().to_string());
    let mut r = next.run(req).await;
    if let Some(e) = r.extensions_mut().remove::<ErrorToRender>() {
        let status = r.status();
        let c = Chrome::new(lang, &path, lang.messages().error_title);
        let page = ErrorPage {
            c,
            status: status.as_u16(),
            code: e.code,
            detail: e.detail,
        };
        if let Ok(html) = page.render() {
            r = (status, Html(html)).into_response();
        }
    }
    let h = r.headers_mut();
    if let Some(l) = chosen
        && let Ok(v) = HeaderValue::from_str(&format!(
            "{}={}; Path=/; Max-Age=31536000; SameSite=Strict",
            i18n::LANG_COOKIE,
            l.code()
        ))
    {
        h.append(header::SET_COOKIE, v);
    }
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
             frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
        ),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    r
}

/// The current year and quarter (server time).
pub fn this_quarter() -> (i32, Period) {
    let today = Utc::now().date_naive();
    (today.year(), Period::quarter_of(today))
}

/// A period from a form or query value (default `otherwise`).
pub fn period_or(raw: Option<&str>, otherwise: Period) -> Period {
    raw.filter(|r| !r.is_empty())
        .and_then(|r| Period::parse(r).ok())
        .unwrap_or(otherwise)
}

/// A year from a query value within 2000–2100 (default `otherwise`).
pub fn year_or(raw: Option<i32>, otherwise: i32) -> i32 {
    raw.filter(|y| (2000..=2100).contains(y))
        .unwrap_or(otherwise)
}

/// The choices of a period `<select>`: (code, label, selected).
pub fn period_options(selected: Period) -> Vec<(&'static str, &'static str, bool)> {
    Period::ALL
        .iter()
        .map(|p| {
            (
                crate::projections::docs::period_code(*p),
                p.label(),
                *p == selected,
            )
        })
        .collect()
}

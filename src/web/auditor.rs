//! Auditor: find an officer; the timeline of every event about them with who, when and why
//! (the `audit` read model); the scorecard as of any log position (an as-of slider, folded from
//! the streams by [`crate::projections::asof`]); verification of the latest signed tree head
//! against the log ([`crate::ledger::verify_kept_head`]); exports (the API's CSV and JSON Lines,
//! which accept the session cookie for reading).

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;

use super::officer::{IndicatorRow, when};
use super::session::Session;
use super::{Chrome, HeadView, WebError, render, this_quarter, year_or};
use crate::domain::{Nip, Period};
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::projections::projector;
use crate::projections::asof::{AsOf, scorecard_as_of};
use crate::projections::audit::{self, AuditEntry, AuditFilter};
use crate::projections::training;

pub fn router() -> Router<AppState> {
    Router::new().route("/ui/auditor", get(page))
}

/// One line of a timeline.
#[derive(Debug, Clone)]
pub struct HistoryRow {
    pub at: String,
    pub what: String,
    pub who: String,
    pub why: String,
    pub position: u64,
}

/// Timeline lines of audit entries (newest first, as given).
pub fn history_rows(entries: &[AuditEntry]) -> Vec<HistoryRow> {
    entries
        .iter()
        .map(|e| HistoryRow {
            at: when(e.recorded_at),
            what: e.event_type.clone(),
            who: match (&e.actor, &e.role) {
                (Some(a), Some(r)) => format!("{a} ({r})"),
                (Some(a), None) => a.clone(),
                (None, _) => "–".to_string(),
            },
            why: e.reason.clone().unwrap_or_default(),
            position: e.position,
        })
        .collect()
}

struct Found {
    nip: String,
    name: String,
    unit: String,
}

#[derive(Template)]
#[template(path = "auditor.html")]
struct AuditorPage {
    c: Chrome,
    q: String,
    found: Vec<Found>,
    nip: String,
    name: String,
    year: i32,
    history: Vec<HistoryRow>,
    log_size: u64,
    as_of: u64,
    as_of_predikat: Option<&'static str>,
    as_of_rows: Option<Vec<IndicatorRow>>,
    head: Option<HeadView>,
    /// Whether the head verified (`None`: not asked).
    verified: Option<bool>,
    /// Why it did not.
    verify_error: String,
}

#[derive(Deserialize)]
struct AuditorQuery {
    q: Option<String>,
    nip: Option<String>,
    year: Option<i32>,
    position: Option<u64>,
    verify: Option<String>,
}

async fn page(
    State(state): State<AppState>,
    s: Session,
    Query(q): Query<AuditorQuery>,
) -> Result<Response, WebError> {
    s.caller.require_reader(false)?;
    let m = s.lang.messages();
    let p = projector(&state)?;
    let store = state.app.store.as_ref();
    let search = q.q.clone().unwrap_or_default().trim().to_string();
    let mut found = Vec::new();
    if !search.is_empty() {
        let needle = search.to_lowercase();
        for o in training::all_officers(p.db()).await? {
            if o.nip == search || o.name.to_lowercase().contains(&needle) {
                found.push(Found {
                    nip: o.nip.clone(),
                    name: o.name.clone(),
                    unit: o.unit.clone().unwrap_or_default(),
                });
            }
            if found.len() >= 50 {
                break;
            }
        }
    }
    let year = year_or(q.year, this_quarter().0);
    let log_size = store.head().await.map_err(ApiError::from)?.position;
    let as_of = q.position.unwrap_or(log_size).min(log_size);
    let (mut nip, mut name, mut history) = (String::new(), String::new(), Vec::new());
    let (mut as_of_predikat, mut as_of_rows) = (None, None);
    if let Some(raw) = q.nip.as_deref().filter(|n| !n.is_empty()) {
        let n = Nip::parse(raw)?;
        nip = n.to_string();
        let filter = AuditFilter {
            limit: Some(500),
            ..AuditFilter::default()
        };
        history = history_rows(
            &audit::audit_trail(p.db(), p.store().as_ref(), n.as_str(), &filter).await?,
        );
        let config = &state.app.config;
        let card = scorecard_as_of(
            store,
            config,
            n.as_str(),
            year,
            Period::Tahunan,
            AsOf::Position(as_of),
        )
        .await?;
        if let Some(card) = card {
            name = card.name.clone().unwrap_or_default();
            as_of_predikat = card.predikat.map(|x| m.predikat(x));
            as_of_rows = Some(
                card.plans
                    .iter()
                    .flat_map(|pc| pc.indicators.iter())
                    .map(IndicatorRow::of)
                    .collect(),
            );
        }
    }
    let latest = store.latest_tree_head().await.map_err(ApiError::from)?;
    let outcome = match (&latest, q.verify.is_some()) {
        (Some(h), true) => Some(match &state.signing_key {
            Some(k) => {
                let key = k.public_key();
                match crate::ledger::verify_kept_head(store, h, &key, 1000, |_| ()).await {
                    Ok(Ok(())) => Ok(()),
                    Ok(Err(why)) => Err(why.to_string()),
                    Err(e) => Err(e.to_string()),
                }
            }
            None => Err("no signing key configured on this server".to_string()),
        }),
        _ => None,
    };
    let verified = outcome.as_ref().map(Result::is_ok);
    let verify_error = outcome.and_then(Result::err).unwrap_or_default();
    let head = latest.as_ref().map(HeadView::from);
    let path = format!(
        "/ui/auditor?q={}&nip={nip}&year={year}&position={as_of}",
        form_value(&search)
    );
    let c = Chrome::for_session(&s, &path, m.auditor_title, "/ui/auditor");
    let page = AuditorPage {
        c: c.clone(),
        q: search,
        found,
        nip,
        name,
        year,
        history,
        log_size,
        as_of,
        as_of_predikat,
        as_of_rows,
        head,
        verified,
        verify_error,
    };
    render(&c, &page)
}

/// Percent-encode a query value (everything but unreserved characters).
pub fn form_value(v: &str) -> String {
    v.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

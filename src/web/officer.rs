//! Pegawai (officer): my SKP for the year with each indicator's target, realisation and a progress
//! bar; filing a realisation with an evidence link and its SHA-256; the feedback I received; my
//! trainings and JP; my history. Filing goes through [`crate::app::App::plan_command`] like
//! `POST /api/v1/officers/{nip}/plans/{year}/reports`.

use askama::Template;
use axum::Router;
use axum::extract::{Form, Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use chrono::Utc;
use serde::Deserialize;
use uuid::Uuid;

use super::auditor::{HistoryRow, history_rows};
use super::session::{Session, after_command};
use super::{Chrome, WebError, period_options, render, this_quarter, year_or};
use crate::app::plans::PlanRef;
use crate::domain::config::JpRule;
use crate::domain::plan::{PlanCommand, Realisation};
use crate::domain::{Evidence, Milli, Nip, Period, Quantity, Role, Year};
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::projections::projector;
use crate::projections::audit::{self, AuditFilter};
use crate::projections::scorecard::{self, IndicatorLine};
use crate::projections::training;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/ui/pegawai", get(page))
        .route("/ui/pegawai/laporan", post(file_report))
}

/// One indicator line as shown.
#[derive(Debug, Clone)]
pub struct IndicatorRow {
    pub result: String,
    pub indicator: String,
    pub target: String,
    pub realisation: String,
    /// Capaian as text ("75 %", or "–").
    pub capaian: String,
    /// Capaian for a progress bar, 0–100.
    pub progress: u32,
    pub late: bool,
}

impl IndicatorRow {
    pub fn of(i: &IndicatorLine) -> Self {
        let shown = |q: &Option<crate::domain::Quantity>| {
            q.as_ref()
                .map_or_else(|| "–".to_string(), ToString::to_string)
        };
        Self {
            result: i.result.clone(),
            indicator: i.indicator.clone(),
            target: shown(&i.target),
            realisation: shown(&i.realisation),
            capaian: i
                .capaian_percent
                .map_or_else(|| "–".to_string(), |c| format!("{c:.0} %")),
            progress: progress(i.capaian_percent),
            late: i.reported_late,
        }
    }
}

/// A percentage as a 0–100 bar value.
pub fn progress(percent: Option<f64>) -> u32 {
    let p = percent.unwrap_or(0.0);
    if !p.is_finite() {
        return 0;
    }
    // Clamped to 0..=100 first.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let v = p.clamp(0.0, 100.0).round() as u32;
    v
}

struct PlanBox {
    seq: u32,
    status: &'static str,
    evaluation: Option<&'static str>,
    indicators: Vec<IndicatorRow>,
}

struct Choice {
    value: String,
    label: String,
}

struct FeedbackRow {
    period: String,
    text: String,
    by: String,
    at: String,
}

struct TrainingRow {
    title: String,
    jp: u32,
    date: String,
}

#[derive(Template)]
#[template(path = "officer.html")]
struct OfficerPage {
    c: Chrome,
    name: String,
    nip: String,
    unit: String,
    position: String,
    year: i32,
    plans: Vec<PlanBox>,
    indicators: Vec<Choice>,
    periods: Vec<(&'static str, &'static str, bool)>,
    idem: String,
    feedback: Vec<FeedbackRow>,
    jp_total: u32,
    jp_required: u32,
    jp_ok: bool,
    jp_progress: u32,
    trainings: Vec<TrainingRow>,
    history: Vec<HistoryRow>,
}

#[derive(Deserialize)]
struct YearQuery {
    year: Option<i32>,
}

/// The signed-in officer's NIP (staff tokens have no officer page).
pub fn own_nip(s: &Session) -> Result<Nip, WebError> {
    s.caller.nip().cloned().ok_or_else(|| {
        WebError::Api(ApiError::forbidden(
            "Halaman ini untuk pegawai. Akun staf memakai halaman Pimpinan atau Auditor.",
        ))
    })
}

/// A date-time as shown (UTC, minutes).
pub fn when(t: chrono::DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

async fn page(
    State(state): State<AppState>,
    s: Session,
    Query(q): Query<YearQuery>,
) -> Result<Response, WebError> {
    let nip = own_nip(&s)?;
    let (this_year, quarter) = this_quarter();
    let year = year_or(q.year, this_year);
    let p = projector(&state)?;
    let config = &state.app.config;
    let m = s.lang.messages();
    let card = scorecard::scorecard(p.db(), config, nip.as_str(), year, Period::Tahunan).await?;
    let officer = scorecard::officer(p.db(), nip.as_str()).await?;
    let history = audit::audit_trail(
        p.db(),
        p.store().as_ref(),
        nip.as_str(),
        &AuditFilter {
            limit: Some(30),
            ..AuditFilter::default()
        },
    )
    .await?;
    let mut plans = Vec::new();
    let mut indicators = Vec::new();
    let mut feedback = Vec::new();
    for pc in card.iter().flat_map(|c| c.plans.iter()) {
        if pc.status == "APPROVED" {
            for i in &pc.indicators {
                let target = i
                    .target
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default();
                indicators.push(Choice {
                    value: i.indicator_id.to_string(),
                    label: format!("{} ({target})", i.indicator),
                });
            }
        }
        for f in &pc.feedback {
            feedback.push(FeedbackRow {
                period: f.period.map_or("", Period::label).to_string(),
                text: f.text.clone(),
                by: f.by.clone(),
                at: when(f.at),
            });
        }
        plans.push(PlanBox {
            seq: pc.seq,
            status: m.plan_status(&pc.status),
            evaluation: pc.evaluation.as_ref().map(|e| m.predikat(e.predikat)),
            indicators: pc.indicators.iter().map(IndicatorRow::of).collect(),
        });
    }
    let t = match &officer {
        Some(o) => Some(training::officer_training(p.db(), config, o, year).await?),
        None => None,
    };
    let (jp_total, jp_required, jp_ok) = t.as_ref().map_or((0, 0, false), |t| {
        let bound = match t.rule {
            JpRule::AtLeast(n) | JpRule::AtMost(n) => n,
        };
        (t.jp_total, bound, t.compliant)
    });
    let trainings = t
        .iter()
        .flat_map(|t| t.completions.iter())
        .map(|c| TrainingRow {
            title: c.title.clone().unwrap_or_else(|| c.program_id.clone()),
            jp: c.jp,
            date: c.completed_on.to_string(),
        })
        .collect();
    let path = format!("/ui/pegawai?year={year}");
    let c = Chrome::for_session(&s, &path, m.officer_title, "/ui/pegawai");
    let page = OfficerPage {
        name: officer.as_ref().map(|o| o.name.clone()).unwrap_or_default(),
        nip: nip.to_string(),
        unit: officer
            .as_ref()
            .and_then(|o| o.unit.clone())
            .unwrap_or_default(),
        position: officer
            .as_ref()
            .and_then(|o| o.position.clone())
            .unwrap_or_default(),
        year,
        plans,
        indicators,
        periods: period_options(quarter),
        idem: Uuid::now_v7().to_string(),
        feedback,
        jp_total,
        jp_required,
        jp_ok,
        jp_progress: progress(
            (jp_required > 0).then(|| f64::from(jp_total) / f64::from(jp_required) * 100.0),
        ),
        trainings,
        history: history_rows(&history),
        c: c.clone(),
    };
    render(&c, &page)
}

#[derive(Deserialize)]
struct ReportForm {
    csrf: String,
    #[serde(default)]
    idem: String,
    year: i32,
    indicator: String,
    period: String,
    value: String,
    evidence_uri: String,
    evidence_sha256: String,
    media_type: String,
    #[serde(default)]
    note: String,
}

async fn file_report(
    State(state): State<AppState>,
    s: Session,
    Form(f): Form<ReportForm>,
) -> Result<Response, WebError> {
    s.check_csrf(&f.csrf)?;
    let nip = own_nip(&s)?;
    let back = format!("/ui/pegawai?year={}", f.year);
    let result = async {
        let now = Utc::now();
        let r = PlanRef {
            nip: nip.clone(),
            year: Year::new(f.year)?,
            seq: None,
        };
        let indicator_id = Uuid::parse_str(f.indicator.trim())
            .map_err(|_| ApiError::invalid_field("indicator", "pilih indikator"))?;
        let period = Period::parse(&f.period)?;
        let note = Some(f.note.trim().to_string()).filter(|n| !n.is_empty());
        if let Some(n) = &note {
            crate::http::officers::text("note", n, true)?;
        }
        // The realisation is in the unit of the indicator's target.
        let loaded = state.app.load_plan(&r, now).await?;
        let unit = loaded
            .plan
            .results
            .values()
            .flat_map(|res| res.indicators.iter())
            .find(|i| i.id == indicator_id)
            .ok_or_else(|| ApiError::not_found("Indikator"))?
            .target
            .as_ref()
            .map_or_else(|| "satuan".to_string(), |t| t.unit.clone());
        let evidence = Evidence::new(
            f.evidence_uri.trim(),
            &f.evidence_sha256.trim().to_ascii_lowercase(),
            f.media_type.trim(),
        )?;
        let command = PlanCommand::FileReport {
            report_id: Uuid::now_v7(),
            indicator_id,
            period,
            realisation: Realisation {
                value: Quantity::new(Milli::parse(f.value.trim())?, &unit)?,
                evidence: vec![evidence],
                note,
            },
            client_time: None,
        };
        s.caller.require_writer()?;
        let actor = s.caller.actor(Role::Pegawai);
        let meta = s.meta(Role::Pegawai, None, &f.idem);
        Ok::<_, ApiError>(
            state
                .app
                .plan_command(&r, command, &actor, &meta, now)
                .await?,
        )
    }
    .await;
    let ok = s.lang.messages().report_saved;
    Ok(after_command(&state, &back, result, ok).await)
}

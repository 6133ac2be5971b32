//! Atasan (supervisor): my team, live. Who has reported in the period, the SKPs waiting for my
//! approval, the evaluations to make with the suggested rating (R4) and the evidence beside each
//! realisation, and the predikat distribution of the team's unit against its quota (R5) as a
//! chart. The page follows the live feed (`/api/v1/live` with the session cookie): on each change
//! `assets/app.js` fetches [`parts`] (the same sections, rendered by the same template) and swaps
//! them in place, leaving a form the user is typing in alone.
//!
//! Approving and evaluating go through [`crate::app::App::plan_command`] like the JSON API.

use std::collections::BTreeMap;

use askama::Template;
use axum::Router;
use axum::extract::{Form, Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use chrono::Utc;
use serde::Deserialize;
use uuid::Uuid;

use super::auditor::form_value;
use super::chart::Chart;
use super::officer::{IndicatorRow, own_nip, progress};
use super::session::{Session, after_command};
use super::{Chrome, WebError, period_options, period_or, render, this_quarter, year_or};
use crate::app::plans::PlanRef;
use crate::domain::plan::{PlanCommand, ResultRating};
use crate::domain::values::{ActorId, JenisRhk};
use crate::domain::{Evidence, Period, PredikatPegawai, Rating, Role, Year, rules};
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::projections::{dashboards, projector};
use crate::projections::docs::{OfficerDoc, period_code};
use crate::projections::scorecard::{self, PlanCard};
use crate::projections::training;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/ui/atasan", get(page))
        .route("/ui/atasan/bagian", get(parts))
        .route("/ui/atasan/setujui", post(approve))
        .route("/ui/atasan/nilai", post(evaluate))
}

pub struct TeamRow {
    pub nip: String,
    pub name: String,
    pub plan_status: &'static str,
    pub reported: bool,
    /// Indicators reported in the period, e.g. "2/3".
    pub last_report: String,
    pub evaluation: String,
}

pub struct ToApprove {
    pub nip: String,
    pub name: String,
    pub idem: String,
    pub lines: Vec<String>,
}

pub struct EvalIndicator {
    pub indicator: String,
    pub target: String,
    pub realisation: String,
    pub capaian: String,
    pub progress: u32,
    pub evidence: Vec<Evidence>,
}

pub struct EvalResult {
    pub id: Uuid,
    pub text: String,
    pub indicators: Vec<EvalIndicator>,
    pub ratings: Vec<(&'static str, &'static str, bool)>,
}

pub struct ToEvaluate {
    pub nip: String,
    pub name: String,
    pub idem: String,
    pub results: Vec<EvalResult>,
    pub suggested: &'static str,
    pub work: Vec<(&'static str, &'static str, bool)>,
    pub behaviour: Vec<(&'static str, &'static str, bool)>,
}

/// Everything the live sections show.
pub struct SupervisorView {
    pub year: i32,
    pub period_code: &'static str,
    pub period_label: &'static str,
    pub periods: Vec<(&'static str, &'static str, bool)>,
    pub feed_url: String,
    pub parts_url: String,
    pub team: Vec<TeamRow>,
    pub reported: usize,
    pub to_approve: Vec<ToApprove>,
    pub to_evaluate: Vec<ToEvaluate>,
    pub distribution: Chart,
    pub dist_unit: Option<String>,
    pub quota_text: String,
    pub violations: Vec<String>,
}

#[derive(Template)]
#[template(path = "supervisor.html")]
struct SupervisorPage {
    c: Chrome,
    v: SupervisorView,
}

#[derive(Template)]
#[template(path = "supervisor_fragment.html")]
struct SupervisorParts {
    c: Chrome,
    v: SupervisorView,
}

#[derive(Deserialize)]
struct PeriodQuery {
    period: Option<String>,
    year: Option<i32>,
}

/// The officers `me` appraises (or is atasan of) in `year`.
async fn team_of(state: &AppState, me: &str, year: i32) -> Result<Vec<OfficerDoc>, WebError> {
    let p = projector(state)?;
    let mut team: Vec<OfficerDoc> = training::all_officers(p.db())
        .await?
        .into_iter()
        .filter(|o| o.is_appraised_by(me, Some(year)))
        .collect();
    team.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(team)
}

/// Whether the signed-in officer appraises anyone this year.
pub async fn has_team(state: &AppState, s: &Session) -> Result<bool, WebError> {
    let Some(me) = s.caller.nip() else {
        return Ok(false);
    };
    if state.projector.is_none() {
        return Ok(false);
    }
    Ok(!team_of(state, me.as_str(), this_quarter().0)
        .await?
        .is_empty())
}

/// R4's per-result starting point from the capaian: every indicator at or above target →
/// SESUAI, any below → DI_BAWAH; the appraiser changes it (DI_ATAS is their call).
fn starting_rating(lines: &[&crate::projections::scorecard::IndicatorLine]) -> Rating {
    if lines
        .iter()
        .any(|i| i.capaian_percent.is_some_and(|c| c < 100.0) || i.realisation.is_none())
    {
        Rating::DiBawah
    } else {
        Rating::Sesuai
    }
}

async fn evaluation_of(
    state: &AppState,
    s: &Session,
    o: &OfficerDoc,
    plan: &PlanCard,
    year: i32,
    period: Period,
) -> Result<ToEvaluate, WebError> {
    let m = s.lang.messages();
    let r = PlanRef {
        nip: crate::domain::Nip::parse(&o.nip)?,
        year: Year::new(year)?,
        seq: Some(plan.seq),
    };
    let loaded = state.app.load_plan(&r, Utc::now()).await?;
    let mut evidence: BTreeMap<Uuid, Vec<Evidence>> = BTreeMap::new();
    for rep in loaded.plan.reports.values() {
        if !rep.withdrawn && (period == Period::Tahunan || rep.period == period) {
            evidence
                .entry(rep.indicator_id)
                .or_default()
                .extend(rep.evidence.iter().cloned());
        }
    }
    let mut order: Vec<Uuid> = Vec::new();
    let mut by_result: BTreeMap<Uuid, Vec<&scorecard::IndicatorLine>> = BTreeMap::new();
    for i in &plan.indicators {
        if !order.contains(&i.result_id) {
            order.push(i.result_id);
        }
        by_result.entry(i.result_id).or_default().push(i);
    }
    let mut results = Vec::new();
    let mut pairs: Vec<(JenisRhk, Rating)> = Vec::new();
    for id in order {
        let lines = &by_result[&id];
        let start = starting_rating(lines);
        pairs.push((lines[0].jenis, start));
        results.push(EvalResult {
            id,
            text: lines[0].result.clone(),
            indicators: lines
                .iter()
                .map(|i| {
                    let row = IndicatorRow::of(i);
                    EvalIndicator {
                        indicator: row.indicator,
                        target: row.target,
                        realisation: row.realisation,
                        capaian: row.capaian,
                        progress: progress(i.capaian_percent),
                        evidence: evidence.get(&i.indicator_id).cloned().unwrap_or_default(),
                    }
                })
                .collect(),
            ratings: m.rating_options(start),
        });
    }
    let suggested = rules::suggest_hasil_kerja(&pairs);
    Ok(ToEvaluate {
        nip: o.nip.clone(),
        name: o.name.clone(),
        idem: Uuid::now_v7().to_string(),
        results,
        suggested: m.rating(suggested),
        work: m.rating_options(suggested),
        behaviour: m.rating_options(Rating::Sesuai),
    })
}

async fn view(state: &AppState, s: &Session, q: &PeriodQuery) -> Result<SupervisorView, WebError> {
    let me = own_nip(s)?;
    let m = s.lang.messages();
    let (this_year, quarter) = this_quarter();
    let year = year_or(q.year, this_year);
    let period = period_or(q.period.as_deref(), quarter);
    let p = projector(state)?;
    let config = &state.app.config;
    let today = Utc::now().date_naive();
    let (start, end) = Year::new(year).map_or((today, today), |y| period.range(y));
    let team = team_of(state, me.as_str(), year).await?;
    let mut rows = Vec::new();
    let mut to_approve = Vec::new();
    let mut to_evaluate = Vec::new();
    let mut units: BTreeMap<String, usize> = BTreeMap::new();
    for o in &team {
        if let Some(u) = &o.unit {
            *units.entry(u.clone()).or_default() += 1;
        }
        let card = scorecard::scorecard(p.db(), config, &o.nip, year, period).await?;
        let plan = card.as_ref().and_then(|c| c.plans.last());
        let total = plan.map_or(0, |pc| pc.indicators.len());
        let done = plan.map_or(0, |pc| {
            pc.indicators
                .iter()
                .filter(|i| i.realisation.is_some())
                .count()
        });
        rows.push(TeamRow {
            nip: o.nip.clone(),
            name: o.name.clone(),
            plan_status: m.plan_status(plan.map_or("", |pc| pc.status.as_str())),
            reported: done > 0,
            last_report: format!("{done}/{total}"),
            evaluation: plan
                .and_then(|pc| pc.evaluation.as_ref())
                .map_or_else(|| "–".to_string(), |e| m.predikat(e.predikat).to_string()),
        });
        let Some(plan) = plan else { continue };
        // Only the appraiser assigned for the period acts; the atasan sees the team.
        let on = end.min(today).max(start);
        let appraiser = o
            .assignment_at(on)
            .is_some_and(|a| matches!(&a.penilai, ActorId::Nip(n) if n == &me));
        if !appraiser {
            continue;
        }
        match plan.status.as_str() {
            "SUBMITTED" => to_approve.push(ToApprove {
                nip: o.nip.clone(),
                name: o.name.clone(),
                idem: Uuid::now_v7().to_string(),
                lines: plan
                    .indicators
                    .iter()
                    .map(|i| {
                        let t = i
                            .target
                            .as_ref()
                            .map(ToString::to_string)
                            .unwrap_or_default();
                        format!("{} · {} ({t})", i.result, i.indicator)
                    })
                    .collect(),
            }),
            "APPROVED" if plan.evaluation.is_none() && start <= today => {
                to_evaluate.push(evaluation_of(state, s, o, plan, year, period).await?);
            }
            _ => {}
        }
    }
    let reported = rows.iter().filter(|r| r.reported).count();
    let dist_unit = units
        .iter()
        .max_by_key(|(_, n)| **n)
        .map(|(u, _)| u.clone());
    let mut counts: BTreeMap<PredikatPegawai, u32> = BTreeMap::new();
    let (mut quota_text, mut violations) = (m.quota_none.to_string(), Vec::new());
    if let Some(u) = &dist_unit {
        let d = dashboards(state)?
            .dashboard(config, p.position(), u, year, period, Utc::now())
            .await?;
        if let Some(line) = d.as_ref().and_then(|d| d.units.first()) {
            let dist = &line.figures.distribution;
            counts.clone_from(&dist.counts);
            match dist.quota_ok {
                None => {}
                Some(true) => quota_text = m.quota_ok.to_string(),
                Some(false) => {
                    quota_text = m.quota_broken.to_string();
                    violations = dist.violations.iter().map(|v| v.rule.clone()).collect();
                }
            }
        }
    }
    let distribution = predikat_chart("dist", m.distribution, m, &counts);
    let code = period_code(period);
    Ok(SupervisorView {
        year,
        period_code: code,
        period_label: period.label(),
        periods: period_options(period),
        feed_url: format!("/api/v1/live?period={code}&year={year}"),
        parts_url: format!("/ui/atasan/bagian?period={code}&year={year}"),
        team: rows,
        reported,
        to_approve,
        to_evaluate,
        distribution,
        dist_unit,
        quota_text,
        violations,
    })
}

/// A chart of predikat counts, best first.
pub fn predikat_chart(
    id: &str,
    title: &str,
    m: &crate::web::i18n::Messages,
    counts: &BTreeMap<PredikatPegawai, u32>,
) -> Chart {
    use PredikatPegawai as P;
    let rows = [
        P::SangatBaik,
        P::Baik,
        P::ButuhPerbaikan,
        P::KurangMisconduct,
        P::SangatKurang,
    ]
    .into_iter()
    .map(|x| {
        let n = counts.get(&x).copied().unwrap_or(0);
        let class = if matches!(x, P::SangatBaik | P::Baik) {
            "ok"
        } else {
            "warn"
        };
        (
            m.predikat(x).to_string(),
            f64::from(n),
            n.to_string(),
            class,
        )
    });
    Chart::new(id, title, rows, 1.0)
}

async fn page(
    State(state): State<AppState>,
    s: Session,
    Query(q): Query<PeriodQuery>,
) -> Result<Response, WebError> {
    let v = view(&state, &s, &q).await?;
    let path = format!("/ui/atasan?period={}&year={}", v.period_code, v.year);
    let m = s.lang.messages();
    let c = Chrome::for_session(&s, &path, m.supervisor_title, "/ui/atasan");
    render(&c, &SupervisorPage { c: c.clone(), v })
}

/// The live sections alone, for the script to swap in.
async fn parts(
    State(state): State<AppState>,
    s: Session,
    Query(q): Query<PeriodQuery>,
) -> Result<Response, WebError> {
    let v = view(&state, &s, &q).await?;
    let mut c = Chrome::for_session(&s, "/ui/atasan", "", "/ui/atasan");
    c.flash = None;
    render(&c, &SupervisorParts { c: c.clone(), v })
}

#[derive(Deserialize)]
struct ApproveForm {
    csrf: String,
    #[serde(default)]
    idem: String,
    nip: String,
    year: i32,
}

fn plan_ref(nip: &str, year: i32) -> Result<PlanRef, ApiError> {
    Ok(PlanRef {
        nip: crate::domain::Nip::parse(nip)?,
        year: Year::new(year)?,
        seq: None,
    })
}

async fn approve(
    State(state): State<AppState>,
    s: Session,
    Form(f): Form<ApproveForm>,
) -> Result<Response, WebError> {
    s.check_csrf(&f.csrf)?;
    let result = async {
        s.caller.require_writer()?;
        let r = plan_ref(&f.nip, f.year)?;
        let actor = s.caller.actor(Role::Penilai);
        let meta = s.meta(Role::Penilai, None, &f.idem);
        Ok::<_, ApiError>(
            state
                .app
                .plan_command(&r, PlanCommand::ApprovePlan, &actor, &meta, Utc::now())
                .await?,
        )
    }
    .await;
    let back = format!("/ui/atasan?year={}", f.year);
    let ok = s.lang.messages().plan_approved;
    Ok(after_command(&state, &back, result, ok).await)
}

fn rating(field: &str, raw: &str) -> Result<Rating, ApiError> {
    match raw {
        "DI_ATAS" => Ok(Rating::DiAtas),
        "SESUAI" => Ok(Rating::Sesuai),
        "DI_BAWAH" => Ok(Rating::DiBawah),
        _ => Err(ApiError::invalid_field(
            field.to_string(),
            "salah satu dari DI_ATAS, SESUAI, DI_BAWAH",
        )),
    }
}

/// The evaluation form: fixed fields and one `rr_{result id}` per result.
async fn evaluate(
    State(state): State<AppState>,
    s: Session,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let get = |k: &str| {
        fields
            .iter()
            .find(|(n, _)| n == k)
            .map_or("", |(_, v)| v.as_str())
    };
    s.check_csrf(get("csrf"))?;
    let year: i32 = get("year").parse().unwrap_or(0);
    let period_raw = get("period").to_string();
    let result = async {
        s.caller.require_writer()?;
        let r = plan_ref(get("nip"), year)?;
        let period = Period::parse(&period_raw)?;
        let mut result_ratings = Vec::new();
        for (k, v) in &fields {
            if let Some(id) = k.strip_prefix("rr_") {
                let result_id = Uuid::parse_str(id)
                    .map_err(|_| ApiError::invalid_field(k.clone(), "harus UUID"))?;
                result_ratings.push(ResultRating {
                    result_id,
                    rating: rating(k, v)?,
                });
            }
        }
        let note = Some(get("note").trim().to_string()).filter(|n| !n.is_empty());
        if let Some(n) = &note {
            crate::http::officers::text("note", n, true)?;
        }
        let command = PlanCommand::RecordEvaluation {
            period,
            hasil_kerja: rating("hasil_kerja", get("hasil_kerja"))?,
            perilaku: rating("perilaku", get("perilaku"))?,
            result_ratings,
            behaviour_feedback: Vec::new(),
            note,
        };
        let actor = s.caller.actor(Role::Penilai);
        let meta = s.meta(Role::Penilai, None, get("idem"));
        Ok::<_, ApiError>(
            state
                .app
                .plan_command(&r, command, &actor, &meta, Utc::now())
                .await?,
        )
    }
    .await;
    let back = format!("/ui/atasan?period={}&year={year}", form_value(&period_raw));
    let ok = s.lang.messages().evaluation_saved;
    Ok(after_command(&state, &back, result, ok).await)
}

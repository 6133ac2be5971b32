//! Pimpinan (leaders): the dashboard of a unit with its sub-units, or of the whole city (the root
//! unit), as charts: reports filed, evaluations done, the predikat distribution, IKM per quarter,
//! training compliance (R17) and adoption. The figures are [`crate::projections::dashboard`]'s,
//! read with the same access rule as `GET /api/v1/units/{code}/dashboard/{year}`.

use std::collections::BTreeMap;

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use chrono::Utc;
use serde::Deserialize;

use super::auditor::form_value;
use super::chart::Chart;
use super::session::Session;
use super::supervisor::predikat_chart;
use super::{Chrome, WebError, period_options, period_or, render, this_quarter, year_or};
use crate::domain::Period;
use crate::http::AppState;
use crate::http::projections::{dashboards, may_read_unit, projector};
use crate::projections::dashboard::{self, Figures};
use crate::projections::docs::period_code;
use crate::projections::survey;

pub fn router() -> Router<AppState> {
    Router::new().route("/ui/pimpinan", get(page))
}

struct UnitChoice {
    code: String,
    label: String,
    selected: bool,
}

struct IkmRow {
    unit: String,
    quarters: Vec<String>,
}

#[derive(Template)]
#[template(path = "leader.html")]
struct LeaderPage {
    c: Chrome,
    units: Vec<UnitChoice>,
    unit: String,
    name: String,
    year: i32,
    periods: Vec<(&'static str, &'static str, bool)>,
    officers: u32,
    charts: Vec<Chart>,
    ikm_rows: Vec<IkmRow>,
}

#[derive(Deserialize)]
struct LeaderQuery {
    unit: Option<String>,
    year: Option<i32>,
    period: Option<String>,
}

fn pct(share: f64) -> String {
    format!("{:.0} %", share * 100.0)
}

/// One bar per unit of `lines` with `value` (a share 0–1 when `share`).
fn per_unit(
    id: &str,
    title: &str,
    lines: &[dashboard::UnitLine],
    value: impl Fn(&Figures) -> (f64, String),
    max: f64,
) -> Chart {
    let rows = lines.iter().map(|l| {
        let (v, shown) = value(&l.figures);
        (l.code.clone(), v, shown, "")
    });
    Chart::new(id, title, rows, max)
}

async fn page(
    State(state): State<AppState>,
    s: Session,
    Query(q): Query<LeaderQuery>,
) -> Result<Response, WebError> {
    let m = s.lang.messages();
    let p = projector(&state)?;
    let config = &state.app.config;
    let (this_year, quarter) = this_quarter();
    let year = year_or(q.year, this_year);
    let period = period_or(q.period.as_deref(), quarter);
    let all = dashboard::units(p.db()).await?;
    // Default: the unit the caller heads, else the city (the first unit without a parent).
    let headed = s.caller.nip().and_then(|me| {
        all.values()
            .find(|u| u.head.as_deref() == Some(me.as_str()))
    });
    let root = all.values().find(|u| u.parent.is_none());
    let unit = q
        .unit
        .clone()
        .filter(|u| !u.is_empty())
        .or_else(|| headed.or(root).map(|u| u.code.clone()))
        .unwrap_or_default();
    let path = format!(
        "/ui/pimpinan?unit={}&year={year}&period={}",
        form_value(&unit),
        period_code(period)
    );
    let c = Chrome::for_session(&s, &path, m.leader_title, "/ui/pimpinan");
    let units = all
        .values()
        .map(|u| UnitChoice {
            code: u.code.clone(),
            label: format!("{} — {}", u.code, u.name),
            selected: u.code == unit,
        })
        .collect();
    let mut page = LeaderPage {
        c: c.clone(),
        units,
        unit: unit.clone(),
        name: String::new(),
        year,
        periods: period_options(period),
        officers: 0,
        charts: Vec::new(),
        ikm_rows: Vec::new(),
    };
    if unit.is_empty() {
        return render(&c, &page);
    }
    let at = p.position();
    may_read_unit(&s.caller, &state, &unit, year, at).await?;
    let Some(d) = dashboards(&state)?
        .dashboard(config, at, &unit, year, period, Utc::now())
        .await?
    else {
        return Err(WebError::Api(crate::http::error::ApiError::not_found(
            "Unit",
        )));
    };
    let t = &d.total;
    page.name.clone_from(&d.name);
    page.officers = t.officers;
    let ev = &t.evaluations;
    let evaluations = Chart::new(
        "evaluasi",
        &format!("{} · {}", m.evaluations_done, period.label()),
        [
            (
                m.evaluations_done.to_string(),
                f64::from(ev.done),
                ev.done.to_string(),
                "ok",
            ),
            (
                m.evaluations_pending.to_string(),
                f64::from(ev.pending),
                ev.pending.to_string(),
                "",
            ),
            (
                m.evaluations_overdue.to_string(),
                f64::from(ev.overdue),
                ev.overdue.to_string(),
                "warn",
            ),
        ],
        1.0,
    );
    // IKM per quarter: every unit's survey cells of the tree pooled, and per unit.
    let tree = dashboard::subtree(&all, &unit);
    let mut docs = Vec::new();
    for code in &tree {
        if let Some(doc) = survey::survey_of(p.db(), code, year).await? {
            docs.push(doc);
        }
    }
    let quarters = [Period::Tw1, Period::Tw2, Period::Tw3, Period::Tw4];
    let weights = &config.ikm_default_weights;
    let pooled = quarters.iter().map(|q| {
        let sum = survey::summarise(docs.iter().flat_map(|d| d.cells.values()), *q, weights);
        let v = sum.ikm.unwrap_or(0.0);
        let shown = sum
            .ikm
            .map_or_else(|| "–".to_string(), |x| format!("{x:.2}"));
        (q.label().to_string(), v, shown, "")
    });
    let ikm = Chart::new("ikm", m.ikm_over_time, pooled, 100.0);
    let mut ikm_by_unit: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for doc in &docs {
        let row = quarters
            .iter()
            .map(|q| {
                doc.summary(*q, config)
                    .ikm
                    .map_or_else(|| "–".to_string(), |x| format!("{x:.2}"))
            })
            .collect();
        ikm_by_unit.insert(doc.unit.clone(), row);
    }
    page.ikm_rows = ikm_by_unit
        .into_iter()
        .map(|(unit, quarters)| IkmRow { unit, quarters })
        .collect();
    page.charts = vec![
        per_unit(
            "laporan",
            &format!("{} · {} ({})", m.reports_filed, period.label(), m.per_unit),
            &d.units,
            |f| (f64::from(f.reports.filed), f.reports.filed.to_string()),
            1.0,
        ),
        evaluations,
        predikat_chart(
            "predikat",
            &format!("{} · {}", m.distribution, period.label()),
            m,
            &t.distribution.counts,
        ),
        ikm,
        per_unit(
            "jp",
            &format!("{} ({})", m.training_compliance, m.per_unit),
            &d.units,
            |f| (f.training.share, pct(f.training.share)),
            1.0,
        ),
        per_unit(
            "adopsi",
            &format!("{} ({})", m.adoption, m.per_unit),
            &d.units,
            |f| (f.adoption.share, pct(f.adoption.share)),
            1.0,
        ),
    ];
    render(&c, &page)
}

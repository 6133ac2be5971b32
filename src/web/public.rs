//! Publik: the survey form reached with a code (nine questions scored 1–4, made for a phone),
//! and the public IKM page per unit with the latest signed ledger head. No sign-in.
//!
//! An answer is handed to the API's own public route (`POST /api/v1/public/survey`, the same
//! router with its own per-address limiter), so code checks, expiry, single use and what is
//! recorded are exactly the API's.

use std::net::SocketAddr;
use std::num::NonZeroU32;

use askama::Template;
use axum::body::Body;
use axum::extract::{ConnectInfo, Form, Query, State};
use axum::http::{Request, header};
use axum::response::Response;
use axum::routing::get;
use axum::{Extension, Router};
use governor::Quota;
use serde::Deserialize;
use serde_json::{Value, json};
use tower::ServiceExt;

use super::chart::Chart;
use super::session::{Flash, MaybeSession, Visitor, redirect_with};
use super::{Chrome, HeadView, WebError, render};
use crate::domain::Period;
use crate::domain::survey::ELEMENTS;
use crate::http::AppState;
use crate::http::projections::projector;
use crate::http::survey::{PUBLIC_PER_MINUTE, public_router};
use crate::projections::{dashboard, survey};

/// The API's public survey route, kept for the life of the web router (its limiter with it).
#[derive(Clone)]
struct SurveyApi(Router<AppState>);

pub fn router() -> Router<AppState> {
    let quota = Quota::per_minute(NonZeroU32::new(PUBLIC_PER_MINUTE).unwrap_or(NonZeroU32::MIN));
    Router::new()
        .route("/ui/publik", get(summary))
        .route("/ui/survei", get(form).post(answer))
        .layer(Extension(SurveyApi(public_router(quota))))
}

struct UnitIkm {
    code: String,
    name: String,
    ikm: String,
    category: String,
    respondents: u64,
}

#[derive(Template)]
#[template(path = "public.html")]
struct PublicPage {
    c: Chrome,
    year: Option<i32>,
    units: Vec<UnitIkm>,
    chart: Chart,
    head: Option<HeadView>,
}

#[derive(Deserialize)]
struct YearQuery {
    year: Option<i32>,
}

/// Chrome for a public page: with the navigation when someone is signed in.
fn public_chrome(s: &MaybeSession, v: &Visitor, title: &str) -> Chrome {
    match &s.0 {
        Some(s) => Chrome::for_session(s, &v.path, title, "/ui/publik"),
        None => v.chrome(title),
    }
}

async fn summary(
    State(state): State<AppState>,
    s: MaybeSession,
    v: Visitor,
    Query(q): Query<YearQuery>,
) -> Result<Response, WebError> {
    let m = v.lang.messages();
    let p = projector(&state)?;
    let config = &state.app.config;
    let year = q.year.filter(|y| (2000..=2100).contains(y));
    let docs = survey::surveys(p.db(), year).await?;
    let names = dashboard::units(p.db()).await?;
    let mut units = Vec::new();
    for d in &docs {
        let sum = d.summary(Period::Tahunan, config);
        if let Some(ikm) = sum.ikm {
            units.push(UnitIkm {
                code: d.unit.clone(),
                name: names
                    .get(&d.unit)
                    .map(|u| u.name.clone())
                    .unwrap_or_default(),
                ikm: format!("{ikm:.2}"),
                category: sum.category_label.clone().unwrap_or_default(),
                respondents: sum.respondents,
            });
        }
    }
    let year = year.or_else(|| docs.first().map(|d| d.year));
    let chart = Chart::new(
        "ikm-unit",
        m.public_title,
        units.iter().map(|u| {
            let v: f64 = u.ikm.parse().unwrap_or(0.0);
            (u.code.clone(), v, u.ikm.clone(), "ok")
        }),
        100.0,
    );
    let head = state
        .app
        .store
        .latest_tree_head()
        .await
        .map_err(crate::http::error::ApiError::from)?
        .as_ref()
        .map(HeadView::from);
    let c = public_chrome(&s, &v, m.public_title);
    let page = PublicPage {
        c: c.clone(),
        year,
        units,
        chart,
        head,
    };
    render(&c, &page)
}

struct Question {
    n: usize,
    text: &'static str,
}

#[derive(Template)]
#[template(path = "survey.html")]
struct SurveyPage {
    c: Chrome,
    code: String,
    questions: Vec<Question>,
    scale: [&'static str; 4],
}

#[derive(Deserialize)]
struct CodeQuery {
    kode: Option<String>,
}

async fn form(
    s: MaybeSession,
    v: Visitor,
    Query(q): Query<CodeQuery>,
) -> Result<Response, WebError> {
    let m = v.lang.messages();
    let c = public_chrome(&s, &v, m.survey_title);
    let page = SurveyPage {
        c: c.clone(),
        code: q.kode.unwrap_or_default(),
        questions: m
            .survey_elements()
            .into_iter()
            .enumerate()
            .map(|(i, text)| Question { n: i + 1, text })
            .collect(),
        scale: [
            m.survey_scale_1,
            m.survey_scale_2,
            m.survey_scale_3,
            m.survey_scale_4,
        ],
    };
    render(&c, &page)
}

async fn answer(
    State(state): State<AppState>,
    Extension(api): Extension<SurveyApi>,
    v: Visitor,
    connect: Option<Extension<ConnectInfo<SocketAddr>>>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let get = |k: &str| {
        fields
            .iter()
            .find(|(n, _)| n == k)
            .map_or("", |(_, v)| v.trim())
    };
    let code = get("code").to_string();
    // Unanswered questions go as 0: the API names the first one.
    let answers: Vec<i64> = (1..=ELEMENTS)
        .map(|i| get(&format!("u{i}")).parse().unwrap_or(0))
        .collect();
    let comment = Some(get("comment").to_string()).filter(|c| !c.is_empty());
    let body = json!({ "code": code, "answers": answers, "comment": comment });
    let mut req = Request::post("/public/survey")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .map_err(|e| {
            WebError::Api(crate::http::error::ApiError::invalid_field(
                "body",
                e.to_string(),
            ))
        })?;
    if let Some(Extension(ci)) = connect {
        req.extensions_mut().insert(ci);
    }
    let response = api.0.with_state(state.clone()).oneshot(req).await;
    let Ok(response) = response;
    let ok = response.status().is_success();
    let bytes = axum::body::to_bytes(response.into_body(), 64 * 1024)
        .await
        .unwrap_or_default();
    let answer: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    let m = v.lang.messages();
    if ok {
        if let (Some(p), Some(pos)) = (&state.projector, answer["position"].as_u64()) {
            let _ = p.wait_for(pos, p.wait_limit).await;
        }
        Ok(redirect_with("/ui/publik", &Flash::ok(m.survey_thanks)))
    } else {
        let detail = answer["detail"]
            .as_str()
            .unwrap_or(m.error_title)
            .to_string();
        let back = format!("/ui/survei?kode={}", super::auditor::form_value(&code));
        Ok(redirect_with(&back, &Flash::error(detail)))
    }
}

//! The public-satisfaction survey (SKM, PermenPANRB 14/2017): single-use codes handed out with a
//! service, the public answer endpoint (no token, rate-limited per client address), the unit's
//! element weights, IKM per period (R13, R14) with sample adequacy (R16), and improvement actions
//! for a period whose category is C or D. All of it lives in the `survey-{unit}_{year}` stream.
//!
//! # Survey codes
//!
//! A code reads `{UNIT}-{YEAR}-{RANDOM}`, e.g. `DISDUKCAPIL-2025-7KQ2M9XH4T`: the unit code and
//! the year name the stream to load (the unit code may itself contain `-` or `.`, so the code is
//! split from the right), and `RANDOM` is 10 characters from a 32-letter alphabet without
//! look-alikes (`0`, `1`, `I`, `O`): 50 bits from the operating system's generator. Codes are
//! case-insensitive. The admin sees the codes once, in the answer to the issuing request; the
//! stream records only their SHA-256 (hex, of the upper-case code). A code is valid for
//! [`CODE_VALID_DAYS`] days after it was issued and can be used once. An Idempotency-Key is
//! ignored when issuing codes: the codes cannot be shown again, so a retry issues a new batch
//! (unused codes are harmless).
//!
//! # What the public answer records
//!
//! The code's digest, the nine scores, the optional comment and the server time; the event
//! metadata holds only the request id and the server time. No token, address or other personal
//! data is stored. The rate limiter keeps client addresses (IPv6 by /64) in memory only.

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts, Path, Query, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use chrono::Duration;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use rand::Rng;
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::auth::{Ctx, request_meta};
use super::awards::{created_at, new_id, path_uuid};
use super::error::{ApiError, AppJson};
use super::units::created;
use super::{AppState, with_etag};
use crate::app::{AppError, Meta, stream};
use crate::domain::rules;
use crate::domain::survey::{self, ELEMENTS};
use crate::domain::{
    DomainError, DomainEvent, Period, Role, SurveyCommand, SurveyEvent, UnitCode, UnitEvent, Year,
};

pub use crate::domain::survey::CODE_VALID_DAYS;
/// Most codes issued in one request.
pub const MAX_CODES_PER_BATCH: u32 = 500;
/// Length of the random part of a code.
pub const CODE_RANDOM_LEN: usize = 10;
/// The alphabet of the random part (no 0/O, 1/I).
pub const CODE_ALPHABET: &[u8; 32] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
/// Public answers allowed per client address: a burst of this many, refilled at this many per
/// minute.
pub const PUBLIC_PER_MINUTE: u32 = 10;

/// The routes of this resource (admin routes and the public answer route).
pub fn router() -> Router<AppState> {
    let quota = Quota::per_minute(NonZeroU32::new(PUBLIC_PER_MINUTE).unwrap_or(NonZeroU32::MIN));
    Router::new()
        .route("/units/{code}/survey-codes", post(issue_survey_codes))
        .route("/units/{code}/survey-weights", post(set_survey_weights))
        .route("/units/{code}/surveys/{year}", get(get_unit_survey))
        .route(
            "/units/{code}/improvement-actions",
            post(open_improvement_action),
        )
        .route(
            "/units/{code}/improvement-actions/{id}/close",
            post(close_improvement_action),
        )
        .merge(public_router(quota))
}

/// `POST /public/survey` with its own per-address limiter (one per router, so each service
/// instance and each test has its own).
pub fn public_router(quota: Quota) -> Router<AppState> {
    Router::new()
        .route("/public/survey", post(answer_survey))
        .layer(Extension(Arc::new(PublicLimiter::new(quota))))
}

/// Per-client-address limiter of the public survey endpoint.
pub struct PublicLimiter {
    limiter: DefaultKeyedRateLimiter<IpAddr>,
}

impl PublicLimiter {
    pub fn new(quota: Quota) -> Self {
        Self {
            limiter: RateLimiter::keyed(quota),
        }
    }

    /// `Err(seconds to wait)` when `addr` is over its quota.
    pub fn check(&self, addr: IpAddr) -> Result<(), u64> {
        if self.limiter.len() > 100_000 {
            self.limiter.retain_recent();
        }
        let key = match addr {
            IpAddr::V4(_) => addr,
            IpAddr::V6(v6) => {
                if let Some(v4) = v6.to_ipv4_mapped() {
                    IpAddr::V4(v4)
                } else {
                    let mut seg = v6.segments();
                    seg[4..].fill(0);
                    IpAddr::V6(seg.into())
                }
            }
        };
        self.limiter.check_key(&key).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
        })
    }
}

/// A client of the public endpoint that is within its rate limit. Rejects with 429 and
/// `Retry-After` before the body is read.
pub struct PublicClient;

impl<S: Send + Sync> FromRequestParts<S> for PublicClient {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let Some(limiter) = parts.extensions.get::<Arc<PublicLimiter>>() else {
            return Ok(PublicClient);
        };
        let addr = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::from([0, 0, 0, 0]), |c| c.0.ip());
        limiter.check(addr).map(|()| PublicClient).map_err(|secs| {
            let secs = secs.max(1);
            let mut e = ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "RATE_LIMITED",
                format!(
                    "Terlalu banyak pengiriman survei dari alamat ini. Silakan coba lagi dalam {secs} detik."
                ),
            );
            e.retry_after = Some(secs);
            e
        })
    }
}

fn unit_code(raw: &str) -> Result<UnitCode, ApiError> {
    UnitCode::parse(raw).map_err(ApiError::from)
}

/// A new random survey code for a unit and year.
pub fn new_code(unit: &UnitCode, year: Year) -> String {
    let mut rng = rand::rngs::OsRng;
    let random: String = (0..CODE_RANDOM_LEN)
        .map(|_| char::from(CODE_ALPHABET[rng.gen_range(0..CODE_ALPHABET.len())]))
        .collect();
    format!("{unit}-{year}-{random}", year = year.get())
}

/// The stored form of a code: hex SHA-256 of the trimmed, upper-case code.
pub fn code_digest(code: &str) -> String {
    hex::encode(Sha256::digest(code.trim().to_ascii_uppercase().as_bytes()))
}

/// The unit and year a code belongs to, when it has the shape of a code.
pub fn parse_code(code: &str) -> Option<(UnitCode, Year)> {
    let code = code.trim().to_ascii_uppercase();
    let mut parts = code.rsplitn(3, '-');
    let random = parts.next()?;
    let year = parts.next()?;
    let unit = parts.next()?;
    let random_ok =
        random.len() == CODE_RANDOM_LEN && random.bytes().all(|b| CODE_ALPHABET.contains(&b));
    if !random_ok {
        return None;
    }
    let year = Year::new(year.parse().ok()?).ok()?;
    Some((UnitCode::parse(unit).ok()?, year))
}

async fn unit_exists(state: &AppState, code: &UnitCode) -> Result<(), ApiError> {
    state
        .app
        .load_existing::<UnitEvent>(&stream(crate::domain::unit::stream_id(code))?, "Unit")
        .await?;
    Ok(())
}

async fn run(
    state: &AppState,
    meta: &Meta,
    at: chrono::DateTime<chrono::Utc>,
    unit: &UnitCode,
    year: Year,
    command: SurveyCommand,
) -> Result<crate::app::Committed, ApiError> {
    let config = state.app.config.clone();
    Ok(state
        .app
        .execute::<SurveyEvent>(&stream(survey::stream_id(unit, year))?, meta, at, |s| {
            survey::decide(s, &command, &config, at)
        })
        .await?)
}

// ---------------------------------------------------------------------------------------------
// Codes
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct IssueCodes {
    year: Year,
    period: Period,
    /// The service the codes are handed out with (jenis layanan).
    service: String,
    /// How many codes, 1–500.
    count: u32,
}

async fn issue_survey_codes(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    AppJson(body): AppJson<IssueCodes>,
) -> Result<Response, ApiError> {
    ctx.caller.require_admin()?;
    let unit = unit_code(&code)?;
    if body.count == 0 || body.count > MAX_CODES_PER_BATCH {
        return Err(ApiError::invalid_field(
            "count",
            format!("jumlah kode 1 sampai {MAX_CODES_PER_BATCH}"),
        ));
    }
    unit_exists(&state, &unit).await?;
    let codes: Vec<String> = (0..body.count)
        .map(|_| new_code(&unit, body.year))
        .collect();
    let batch_id = uuid::Uuid::now_v7();
    let command = SurveyCommand::IssueSurveyCodes {
        batch_id,
        unit: unit.clone(),
        year: body.year,
        period: body.period,
        service: body.service,
        code_digests: codes.iter().map(|c| code_digest(c)).collect(),
    };
    let mut meta = ctx.meta(Role::Admin, None);
    meta.idempotency_key = None;
    let committed = run(&state, &meta, ctx.at, &unit, body.year, command).await?;
    // The codes are in this answer only; the stream holds their digests.
    let view = json!({
        "stream_id": committed.stream_id,
        "revision": committed.revision,
        "position": committed.position,
        "events": committed.events,
        "batch_id": batch_id,
        "unit": unit,
        "year": body.year,
        "period": body.period,
        "codes": codes,
        "expires_at": ctx.at + Duration::days(CODE_VALID_DAYS),
    });
    let mut response = with_etag(
        (StatusCode::CREATED, Json(view)).into_response(),
        committed.revision,
    );
    let location = format!("/api/v1/units/{unit}/surveys/{}", body.year.get());
    if let Ok(v) = axum::http::HeaderValue::from_str(&location) {
        response
            .headers_mut()
            .insert(axum::http::header::LOCATION, v);
    }
    Ok(response)
}

// ---------------------------------------------------------------------------------------------
// Public answer
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AnswerBody {
    code: String,
    /// Scores 1–4 for U1..U9.
    answers: Vec<i64>,
    comment: Option<String>,
}

async fn answer_survey(
    _client: PublicClient,
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    AppJson(body): AppJson<AnswerBody>,
) -> Result<Response, ApiError> {
    if body.answers.len() != ELEMENTS {
        return Err(ApiError::invalid_field(
            "answers",
            format!("harus {ELEMENTS} nilai (U1 sampai U9)"),
        ));
    }
    if let Some(i) = body.answers.iter().position(|a| !(1..=4).contains(a)) {
        return Err(ApiError::invalid_field(
            format!("answers[{i}]"),
            "nilai harus 1, 2, 3 atau 4",
        ));
    }
    let answers: Vec<u8> = body
        .answers
        .iter()
        .map(|a| u8::try_from(*a).unwrap_or(0))
        .collect();
    let Some((unit, year)) = parse_code(&body.code) else {
        return Err(DomainError::SurveyCodeUnknown.into());
    };
    // Unknown, used and expired codes are the decider's (on the folded stream).
    let digest = code_digest(&body.code);
    let at = chrono::Utc::now();
    // No actor, no address, no Idempotency-Key: only the request id and the server time.
    let meta = Meta {
        request_id: request_meta(&headers).ok().and_then(|m| m.request_id),
        ..Meta::default()
    };
    let command = SurveyCommand::AnswerSurvey {
        code_digest: digest,
        answers,
        comment: body.comment,
    };
    let committed = run(&state, &meta, at, &unit, year, command).await?;
    let body = json!({
        "status": "ok",
        "message": "Terima kasih. Jawaban survei Anda sudah tercatat.",
        "position": committed.position,
    });
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

// ---------------------------------------------------------------------------------------------
// Weights, IKM, improvement actions
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SetWeights {
    year: Year,
    /// Weights for U1..U9, summing to 1.
    weights: Vec<f64>,
}

async fn set_survey_weights(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    AppJson(body): AppJson<SetWeights>,
) -> Result<Response, ApiError> {
    ctx.caller.require_admin()?;
    let unit = unit_code(&code)?;
    if body.weights.len() != ELEMENTS {
        return Err(ApiError::invalid_field(
            "weights",
            format!("harus {ELEMENTS} bobot (U1 sampai U9) berjumlah 1"),
        ));
    }
    unit_exists(&state, &unit).await?;
    let meta = ctx.meta(Role::Admin, None);
    let command = SurveyCommand::SetIkmWeights {
        weights: body.weights,
    };
    Ok(created(
        run(&state, &meta, ctx.at, &unit, body.year, command).await?,
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SurveyQuery {
    /// Service users in each period (N of R16), for the sample adequacy.
    population: Option<u64>,
}

async fn get_unit_survey(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((code, year)): Path<(String, String)>,
    Query(q): Query<SurveyQuery>,
) -> Result<Response, ApiError> {
    ctx.caller.require_reader(false)?;
    let unit = unit_code(&code)?;
    let year = year
        .parse::<i32>()
        .ok()
        .and_then(|y| Year::new(y).ok())
        .ok_or_else(|| ApiError::invalid_field("year", "tahun 2000 sampai 2100"))?;
    let (st, revision, events) = state
        .app
        .load::<SurveyEvent>(&stream(survey::stream_id(&unit, year))?)
        .await?;
    let Some(revision) = revision else {
        return Err(AppError::NotFound("Survei unit pada tahun ini".into()).into());
    };
    let config = &state.app.config;
    let periods: Vec<Value> = Period::ALL
        .iter()
        .map(|p| {
            let respondents = st
                .responses
                .iter()
                .filter(|(rp, _)| *p == Period::Tahunan || rp == p)
                .count();
            let ikm = st.ikm(*p, config).ok().map(|ikm| {
                let category = rules::ikm_category(ikm.konversi);
                json!({
                    "nrr": ikm.nrr,
                    "raw": ikm.raw,
                    "konversi": ikm.konversi,
                    "category": category,
                    "label": category.label(),
                    "needs_improvement": category.needs_improvement(),
                })
            });
            let sample = q.population.map(|n| {
                json!({
                    "population": n,
                    "recommended": rules::sample_size(n),
                    "adequate": st.sample_ok(*p, n),
                })
            });
            json!({ "period": p, "respondents": respondents, "ikm": ikm, "sample": sample })
        })
        .collect();
    let mut actions = Vec::new();
    for e in &events {
        let decoded = SurveyEvent::from_data(&e.event_type, e.schema_version, &e.data_json())
            .map_err(ApiError::from)?;
        match decoded {
            SurveyEvent::ImprovementActionOpened {
                action_id,
                period,
                ikm_hundredths,
                category,
                plan,
                at,
            } => actions.push(json!({
                "action_id": action_id, "period": period, "ikm_hundredths": ikm_hundredths,
                "category": category, "plan": plan, "opened_at": at,
                "open": true, "outcome": null, "closed_at": null,
            })),
            SurveyEvent::ImprovementActionClosed {
                action_id,
                outcome,
                at,
            } => {
                if let Some(a) = actions
                    .iter_mut()
                    .find(|a| a["action_id"] == json!(action_id))
                {
                    a["open"] = json!(false);
                    a["outcome"] = json!(outcome);
                    a["closed_at"] = json!(at);
                }
            }
            _ => {}
        }
    }
    let used = st.codes.values().filter(|c| c.used).count();
    let body = json!({
        "unit": unit,
        "year": year,
        "weights": st.weights.clone().unwrap_or_else(|| config.ikm_default_weights.clone()),
        "default_weights": st.weights.is_none(),
        "codes": { "issued": st.codes.len(), "used": used },
        "periods": periods,
        "improvement_actions": actions,
    });
    Ok(with_etag(Json(body).into_response(), revision))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OpenAction {
    year: Year,
    period: Period,
    /// The planned action.
    plan: String,
}

async fn open_improvement_action(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    AppJson(body): AppJson<OpenAction>,
) -> Result<Response, ApiError> {
    ctx.caller.require_admin()?;
    let unit = unit_code(&code)?;
    let s = stream(survey::stream_id(&unit, body.year))?;
    state
        .app
        .load_existing::<SurveyEvent>(&s, "Survei unit pada tahun ini")
        .await?;
    let action_id = new_id(&ctx, "improvement-action");
    let meta = ctx.meta(Role::Admin, None);
    let command = SurveyCommand::OpenImprovementAction {
        action_id,
        period: body.period,
        plan: body.plan,
    };
    let committed = run(&state, &meta, ctx.at, &unit, body.year, command).await?;
    let mut response = created_at(
        committed,
        "action_id",
        action_id,
        format!("/api/v1/units/{unit}/surveys/{}", body.year.get()),
    );
    // A new action in an existing stream is still a creation.
    *response.status_mut() = StatusCode::CREATED;
    Ok(response)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CloseAction {
    year: Year,
    /// What was done.
    outcome: String,
}

async fn close_improvement_action(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((code, id)): Path<(String, String)>,
    AppJson(body): AppJson<CloseAction>,
) -> Result<Response, ApiError> {
    ctx.caller.require_admin()?;
    let unit = unit_code(&code)?;
    let action_id = path_uuid(&id, "Rencana perbaikan")?;
    let s = stream(survey::stream_id(&unit, body.year))?;
    state
        .app
        .load_existing::<SurveyEvent>(&s, "Survei unit pada tahun ini")
        .await?;
    let meta = ctx.meta(Role::Admin, None);
    let command = SurveyCommand::CloseImprovementAction {
        action_id,
        outcome: body.outcome,
    };
    Ok(created(
        run(&state, &meta, ctx.at, &unit, body.year, command).await?,
    ))
}

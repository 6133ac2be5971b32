//! The read side over HTTP (`/api/v1`): scorecards (also as of a past time or position),
//! audit trails, the inspectorate's findings, unit dashboards, survey (SKM) and training views, the
//! public summary, the live feed (Server-Sent Events), and `/metrics` at the root.
//!
//! Every read-model query accepts `min_position`: the handler waits (at most the projector's
//! `wait_limit`, 5 s by default) until the read models have folded that position — the position a
//! command answered with — and otherwise answers 503 `NOT_YET` with the current position. Every
//! answer from a read model carries that position in the `Kinerja-Position` header.
//!
//! Who may read what:
//!
//! | route | who |
//! |---|---|
//! | `GET /officers/{nip}/scorecard/{year}` | the officer, their appraiser or atasan (an assignment covering the year, from the read model's officer document), admin, auditor |
//! | `GET /officers/{nip}/scorecard/{year}/as-of` | admin, auditor |
//! | `GET /officers/{nip}/audit-trail` | the officer themself, admin, auditor |
//! | `GET /accountability`, `GET /accountability/{kind}` | admin, auditor |
//! | `GET /units/{code}/dashboard/{year}` | admin, auditor, the head of the unit or of a unit above it, the appraiser or atasan of an officer in it |
//! | `GET /surveys/{year}` | admin, auditor |
//! | `GET /public/summary` | anyone, no token |
//! | `GET /trainings/{id}/summary`, `GET /trainings/compliance/{year}` | admin, auditor |
//! | `GET /officers/{nip}/trainings/{year}` | as the scorecard |
//! | `GET /live` | any token; each change is sent only to whom may read it |
//! | `GET /metrics` (root) | anyone, no token |

use axum::extract::rejection::QueryRejection;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use std::convert::Infallible;

use axum::response::sse::{Event, KeepAlive, Sse};
use chrono::{DateTime, Datelike, Utc};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::json;
use tokio_stream::StreamExt as _;

use super::AppState;
use super::auth::Caller;
use super::error::ApiError;
use crate::domain::Nip;
use crate::domain::values::Period;
use crate::projections::accountability::{self, KINDS};
use crate::projections::asof::{AsOf, scorecard_as_of};
use crate::projections::audit::{self, AuditFilter};
use crate::projections::dashboard::cache::DashboardCache;
use crate::projections::{
    ProjectionError, Projector, Topic, dashboard, live, scorecard, survey, training,
};
use crate::store::Position;

/// The routes under `/api/v1`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/officers/{nip}/scorecard/{year}", get(get_scorecard))
        .route(
            "/officers/{nip}/scorecard/{year}/as-of",
            get(get_scorecard_as_of),
        )
        .route("/officers/{nip}/audit-trail", get(get_audit_trail))
        .route("/accountability", get(list_accountability))
        .route("/accountability/{kind}", get(get_accountability))
        .route("/units/{code}/dashboard/{year}", get(get_dashboard))
        .route("/surveys/{year}", get(get_surveys))
        .route("/public/summary", get(get_public_summary))
        .route("/trainings/{id}/summary", get(get_training_summary))
        .route("/trainings/compliance/{year}", get(get_training_compliance))
        .route(
            "/officers/{nip}/trainings/{year}",
            get(get_officer_trainings),
        )
        .route("/live", get(get_live))
}

/// The routes at the root: `/metrics` (Prometheus text, no token).
pub fn root_router() -> Router<AppState> {
    Router::new().route("/metrics", get(metrics))
}

/// Header carrying the read models' committed position.
pub const POSITION_HEADER: &str = "kinerja-position";

impl From<ProjectionError> for ApiError {
    fn from(e: ProjectionError) -> Self {
        match e {
            ProjectionError::NotYet { current, wanted } => {
                let mut err = ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "NOT_YET",
                    "Data tampilan belum mencapai perubahan terakhir Anda. Coba lagi sebentar lagi.",
                )
                .with("position", json!(current))
                .with("min_position", json!(wanted));
                err.retry_after = Some(1);
                err
            }
            ProjectionError::Store(s) => s.into(),
            ProjectionError::UnknownProjection(n) => ApiError::not_found(&format!("Proyeksi {n}")),
            ProjectionError::Invalid(detail) => ApiError::invalid_field("query", detail),
            other => {
                tracing::error!(error = %other, "read model failure");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "INTERNAL",
                    "Terjadi kesalahan pada server saat membaca data tampilan. Coba lagi nanti atau hubungi admin BKPSDM.",
                )
            }
        }
    }
}

/// `Query<T>` whose rejections are problem+json (400 naming the parameter).
pub struct Q<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Q<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(v)| Q(v))
            .map_err(|e: QueryRejection| ApiError::invalid_field("query", e.body_text()))
    }
}

/// 503: this service runs no projector.
fn unavailable() -> ApiError {
    ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "PROJECTIONS_UNAVAILABLE",
        "Layanan ini tidak menjalankan data tampilan (proyeksi). Hubungi admin BKPSDM.",
    )
}

/// The running projector, or 503 where this service runs none.
pub fn projector(state: &AppState) -> Result<&Projector, ApiError> {
    state.projector.as_deref().ok_or_else(unavailable)
}

/// Wait until the read models reached `min_position` (when given); the committed position.
pub async fn ready_at(p: &Projector, min_position: Option<Position>) -> Result<Position, ApiError> {
    match min_position {
        None | Some(0) => Ok(p.position()),
        Some(m) => Ok(p.wait_for(m, p.wait_limit).await?),
    }
}

/// A JSON answer with the read position in its header.
pub fn at_position(body: impl serde::Serialize, position: Position) -> Response {
    with_position(Json(body).into_response(), position)
}

/// Set the position header.
pub fn with_position(mut r: Response, position: Position) -> Response {
    if let Ok(v) = HeaderValue::from_str(&position.to_string()) {
        r.headers_mut().insert(POSITION_HEADER, v);
    }
    r
}

/// A text answer of a content type, with the read position.
pub fn text(content_type: &'static str, body: String, position: Position) -> Response {
    let mut r = body.into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    with_position(r, position)
}

fn parse_nip(raw: &str) -> Result<Nip, ApiError> {
    Nip::parse(raw).map_err(|e| ApiError::invalid_field("nip", e.to_string()))
}

fn parse_year(year: i32) -> Result<i32, ApiError> {
    if (2000..=2100).contains(&year) {
        Ok(year)
    } else {
        Err(ApiError::invalid_field("year", "tahun 2000 sampai 2100"))
    }
}

/// A period parameter (`TW1`..`TW4`, `TAHUNAN`; default `TAHUNAN`).
pub fn parse_period(raw: Option<&str>) -> Result<Period, ApiError> {
    match raw {
        None | Some("") => Ok(Period::Tahunan),
        Some(p) => Period::parse(p).map_err(|_| {
            ApiError::invalid_field("period", "salah satu dari TW1, TW2, TW3, TW4, TAHUNAN")
        }),
    }
}

/// Whether the caller may read `nip`'s records for `year`: admin, auditor, the officer, or their
/// appraiser or atasan in an assignment covering the year (any year when `None`).
pub async fn may_read_officer(
    caller: &Caller,
    p: &Projector,
    nip: &str,
    year: Option<i32>,
) -> Result<(), ApiError> {
    if caller.is_admin() || caller.is_auditor() {
        return Ok(());
    }
    let Some(me) = caller.nip() else {
        return caller.require_reader(false);
    };
    if me.as_str() == nip {
        return Ok(());
    }
    let doc = scorecard::officer(p.db(), nip).await?;
    caller.require_reader(doc.is_some_and(|d| d.is_appraised_by(me.as_str(), year)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ScorecardQuery {
    period: Option<String>,
    min_position: Option<Position>,
}

/// The officer's scorecard for a year and period from the read model.
async fn get_scorecard(
    State(state): State<AppState>,
    caller: Caller,
    Path((nip, year)): Path<(String, i32)>,
    Q(q): Q<ScorecardQuery>,
) -> Result<Response, ApiError> {
    let nip = parse_nip(&nip)?;
    let year = parse_year(year)?;
    let period = parse_period(q.period.as_deref())?;
    let p = projector(&state)?;
    let position = ready_at(p, q.min_position).await?;
    may_read_officer(&caller, p, nip.as_str(), Some(year)).await?;
    let card = scorecard::scorecard(p.db(), &state.app.config, nip.as_str(), year, period).await?;
    match card {
        Some(card) => Ok(at_position(card, position)),
        None => Err(ApiError::not_found("Pegawai ini")),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AsOfQuery {
    period: Option<String>,
    position: Option<Position>,
    time: Option<DateTime<Utc>>,
}

/// The scorecard as it was at a position or server time, folded from the streams.
async fn get_scorecard_as_of(
    State(state): State<AppState>,
    caller: Caller,
    Path((nip, year)): Path<(String, i32)>,
    Q(q): Q<AsOfQuery>,
) -> Result<Response, ApiError> {
    caller.require_reader(false)?;
    let nip = parse_nip(&nip)?;
    let year = parse_year(year)?;
    let period = parse_period(q.period.as_deref())?;
    let as_of = match (q.position, q.time) {
        (Some(p), None) => AsOf::Position(p),
        (None, Some(t)) => AsOf::Time(t),
        _ => {
            return Err(ApiError::invalid_field(
                "position",
                "berikan tepat satu dari position atau time (RFC 3339)",
            ));
        }
    };
    let store = state.app.store.as_ref();
    let card = scorecard_as_of(store, &state.app.config, nip.as_str(), year, period, as_of).await?;
    let body = json!({ "as_of": match as_of {
        AsOf::Position(p) => json!({ "position": p }),
        AsOf::Time(t) => json!({ "time": t }),
    }, "scorecard": card });
    match card {
        Some(_) => Ok(Json(body).into_response()),
        None => Err(ApiError::not_found("Riwayat pegawai pada saat itu")),
    }
}

/// Export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    #[default]
    Json,
    Csv,
    Jsonl,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AuditQuery {
    /// Event types, comma-separated.
    #[serde(rename = "type")]
    types: Option<String>,
    from: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
    before_position: Option<Position>,
    limit: Option<u32>,
    #[serde(default)]
    format: Format,
    min_position: Option<Position>,
}

/// Every event about an officer, newest first, as JSON, CSV or JSON Lines.
async fn get_audit_trail(
    State(state): State<AppState>,
    caller: Caller,
    Path(nip): Path<String>,
    Q(q): Q<AuditQuery>,
) -> Result<Response, ApiError> {
    let nip = parse_nip(&nip)?;
    caller.require_reader(caller.nip() == Some(&nip))?;
    let p = projector(&state)?;
    let position = ready_at(p, q.min_position).await?;
    let filter = AuditFilter {
        types: q
            .types
            .as_deref()
            .unwrap_or("")
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .collect(),
        from: q.from,
        until: q.until,
        before_position: q.before_position,
        limit: q.limit,
    };
    // JSON and JSON Lines carry the entries as built; only CSV parses them.
    let docs = audit::audit_trail_docs(p.db(), p.store().as_ref(), nip.as_str(), &filter).await?;
    Ok(match q.format {
        Format::Json => text(
            "application/json",
            audit::audit_json(nip.as_str(), &docs)?,
            position,
        ),
        Format::Csv => text(
            "text/csv; charset=utf-8",
            audit::audit_csv(&audit::entries(&docs)?),
            position,
        ),
        Format::Jsonl => text(
            "application/jsonl",
            audit::audit_jsonl_docs(&docs)?,
            position,
        ),
    })
}

/// What each kind of finding means (the table of [`accountability`]).
pub fn kind_description(kind: &str) -> &'static str {
    match kind {
        "evaluation_without_report" => {
            "Penilaian yang berlaku tanpa laporan realisasi pada periodenya"
        }
        "di_atas_below_target" => {
            "Hasil kerja Di Atas Ekspektasi padahal ada realisasi di bawah target"
        }
        "award_override" => "Penghargaan yang diberikan dengan mengesampingkan temuan",
        "award_basis_amended" => "Penghargaan yang dasar penilaiannya diubah setelah diberikan",
        "evaluator_not_assigned" => {
            "Penilaian oleh orang yang bukan pejabat penilai yang ditetapkan"
        }
        "report_late_or_backdated" => {
            "Laporan terlambat, atau waktu perangkat jauh dari waktu server"
        }
        "plan_approved_late" => "SKP ditetapkan setelah batas waktu tahunan (R8)",
        "distribution_quota_broken" => "Unit melanggar kuota distribusi predikat (R5)",
        "amendment_after_objection_window" => {
            "Penilaian diubah setelah masa keberatan (R12) berakhir"
        }
        _ => "",
    }
}

/// The kinds of findings.
async fn list_accountability(caller: Caller) -> Result<Response, ApiError> {
    caller.require_reader(false)?;
    let kinds: Vec<_> = KINDS
        .iter()
        .map(|k| {
            json!({
                "kind": k,
                "description": kind_description(k),
                "href": format!("/api/v1/accountability/{k}"),
            })
        })
        .collect();
    Ok(Json(json!({ "kinds": kinds })).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FindingsQuery {
    #[serde(default)]
    format: Format,
    min_position: Option<Position>,
}

/// The findings of one kind, as JSON or CSV.
async fn get_accountability(
    State(state): State<AppState>,
    caller: Caller,
    Path(kind): Path<String>,
    Q(q): Q<FindingsQuery>,
) -> Result<Response, ApiError> {
    caller.require_reader(false)?;
    if !KINDS.contains(&kind.as_str()) {
        return Err(ApiError::not_found("Jenis temuan ini"));
    }
    let p = projector(&state)?;
    let position = ready_at(p, q.min_position).await?;
    let found = accountability::findings(p.db(), &kind).await?;
    Ok(match q.format {
        Format::Csv => text(
            "text/csv; charset=utf-8",
            accountability::findings_csv(&found),
            position,
        ),
        Format::Json | Format::Jsonl => at_position(
            json!({ "kind": kind, "description": kind_description(&kind), "findings": found }),
            position,
        ),
    })
}

/// Prometheus text exposition: the log head, and per projection its position and its lag in
/// events and seconds.
async fn metrics(State(state): State<AppState>) -> Result<Response, ApiError> {
    use std::fmt::Write as _;
    let head = state.app.store.head().await?.position;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# HELP kinerja_log_head_position Position of the last event in $all.\n\
         # TYPE kinerja_log_head_position gauge\nkinerja_log_head_position {head}"
    );
    if let Some(p) = state.projector.as_deref() {
        let lags = p.lags().await?;
        let series: [(&str, &str, &str); 3] = [
            (
                "kinerja_projection_position",
                "Last position of $all folded into the projection.",
                "position",
            ),
            (
                "kinerja_projection_lag_events",
                "Events in $all not yet folded into the projection.",
                "events",
            ),
            (
                "kinerja_projection_lag_seconds",
                "Age of the oldest event not yet folded into the projection (0 when caught up).",
                "seconds",
            ),
        ];
        for (name, help, which) in series {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge");
            for (projection, lag) in &lags {
                let value = match which {
                    "position" => lag.position.to_string(),
                    "events" => lag.events.to_string(),
                    _ => format!("{:.3}", lag.seconds),
                };
                let _ = writeln!(out, "{name}{{projection=\"{projection}\"}} {value}");
            }
        }
        let _ = writeln!(
            out,
            "# HELP kinerja_projector_position Lowest committed checkpoint of all projections.\n\
             # TYPE kinerja_projector_position gauge\nkinerja_projector_position {}",
            p.position()
        );
    }
    Ok(text("text/plain; version=0.0.4; charset=utf-8", out, head))
}

/// Whether the caller may read the dashboard of `code` in `year`: admin, auditor, the head of the
/// unit or of a unit above it, or the appraiser or atasan of an officer now in its tree (from
/// the dashboard cache, as of at least position `at`).
pub async fn may_read_unit(
    caller: &Caller,
    state: &AppState,
    code: &str,
    year: i32,
    at: Position,
) -> Result<(), ApiError> {
    let Some(me) = unit_viewer(caller)? else {
        return Ok(());
    };
    let oversees = dashboards(state)?.oversees(at, me, code, year).await?;
    caller.require_reader(oversees)
}

/// Who asks for a unit's data, for [`may_read_unit`] and the dashboard: `None` for admins and
/// auditors, who read every unit; an officer's NIP, who reads the units they oversee; any other
/// caller is refused.
fn unit_viewer(caller: &Caller) -> Result<Option<&str>, ApiError> {
    if caller.is_admin() || caller.is_auditor() {
        return Ok(None);
    }
    match caller.nip() {
        Some(me) => Ok(Some(me.as_str())),
        None => caller.require_reader(false).map(|()| None),
    }
}

/// The dashboard cache, or 503 where this service runs no projector.
pub fn dashboards(state: &AppState) -> Result<&DashboardCache, ApiError> {
    state.dashboards.as_deref().ok_or_else(unavailable)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PeriodQuery {
    period: Option<String>,
    min_position: Option<Position>,
}

/// The dashboard of a unit with its sub-units.
async fn get_dashboard(
    State(state): State<AppState>,
    caller: Caller,
    Path((code, year)): Path<(String, i32)>,
    Q(q): Q<PeriodQuery>,
) -> Result<Response, ApiError> {
    let year = parse_year(year)?;
    let period = parse_period(q.period.as_deref())?;
    let p = projector(&state)?;
    let position = ready_at(p, q.min_position).await?;
    // As [`may_read_unit`], then the dashboard, from one refresh of the cache.
    let viewer = unit_viewer(&caller)?;
    let d = dashboards(&state)?
        .dashboard_for(
            &state.app.config,
            position,
            viewer,
            &code,
            year,
            period,
            Utc::now(),
        )
        .await?;
    // `None`: a viewer who does not oversee the unit, refused as `may_read_unit` refuses them.
    caller.require_reader(d.is_some())?;
    match d.flatten() {
        Some(d) => Ok(at_position(d, position)),
        None => Err(ApiError::not_found("Unit")),
    }
}

/// IKM per unit, per service and city-wide (R13, R14, R16).
async fn get_surveys(
    State(state): State<AppState>,
    caller: Caller,
    Path(year): Path<i32>,
    Q(q): Q<PeriodQuery>,
) -> Result<Response, ApiError> {
    caller.require_reader(false)?;
    let year = parse_year(year)?;
    let period = parse_period(q.period.as_deref())?;
    let p = projector(&state)?;
    let position = ready_at(p, q.min_position).await?;
    let report = survey::report(p.db(), &state.app.config, year, period).await?;
    Ok(at_position(report, position))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PublicQuery {
    year: Option<i32>,
}

/// The published figures, without a token: IKM and category per unit for the year (default:
/// the latest year with a survey), and the latest signed head of the ledger.
async fn get_public_summary(
    State(state): State<AppState>,
    Q(q): Q<PublicQuery>,
) -> Result<Response, ApiError> {
    let year = q.year.map(parse_year).transpose()?;
    let p = projector(&state)?;
    let config = &state.app.config;
    let docs = survey::surveys(p.db(), year).await?;
    let names = dashboard::units(p.db()).await?;
    let units: Vec<_> = docs
        .iter()
        .filter_map(|d| {
            let s = d.summary(Period::Tahunan, config);
            s.ikm.map(|ikm| {
                json!({
                    "unit": d.unit,
                    "name": names.get(&d.unit).map(|u| u.name.clone()),
                    "ikm": ikm,
                    "category": s.category,
                    "category_label": s.category_label,
                    "respondents": s.respondents,
                    "sample_ok": s.sample_ok,
                })
            })
        })
        .collect();
    let year = year.or_else(|| docs.first().map(|d| d.year));
    let head = state.app.store.latest_tree_head().await?;
    Ok(at_position(
        json!({ "year": year, "units": units, "ledger_head": head }),
        p.position(),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MinPositionQuery {
    min_position: Option<Position>,
}

/// Enrolment and completion of a programme.
async fn get_training_summary(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Q(q): Q<MinPositionQuery>,
) -> Result<Response, ApiError> {
    caller.require_reader(false)?;
    let p = projector(&state)?;
    let position = ready_at(p, q.min_position).await?;
    match training::programme(p.db(), &id).await? {
        Some(doc) if doc.programme.is_some() => Ok(at_position(training::summary(&doc), position)),
        _ => Err(ApiError::not_found("Program pelatihan")),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ComplianceQuery {
    /// Only officers now in this unit or its sub-units.
    unit: Option<String>,
    #[serde(default)]
    format: Format,
    min_position: Option<Position>,
}

/// The officers who do not meet their JP rule in a year (R17).
async fn get_training_compliance(
    State(state): State<AppState>,
    caller: Caller,
    Path(year): Path<i32>,
    Q(q): Q<ComplianceQuery>,
) -> Result<Response, ApiError> {
    caller.require_reader(false)?;
    let year = parse_year(year)?;
    let p = projector(&state)?;
    let position = ready_at(p, q.min_position).await?;
    let units = match &q.unit {
        Some(u) => {
            let tree = dashboard::subtree(&dashboard::units(p.db()).await?, u);
            if tree.is_empty() {
                return Err(ApiError::not_found("Unit"));
            }
            Some(tree)
        }
        None => None,
    };
    let c = training::compliance(p.db(), &state.app.config, year, units.as_deref()).await?;
    Ok(match q.format {
        Format::Csv => text(
            "text/csv; charset=utf-8",
            training::compliance_csv(&c),
            position,
        ),
        Format::Json | Format::Jsonl => at_position(c, position),
    })
}

/// An officer's JP in a year, completions and open enrolments.
async fn get_officer_trainings(
    State(state): State<AppState>,
    caller: Caller,
    Path((nip, year)): Path<(String, i32)>,
    Q(q): Q<MinPositionQuery>,
) -> Result<Response, ApiError> {
    let nip = parse_nip(&nip)?;
    let year = parse_year(year)?;
    let p = projector(&state)?;
    let position = ready_at(p, q.min_position).await?;
    may_read_officer(&caller, p, nip.as_str(), Some(year)).await?;
    let Some(officer) = scorecard::officer(p.db(), nip.as_str()).await? else {
        return Err(ApiError::not_found("Pegawai ini"));
    };
    let t = training::officer_training(p.db(), &state.app.config, &officer, year).await?;
    Ok(at_position(t, position))
}

/// What a live-feed subscriber may see.
#[derive(Debug, Default)]
struct Scope {
    all: bool,
    nips: std::collections::BTreeSet<String>,
    units: std::collections::BTreeSet<String>,
}

impl Scope {
    /// Admin and auditor: everything. An officer: their own scorecard and those of the officers
    /// they appraise (or are atasan of); the dashboards of the units they head (with sub-units)
    /// and of the units holding an officer they appraise (with the units above them).
    async fn of(caller: &Caller, p: &Projector) -> Result<Self, ApiError> {
        if caller.is_admin() || caller.is_auditor() {
            return Ok(Scope {
                all: true,
                ..Scope::default()
            });
        }
        let mut s = Scope::default();
        let Some(me) = caller.nip() else {
            return Ok(s);
        };
        s.nips.insert(me.as_str().to_string());
        let units = dashboard::units(p.db()).await?;
        for (code, u) in &units {
            if u.head.as_deref() == Some(me.as_str()) {
                s.units.extend(dashboard::subtree(&units, code));
            }
        }
        for o in training::all_officers(p.db()).await? {
            if o.is_appraised_by(me.as_str(), None) {
                s.nips.insert(o.nip.clone());
                if let Some(u) = &o.unit {
                    s.units.extend(dashboard::ancestors(&units, u));
                }
            }
        }
        Ok(s)
    }

    fn admits(&self, t: &Topic) -> bool {
        self.all
            || match t {
                Topic::Scorecard { nip, .. } => self.nips.contains(nip),
                Topic::Dashboard { unit } => self.units.contains(unit),
            }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LiveQuery {
    /// Period of the scorecards and dashboards pushed (default the year).
    period: Option<String>,
    /// Year of the dashboards pushed (default the current year).
    year: Option<i32>,
    /// Same as the Last-Event-ID header (for clients that cannot set it).
    last_event_id: Option<Position>,
}

/// At most this many events are re-read for a reconnecting client; further back it gets `reset`.
pub const LIVE_CATCH_UP_LIMIT: u64 = 100_000;

/// The rendering settings of one subscriber.
struct Render {
    period: Period,
    year: i32,
    config: std::sync::Arc<crate::domain::DomainConfig>,
}

/// One `change` event: every visible topic of a commit with its current document (the
/// dashboards from the cache, as of at least `position`).
async fn render_change(
    p: &Projector,
    cache: &DashboardCache,
    r: &Render,
    scope: &Scope,
    position: Position,
    topics: impl IntoIterator<Item = Topic>,
) -> Result<Event, ApiError> {
    let topics: Vec<Topic> = topics.into_iter().filter(|t| scope.admits(t)).collect();
    // The scorecards read side by side (one statement each), then the dashboards in one pass
    // over the cache. Each is as of at least `position`, and either may already show a later
    // commit (a scorecard read can see a commit whose change message the cache has not taken
    // yet); that commit's own `change` event then carries both as of at least its position.
    let cards = futures::future::try_join_all(topics.iter().filter_map(|t| match t {
        Topic::Scorecard { nip, year } => Some(scorecard::scorecard(
            p.db(),
            &r.config,
            nip,
            *year,
            r.period,
        )),
        Topic::Dashboard { .. } => None,
    }))
    .await?;
    let codes: Vec<&str> = topics
        .iter()
        .filter_map(|t| match t {
            Topic::Dashboard { unit } => Some(unit.as_str()),
            Topic::Scorecard { .. } => None,
        })
        .collect();
    let (units, boards) = if codes.is_empty() {
        (Default::default(), Vec::new())
    } else {
        cache
            .dashboards(&r.config, position, &codes, r.year, r.period, Utc::now())
            .await?
    };
    let (mut cards, mut boards) = (cards.into_iter(), boards.into_iter());
    let mut changes = Vec::new();
    for t in &topics {
        match t {
            Topic::Scorecard { .. } => {
                let card = cards.next().flatten();
                changes.push(json!({ "topic": t, "scorecard": card }));
            }
            Topic::Dashboard { unit } => {
                let d = boards.next().flatten();
                let above: Vec<String> = dashboard::ancestors(&units, unit)
                    .into_iter()
                    .skip(1)
                    .filter(|a| scope.all || scope.units.contains(a))
                    .collect();
                changes.push(json!({ "topic": t, "dashboard": d, "also_changes": above }));
            }
        }
    }
    let data = json!({ "position": position, "changes": changes });
    let event = Event::default().id(position.to_string());
    Ok(if changes.is_empty() {
        event.event("position").data(data.to_string())
    } else {
        event.event("change").data(data.to_string())
    })
}

/// Server-Sent Events: after each commit of the projector, the scorecards and dashboards it
/// changed that the caller may see (`event: change`), else only the new position
/// (`event: position`); the event id is the position. A client that reconnects with
/// `Last-Event-ID` first gets one `change` with everything changed since (or `reset` when that is
/// more than [`LIVE_CATCH_UP_LIMIT`] events back), then the live changes.
async fn get_live(
    State(state): State<AppState>,
    caller: Caller,
    headers: axum::http::HeaderMap,
    Q(q): Q<LiveQuery>,
) -> Result<Response, ApiError> {
    let p = state.projector.clone().ok_or_else(unavailable)?;
    let cache = state.dashboards.clone().ok_or_else(unavailable)?;
    let render = Render {
        period: parse_period(q.period.as_deref())?,
        year: parse_year(q.year.unwrap_or_else(|| Utc::now().year()))?,
        config: state.app.config.clone(),
    };
    let last_id = match headers.get("last-event-id").and_then(|v| v.to_str().ok()) {
        Some(v) => Some(
            v.trim()
                .parse::<Position>()
                .map_err(|_| ApiError::invalid_field("Last-Event-ID", "posisi (angka)"))?,
        ),
        None => q.last_event_id,
    };
    // Subscribe before reading the position: nothing committed after it is missed.
    let mut feed = p.subscribe();
    let mut scope = Scope::of(&caller, &p).await?;
    let start = p.position();
    let (tx, rx) = tokio::sync::mpsc::channel::<Event>(64);
    let marker = |kind: &str| {
        Event::default()
            .id(start.to_string())
            .event(kind)
            .data(json!({ "position": start }).to_string())
    };
    let first = match last_id {
        Some(after) if after < start => {
            let store = p.store().as_ref();
            match live::topics_between(store, p.db(), after, start, LIVE_CATCH_UP_LIMIT).await? {
                Some(topics) => render_change(&p, &cache, &render, &scope, start, topics).await?,
                None => marker("reset"),
            }
        }
        _ => marker("ready"),
    };
    tokio::spawn(async move {
        if tx.send(first).await.is_err() {
            return;
        }
        let mut sent = start;
        let mut scoped_at = std::time::Instant::now();
        // Too slow for the channel: catch up from the log like a reconnect (None: reset).
        let catch_up = |sent: Position| {
            let p = p.clone();
            async move {
                let now = p.position();
                match live::topics_between(
                    p.store().as_ref(),
                    p.db(),
                    sent,
                    now,
                    LIVE_CATCH_UP_LIMIT,
                )
                .await
                {
                    Ok(Some(t)) => Some((now, t.into_iter().collect::<Vec<Topic>>())),
                    _ => None,
                }
            }
        };
        let reset = |now: Position| {
            Event::default()
                .id(now.to_string())
                .event("reset")
                .data(json!({ "position": now }).to_string())
        };
        loop {
            let received = tokio::select! {
                _ = tx.closed() => return,
                received = feed.recv() => match received {
                    Ok(change) if change.position <= sent || change.topics.is_empty() => continue,
                    Ok(change) => Some((change.position, change.topics)),
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => catch_up(sent).await,
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
                },
            };
            let Some((mut position, mut topics)) = received else {
                let _ = tx.send(reset(p.position())).await;
                return;
            };
            // Coalesce the changes already waiting: one render at the latest position, so a
            // busy city does not queue a render per commit behind this client.
            loop {
                match feed.try_recv() {
                    Ok(change) if change.position <= position => {}
                    Ok(change) => {
                        position = change.position;
                        topics.extend(change.topics);
                    }
                    Err(tokio::sync::broadcast::error::TryRecvError::Lagged(_)) => {
                        match catch_up(sent).await {
                            Some((now, caught)) => {
                                position = now;
                                topics = caught;
                            }
                            None => {
                                let _ = tx.send(reset(p.position())).await;
                                return;
                            }
                        }
                    }
                    Err(_) => break,
                }
            }
            topics.sort();
            topics.dedup();
            if scoped_at.elapsed() > std::time::Duration::from_secs(30) {
                if let Ok(s) = Scope::of(&caller, &p).await {
                    scope = s;
                }
                scoped_at = std::time::Instant::now();
            }
            let started = std::time::Instant::now();
            let n = topics.len();
            match render_change(&p, &cache, &render, &scope, position, topics).await {
                Ok(e) => {
                    tracing::debug!(
                        position,
                        topics = n,
                        micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
                        "live feed: change rendered"
                    );
                    if tx.send(e).await.is_err() {
                        return;
                    }
                    sent = position;
                }
                Err(e) => {
                    tracing::warn!(code = %e.code, "live feed: rendering a change failed");
                    return;
                }
            }
        }
    });
    let stream = tokio_stream::wrappers::ReceiverStream::new(rx).map(Ok::<_, Infallible>);
    Ok(Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response())
}

//! `/api/v1/officers`: the personnel agency registers officers, transfers them (closing the SKP
//! of the old post), assigns their appraisers and changes their status; an officer, their
//! appraisers, admin and auditors read the folded officer. Also `/units/{code}/predikat-
//! finalisation` (R5), which needs every officer of the unit.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::json;

use super::auth::{Caller, Ctx};
use super::error::{ApiError, AppJson};
use super::units::created;
use super::{AppState, with_etag};
use crate::app::officers::{NewOfficer, checked_text, may_read};
use crate::app::{AppError, Committed};
use crate::domain::officer::{OfficerCommand, OfficerStatus, Post};
use crate::domain::unit;
use crate::domain::values::{EmploymentType, PositionKind};
use crate::domain::{ActorId, Nip, OfficerState, Period, Role, UnitCode, UnitEvent, Year};

/// The routes of this resource.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/officers", post(register_officer))
        .route("/officers/{nip}", get(get_officer))
        .route("/officers/{nip}/transfer", post(transfer_officer))
        .route("/officers/{nip}/appraisers", post(assign_appraisers))
        .route("/officers/{nip}/status", post(change_status))
        .route(
            "/units/{code}/predikat-finalisation",
            post(finalise_predikat),
        )
}

/// A NIP from a path or body (422 `INVALID_NIP` with the reason).
pub fn nip(raw: &str) -> Result<Nip, ApiError> {
    Nip::parse(raw).map_err(ApiError::from)
}

/// Reject odd text (control characters, bidi overrides) in a field.
pub fn text(field: &str, value: &str, multiline: bool) -> Result<(), ApiError> {
    checked_text(field, value, multiline).map_err(ApiError::from)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PostBody {
    unit: String,
    position: String,
    kind: PositionKind,
}

impl PostBody {
    fn into_post(self) -> Result<Post, ApiError> {
        Ok(Post {
            unit: UnitCode::parse(&self.unit).map_err(ApiError::from)?,
            position: self.position,
            kind: self.kind,
        })
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RegisterOfficer {
    nip: String,
    name: String,
    golongan: String,
    employment: EmploymentType,
    post: PostBody,
}

async fn register_officer(
    State(state): State<AppState>,
    ctx: Ctx,
    AppJson(body): AppJson<RegisterOfficer>,
) -> Result<Response, ApiError> {
    ctx.caller.require_admin()?;
    let input = NewOfficer {
        nip: body.nip,
        name: body.name,
        golongan: body.golongan,
        employment: body.employment,
        unit: body.post.unit,
        position: body.post.position,
        kind: body.post.kind,
    };
    let committed = state
        .app
        .register_officer(&input, &ctx.meta(Role::Admin, None), ctx.at)
        .await?;
    Ok(created(committed))
}

/// Load an officer the caller may read: 404 for admins, auditors and the officer themself when
/// not registered, 403 for anybody else.
pub async fn readable_officer(
    state: &AppState,
    caller: &Caller,
    nip: &Nip,
) -> Result<(OfficerState, u64), ApiError> {
    let staff = caller.is_admin() || caller.is_auditor();
    match state.app.officer(nip).await {
        Ok((officer, revision)) => {
            let own = caller.nip().is_some_and(|me| may_read(&officer, me));
            caller.require_reader(own)?;
            Ok((officer, revision))
        }
        Err(AppError::NotFound(what)) if staff || caller.nip() == Some(nip) => {
            Err(ApiError::not_found(&what))
        }
        Err(AppError::NotFound(_)) => Err(caller
            .require_reader(false)
            .err()
            .unwrap_or_else(|| ApiError::forbidden("Anda tidak berhak melihat data ini."))),
        Err(e) => Err(e.into()),
    }
}

async fn get_officer(
    State(state): State<AppState>,
    caller: Caller,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    let nip = nip(&raw)?;
    let (officer, revision) = readable_officer(&state, &caller, &nip).await?;
    Ok(with_etag(
        Json(officer_view(&officer)).into_response(),
        revision,
    ))
}

/// The JSON view of a folded officer.
pub fn officer_view(o: &OfficerState) -> serde_json::Value {
    let today = chrono::Utc::now().date_naive();
    let assignments: Vec<_> = o
        .assignments
        .iter()
        .map(|a| json!({ "penilai": a.penilai, "atasan": a.atasan, "from": a.from, "until": a.until }))
        .collect();
    let statuses: Vec<_> = o
        .statuses
        .iter()
        .map(|(d, s)| json!({ "effective": d, "status": s }))
        .collect();
    json!({
        "nip": o.nip,
        "name": o.name,
        "golongan": o.golongan,
        "employment": o.employment,
        "post": o.post,
        "status": o.status_at(today),
        "statuses": statuses,
        "transfers": o.transfers,
        "appraisers_today": o.assignment_at(today).map(|a| json!({ "penilai": a.penilai, "atasan": a.atasan })),
        "assignments": assignments,
    })
}

/// A command answer with the SKP closed by the same request, if any.
fn with_closed(committed: Committed, closed: Option<Committed>) -> Response {
    let revision = committed.revision;
    let mut body = json!(committed);
    body["closed_plan"] = json!(closed);
    with_etag((StatusCode::OK, Json(body)).into_response(), revision)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TransferOfficer {
    post: PostBody,
    effective: NaiveDate,
}

async fn transfer_officer(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(raw): Path<String>,
    AppJson(body): AppJson<TransferOfficer>,
) -> Result<Response, ApiError> {
    ctx.caller.require_admin()?;
    let nip = nip(&raw)?;
    let post = body.post.into_post()?;
    let (committed, closed) = state
        .app
        .transfer_officer(
            &nip,
            post,
            body.effective,
            &ctx.meta(Role::Admin, None),
            ctx.at,
        )
        .await?;
    Ok(with_closed(committed, closed))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AssignAppraisers {
    /// NIP of the pejabat penilai kinerja.
    penilai: String,
    /// NIP of the atasan pejabat penilai kinerja.
    atasan: String,
    from: NaiveDate,
    until: Option<NaiveDate>,
    /// Why the default hierarchy is overridden, if it is.
    reason: Option<String>,
}

async fn assign_appraisers(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(raw): Path<String>,
    AppJson(body): AppJson<AssignAppraisers>,
) -> Result<Response, ApiError> {
    ctx.caller.require_admin()?;
    let nip = nip(&raw)?;
    let penilai = self::nip(&body.penilai).map_err(|e| e.with("field", json!("penilai")))?;
    let atasan = self::nip(&body.atasan).map_err(|e| e.with("field", json!("atasan")))?;
    if let Some(r) = &body.reason {
        text("reason", r, true)?;
    }
    for (who, field) in [(&penilai, "penilai"), (&atasan, "atasan")] {
        if who != &nip {
            state.app.officer(who).await.map_err(|e| match e {
                AppError::NotFound(_) => ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "APPRAISER_NOT_REGISTERED",
                    format!("Pejabat ({field}) dengan NIP {who} belum terdaftar sebagai pegawai."),
                ),
                other => other.into(),
            })?;
        }
    }
    let command = OfficerCommand::AssignAppraiser {
        penilai: ActorId::Nip(penilai),
        atasan: ActorId::Nip(atasan),
        from: body.from,
        until: body.until,
        reason: body.reason.clone(),
    };
    let committed = state
        .app
        .officer_command(&nip, &command, &ctx.meta(Role::Admin, body.reason), ctx.at)
        .await?;
    Ok(created(committed))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ChangeStatus {
    status: OfficerStatus,
    effective: NaiveDate,
    /// Reason or decree number.
    reason: String,
}

async fn change_status(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(raw): Path<String>,
    AppJson(body): AppJson<ChangeStatus>,
) -> Result<Response, ApiError> {
    ctx.caller.require_admin()?;
    let nip = nip(&raw)?;
    let meta = ctx.meta(Role::Admin, Some(body.reason.clone()));
    let (committed, closed) = state
        .app
        .change_officer_status(
            &nip,
            body.status,
            body.effective,
            body.reason,
            &meta,
            ctx.at,
        )
        .await?;
    Ok(with_closed(committed, closed))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FinalisePredikat {
    year: Year,
    period: Period,
    /// Required when the distribution does not fit the pattern (R5).
    justification: Option<String>,
}

/// R5: the unit head (or admin) finalises the unit's employee predikat for a period. Every SKP
/// of the year held in the unit and in force during the period must be evaluated first.
async fn finalise_predikat(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    AppJson(body): AppJson<FinalisePredikat>,
) -> Result<Response, ApiError> {
    ctx.caller.require_writer()?;
    let code = UnitCode::parse(&code).map_err(ApiError::from)?;
    if let Some(j) = &body.justification {
        text("justification", j, true)?;
    }
    let unit_state = state
        .app
        .load_existing::<UnitEvent>(&crate::app::stream(unit::stream_id(&code))?, "Unit")
        .await?;
    let is_head = ctx
        .caller
        .nip()
        .is_some_and(|me| unit_state.head.as_ref() == Some(me));
    let role = if ctx.caller.is_admin() {
        Role::Admin
    } else if is_head {
        Role::Penilai
    } else {
        return Err(ApiError::forbidden(
            "Hanya kepala unit ini atau admin BKPSDM yang dapat menetapkan predikat pegawai unit.",
        ));
    };
    let collected = state
        .app
        .unit_predikat(&code, body.year, body.period)
        .await?;
    if !collected.missing.is_empty() {
        let missing: Vec<_> = collected
            .missing
            .iter()
            .map(|(n, seq)| json!({ "nip": n, "seq": seq }))
            .collect();
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "EVALUATIONS_INCOMPLETE",
            format!(
                "{} SKP di unit ini belum dinilai untuk periode {}. Selesaikan penilaiannya dahulu.",
                missing.len(),
                body.period
            ),
        )
        .with("missing", json!(missing)));
    }
    let predikat: Vec<_> = collected.evaluated.iter().map(|(.., p)| *p).collect();
    let actor = ctx.caller.actor(role);
    let committed = state
        .app
        .finalise_unit_predikat(
            &code,
            body.year,
            body.period,
            body.justification.clone(),
            &predikat,
            &actor,
            &ctx.meta(role, body.justification),
            ctx.at,
        )
        .await?;
    Ok(created(committed))
}

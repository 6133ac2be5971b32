//! `/api/v1/units`: the organisation chart. Admin registers, renames and moves units and names
//! their heads; the head of the parent unit sets a unit's organisation predikat (R7).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::json;

use super::auth::Ctx;
use super::error::{ApiError, AppJson};
use super::{AppState, with_etag};
use crate::app::{AppError, Committed, stream};
use crate::domain::unit::{self, UnitCommand, UnitContext, UnitKind};
use crate::domain::{Nip, Period, PredikatOrganisasi, Role, UnitCode, UnitEvent, UnitState, Year};

/// The routes of this resource.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/units", post(register_unit))
        .route("/units/{code}", get(get_unit))
        .route("/units/{code}/rename", post(rename_unit))
        .route("/units/{code}/move", post(move_unit))
        .route("/units/{code}/head", post(assign_unit_head))
        .route(
            "/units/{code}/organisation-predikat",
            post(set_organisation_predikat),
        )
}

fn unit_code(raw: &str) -> Result<UnitCode, ApiError> {
    UnitCode::parse(raw).map_err(ApiError::from)
}

/// A command's answer: 201 for a new stream, 200 otherwise.
pub fn created(c: Committed) -> Response {
    let status = if c.revision == 0 && !c.events.is_empty() {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let revision = c.revision;
    with_etag((status, Json(c)).into_response(), revision)
}

/// Run one unit command against `unit-{code}`.
async fn run(
    state: &AppState,
    ctx: &Ctx,
    code: &UnitCode,
    role: Role,
    command: UnitCommand,
) -> Result<Response, ApiError> {
    let app = &state.app;
    let parent = match &command {
        UnitCommand::SetOrganisationPredikat { .. } => {
            let (unit, ..) = app
                .load::<UnitEvent>(&stream(unit::stream_id(code))?)
                .await?;
            match unit.parent {
                Some(p) => Some(
                    app.load::<UnitEvent>(&stream(unit::stream_id(&p))?)
                        .await?
                        .0,
                ),
                None => None,
            }
        }
        _ => None,
    };
    let meta = ctx.meta(role, None);
    let actor = ctx.caller.actor(role);
    let config = app.config.clone();
    let at = ctx.at;
    let committed = app
        .execute::<UnitEvent>(&stream(unit::stream_id(code))?, &meta, at, |s| {
            let unit_ctx = UnitContext {
                config: &config,
                at,
                actor: &actor,
                parent: parent.as_ref(),
                employee_predikat: &[],
            };
            unit::decide(s, &command, &unit_ctx)
        })
        .await?;
    Ok(created(committed))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RegisterUnit {
    code: String,
    name: String,
    kind: UnitKind,
    parent: Option<String>,
}

async fn register_unit(
    State(state): State<AppState>,
    ctx: Ctx,
    AppJson(body): AppJson<RegisterUnit>,
) -> Result<Response, ApiError> {
    ctx.caller.require_admin()?;
    let code = unit_code(&body.code)?;
    let parent = body.parent.as_deref().map(unit_code).transpose()?;
    if let Some(p) = &parent {
        state
            .app
            .load_existing::<UnitEvent>(&stream(unit::stream_id(p))?, "Unit induk")
            .await?;
    }
    let command = UnitCommand::RegisterUnit {
        code: code.clone(),
        name: body.name,
        kind: body.kind,
        parent,
    };
    run(&state, &ctx, &code, Role::Admin, command).await
}

async fn get_unit(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
) -> Result<Response, ApiError> {
    let code = unit_code(&code)?;
    let (unit, revision, _) = state
        .app
        .load::<UnitEvent>(&stream(unit::stream_id(&code))?)
        .await?;
    let Some(revision) = revision else {
        return Err(AppError::NotFound("Unit".into()).into());
    };
    let _ = ctx;
    Ok(with_etag(Json(unit_view(&unit)).into_response(), revision))
}

/// The JSON view of a folded unit.
pub fn unit_view(u: &UnitState) -> serde_json::Value {
    let predikat: Vec<_> = u
        .organisation_predikat
        .iter()
        .map(|((year, period), p)| json!({ "year": year, "period": period, "predikat": p }))
        .collect();
    let finalised: Vec<_> = u
        .finalised
        .iter()
        .map(|(year, period)| json!({ "year": year, "period": period }))
        .collect();
    json!({
        "code": u.code,
        "name": u.name,
        "kind": u.kind,
        "parent": u.parent,
        "head": u.head,
        "organisation_predikat": predikat,
        "finalised": finalised,
    })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RenameUnit {
    name: String,
}

async fn rename_unit(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    AppJson(body): AppJson<RenameUnit>,
) -> Result<Response, ApiError> {
    ctx.caller.require_admin()?;
    let code = unit_code(&code)?;
    let command = UnitCommand::RenameUnit { name: body.name };
    run(&state, &ctx, &code, Role::Admin, command).await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MoveUnit {
    parent: Option<String>,
}

async fn move_unit(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    AppJson(body): AppJson<MoveUnit>,
) -> Result<Response, ApiError> {
    ctx.caller.require_admin()?;
    let code = unit_code(&code)?;
    let parent = body.parent.as_deref().map(unit_code).transpose()?;
    if let Some(p) = &parent {
        state
            .app
            .load_existing::<UnitEvent>(&stream(unit::stream_id(p))?, "Unit induk")
            .await?;
    }
    run(
        &state,
        &ctx,
        &code,
        Role::Admin,
        UnitCommand::MoveUnit { parent },
    )
    .await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AssignHead {
    nip: Nip,
    effective_from: NaiveDate,
}

async fn assign_unit_head(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    AppJson(body): AppJson<AssignHead>,
) -> Result<Response, ApiError> {
    ctx.caller.require_admin()?;
    let code = unit_code(&code)?;
    let command = UnitCommand::AssignUnitHead {
        head: body.nip,
        effective_from: body.effective_from,
    };
    run(&state, &ctx, &code, Role::Admin, command).await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SetOrganisationPredikat {
    year: Year,
    period: Period,
    predikat: PredikatOrganisasi,
    decree_ref: String,
}

async fn set_organisation_predikat(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    AppJson(body): AppJson<SetOrganisationPredikat>,
) -> Result<Response, ApiError> {
    ctx.caller.require_writer()?;
    let code = unit_code(&code)?;
    let command = UnitCommand::SetOrganisationPredikat {
        year: body.year,
        period: body.period,
        predikat: body.predikat,
        decree_ref: body.decree_ref,
    };
    run(&state, &ctx, &code, Role::AtasanPenilai, command).await
}

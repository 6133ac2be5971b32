//! `/api/v1/trainings`: competence-development programmes (pengembangan kompetensi). The admin
//! announces a programme, enrols officers (an officer may enrol themself), records completions
//! with the JP credited and the certificate (URI + SHA-256), and cancels programmes. JP
//! compliance per officer and year (R17) is a read model, not served here.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::json;

use super::auth::Ctx;
use super::awards::{created_at, new_id, path_uuid};
use super::error::{ApiError, AppJson};
use super::units::created;
use super::{AppState, with_etag};
use crate::app::{AppError, stream};
use crate::domain::training::{self, CompetenceType, Programme, Route};
use crate::domain::values::Certificate;
use crate::domain::{Nip, OfficerEvent, Role, TrainingCommand, TrainingEvent};

/// The routes of this resource.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/trainings", post(announce_training))
        .route("/trainings/{id}", get(get_training))
        .route("/trainings/{id}/enrolments", post(enrol_officer))
        .route("/trainings/{id}/completions", post(complete_training))
        .route("/trainings/{id}/cancel", post(cancel_training))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AnnounceTraining {
    title: String,
    competence: CompetenceType,
    route: Route,
    jp: u32,
    start: NaiveDate,
    end: NaiveDate,
    provider: String,
}

async fn run(
    state: &AppState,
    ctx: &Ctx,
    id: uuid::Uuid,
    role: Role,
    reason: Option<String>,
    command: TrainingCommand,
) -> Result<crate::app::Committed, ApiError> {
    let app = &state.app;
    let meta = ctx.meta(role, reason);
    let config = app.config.clone();
    let at = ctx.at;
    Ok(app
        .execute::<TrainingEvent>(&stream(training::stream_id(id))?, &meta, at, |s| {
            training::decide(s, &command, &config, at)
        })
        .await?)
}

async fn announce_training(
    State(state): State<AppState>,
    ctx: Ctx,
    AppJson(body): AppJson<AnnounceTraining>,
) -> Result<Response, ApiError> {
    ctx.caller.require_admin()?;
    let program_id = new_id(&ctx, "training");
    let command = TrainingCommand::AnnounceTraining {
        program_id,
        programme: Programme {
            title: body.title,
            competence: body.competence,
            route: body.route,
            jp: body.jp,
            start: body.start,
            end: body.end,
            provider: body.provider,
        },
    };
    let committed = run(&state, &ctx, program_id, Role::Admin, None, command).await?;
    Ok(created_at(
        committed,
        "program_id",
        program_id,
        format!("/api/v1/trainings/{program_id}"),
    ))
}

async fn get_training(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = path_uuid(&id, "Pelatihan")?;
    let (t, revision, _) = state
        .app
        .load::<TrainingEvent>(&stream(training::stream_id(id))?)
        .await?;
    let Some(revision) = revision else {
        return Err(AppError::NotFound("Pelatihan".into()).into());
    };
    let all = ctx.caller.is_admin() || ctx.caller.is_auditor();
    // Officers see the programme and only their own participation.
    let participants: Vec<_> = t
        .participants
        .iter()
        .filter(|(nip, _)| all || ctx.caller.nip() == Some(*nip))
        .map(|(nip, c)| {
            json!({
                "nip": nip,
                "completed": c.is_some(),
                "jp": c.as_ref().map(|c| c.jp),
                "completed_on": c.as_ref().map(|c| c.completed_on),
            })
        })
        .collect();
    let body = json!({
        "program_id": id,
        "programme": t.programme,
        "status": if t.cancelled { "CANCELLED" } else { "ANNOUNCED" },
        "participants": participants,
    });
    Ok(with_etag(Json(body).into_response(), revision))
}

async fn existing(state: &AppState, id: uuid::Uuid) -> Result<(), ApiError> {
    state
        .app
        .load_existing::<TrainingEvent>(&stream(training::stream_id(id))?, "Pelatihan")
        .await?;
    Ok(())
}

async fn officer_exists(state: &AppState, nip: &Nip) -> Result<(), ApiError> {
    state
        .app
        .load_existing::<OfficerEvent>(&stream(crate::domain::officer::stream_id(nip))?, "Pegawai")
        .await?;
    Ok(())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Enrol {
    nip: Nip,
}

async fn enrol_officer(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    AppJson(body): AppJson<Enrol>,
) -> Result<Response, ApiError> {
    let role = if ctx.caller.nip() == Some(&body.nip) {
        Role::Pegawai
    } else {
        ctx.caller.require_admin()?;
        Role::Admin
    };
    let id = path_uuid(&id, "Pelatihan")?;
    existing(&state, id).await?;
    officer_exists(&state, &body.nip).await?;
    let command = TrainingCommand::EnrollOfficer { nip: body.nip };
    Ok(created(run(&state, &ctx, id, role, None, command).await?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CertificateBody {
    uri: String,
    sha256: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Complete {
    nip: Nip,
    jp: u32,
    completed_on: NaiveDate,
    certificate: CertificateBody,
}

async fn complete_training(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    AppJson(body): AppJson<Complete>,
) -> Result<Response, ApiError> {
    ctx.caller.require_admin()?;
    let id = path_uuid(&id, "Pelatihan")?;
    existing(&state, id).await?;
    let certificate = Certificate::new(&body.certificate.uri, &body.certificate.sha256)
        .map_err(ApiError::from)?;
    let command = TrainingCommand::CompleteTraining {
        nip: body.nip,
        jp: body.jp,
        completed_on: body.completed_on,
        certificate,
    };
    Ok(created(
        run(&state, &ctx, id, Role::Admin, None, command).await?,
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Cancel {
    reason: String,
}

async fn cancel_training(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    AppJson(body): AppJson<Cancel>,
) -> Result<Response, ApiError> {
    ctx.caller.require_admin()?;
    let id = path_uuid(&id, "Pelatihan")?;
    existing(&state, id).await?;
    let command = TrainingCommand::CancelTraining {
        reason: body.reason.clone(),
    };
    Ok(created(
        run(&state, &ctx, id, Role::Admin, Some(body.reason), command).await?,
    ))
}

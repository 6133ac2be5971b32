//! `/api/v1/awards`: awards (penghargaan, R24) granted by the admin on the basis of one or more
//! evaluations of an officer's SKP. The basis SKP streams are loaded and handed to the decider;
//! when they do not support the award, it is refused unless an override reason is given, which is
//! recorded in the event (`override_reason`, `overridden_findings`) and in its metadata
//! (`reason`). Revocation needs a reason.

use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::auth::Ctx;
use super::error::{ApiError, AppJson};
use super::{AppState, with_etag};
use crate::app::{AppError, Committed, stream};
use crate::domain::award::{self, AwardGround, AwardKind, EvaluationRef};
use crate::domain::plan;
use crate::domain::{
    AwardCommand, AwardContext, AwardEvent, DomainEvent, Nip, OfficerEvent, Period, PlanEvent,
    PlanState, Role, Year,
};

/// The routes of this resource.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/awards", post(grant_award))
        .route("/awards/{id}", get(get_award))
        .route("/awards/{id}/revoke", post(revoke_award))
}

/// A new id for a resource created by POST: random, or, with an Idempotency-Key, derived from
/// the key and the caller so that a retry lands on the same stream and is answered as the first
/// time.
pub fn new_id(ctx: &Ctx, kind: &str) -> Uuid {
    match &ctx.meta.idempotency_key {
        Some(key) => {
            let digest = Sha256::digest(format!("{kind}\n{}\n{key}", ctx.caller.token_id));
            let mut bytes = [0u8; 16];
            bytes.copy_from_slice(&digest[..16]);
            uuid::Builder::from_custom_bytes(bytes).into_uuid()
        }
        None => Uuid::now_v7(),
    }
}

/// 201 (or 200 on an idempotent replay) with the new resource's id, its Location and the
/// commit.
pub fn created_at(c: Committed, id_field: &str, id: Uuid, location: String) -> Response {
    let status = if c.revision == 0 && !c.events.is_empty() {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let revision = c.revision;
    let mut body = json!(c);
    body[id_field] = json!(id);
    let mut response = with_etag((status, Json(body)).into_response(), revision);
    if let Ok(v) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, v);
    }
    response
}

/// Parse a path id.
pub fn path_uuid(raw: &str, what: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(raw).map_err(|_| ApiError::not_found(what))
}

/// What the award recognises (`ground`), with `note` for `LAINNYA`.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
enum GroundKind {
    MelampauiTarget,
    PredikatSangatBaik,
    Lainnya,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BasisRef {
    year: Year,
    period: Period,
    /// SKP sequence in the year (default 1).
    #[serde(default = "one")]
    seq: u32,
}

fn one() -> u32 {
    1
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct GrantAward {
    nip: Nip,
    kind: AwardKind,
    ground: GroundKind,
    /// Explanation; required for `LAINNYA`.
    note: Option<String>,
    basis: Vec<BasisRef>,
    /// Grant although the basis does not support it; recorded for the inspectorate.
    override_reason: Option<String>,
}

async fn grant_award(
    State(state): State<AppState>,
    ctx: Ctx,
    AppJson(body): AppJson<GrantAward>,
) -> Result<Response, ApiError> {
    ctx.caller.require_admin()?;
    let app = &state.app;
    if body.basis.len() > 20 {
        return Err(ApiError::invalid_field(
            "basis",
            "paling banyak 20 penilaian",
        ));
    }
    let ground =
        match body.ground {
            GroundKind::MelampauiTarget => AwardGround::MelampauiTarget,
            GroundKind::PredikatSangatBaik => AwardGround::PredikatSangatBaik,
            GroundKind::Lainnya => AwardGround::Lainnya(body.note.clone().ok_or_else(|| {
                ApiError::invalid_field("note", "wajib diisi untuk dasar LAINNYA")
            })?),
        };
    app.load_existing::<OfficerEvent>(
        &stream(crate::domain::officer::stream_id(&body.nip))?,
        "Pegawai",
    )
    .await?;
    // The SKP streams named by the basis (each once).
    let mut plans: Vec<PlanState> = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for b in &body.basis {
        if seen.insert((b.year, b.seq)) {
            let (plan, revision, _) = app
                .load::<PlanEvent>(&stream(plan::stream_id(&body.nip, b.year, b.seq))?)
                .await?;
            if revision.is_some() {
                plans.push(plan);
            }
        }
    }
    let plan_refs: Vec<&PlanState> = plans.iter().collect();
    let award_id = new_id(&ctx, "award");
    let override_reason = body
        .override_reason
        .clone()
        .filter(|r| !r.trim().is_empty());
    let command = AwardCommand::GrantAward {
        award_id,
        nip: body.nip.clone(),
        kind: body.kind,
        ground,
        basis: body
            .basis
            .iter()
            .map(|b| EvaluationRef {
                year: b.year,
                seq: b.seq,
                period: b.period,
            })
            .collect(),
        override_reason: override_reason.clone(),
    };
    let meta = ctx.meta(Role::Admin, override_reason);
    let actor = ctx.caller.actor(Role::Admin);
    let config = app.config.clone();
    let at = ctx.at;
    let committed = app
        .execute::<AwardEvent>(&stream(award::stream_id(award_id))?, &meta, at, |s| {
            let award_ctx = AwardContext {
                config: &config,
                at,
                actor: &actor,
                basis_plans: &plan_refs,
            };
            award::decide(s, &command, &award_ctx)
        })
        .await?;
    Ok(created_at(
        committed,
        "award_id",
        award_id,
        format!("/api/v1/awards/{award_id}"),
    ))
}

async fn get_award(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = path_uuid(&id, "Penghargaan")?;
    let (award, revision, events) = state
        .app
        .load::<AwardEvent>(&stream(award::stream_id(id))?)
        .await?;
    let Some(revision) = revision else {
        return Err(AppError::NotFound("Penghargaan".into()).into());
    };
    let own = award.nip.is_some() && award.nip.as_ref() == ctx.caller.nip();
    ctx.caller.require_reader(own)?;
    let mut view =
        json!({ "award_id": id, "status": if award.revoked { "REVOKED" } else { "GRANTED" } });
    for e in &events {
        let decoded = AwardEvent::from_data(&e.event_type, e.schema_version, &e.data_json())
            .map_err(ApiError::from)?;
        match decoded {
            AwardEvent::AwardGranted {
                nip,
                kind,
                ground,
                basis,
                overridden_findings,
                override_reason,
                by,
                at,
                ..
            } => {
                let (ground, note) = match ground {
                    AwardGround::MelampauiTarget => ("MELAMPAUI_TARGET", None),
                    AwardGround::PredikatSangatBaik => ("PREDIKAT_SANGAT_BAIK", None),
                    AwardGround::Lainnya(n) => ("LAINNYA", Some(n)),
                };
                view["nip"] = json!(nip);
                view["kind"] = json!(kind);
                view["ground"] = json!(ground);
                view["note"] = json!(note);
                view["basis"] = json!(basis);
                view["overridden"] = json!(override_reason.is_some());
                view["override_reason"] = json!(override_reason);
                view["overridden_findings"] = json!(overridden_findings);
                view["granted_by"] = json!(by);
                view["granted_at"] = json!(at);
            }
            AwardEvent::AwardRevoked { reason, by, at } => {
                view["revocation"] = json!({ "reason": reason, "by": by, "at": at });
            }
        }
    }
    if view.get("revocation").is_none() {
        view["revocation"] = Value::Null;
    }
    Ok(with_etag(Json(view).into_response(), revision))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RevokeAward {
    reason: String,
}

async fn revoke_award(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    AppJson(body): AppJson<RevokeAward>,
) -> Result<Response, ApiError> {
    ctx.caller.require_admin()?;
    let id = path_uuid(&id, "Penghargaan")?;
    let app = &state.app;
    let s = stream(award::stream_id(id))?;
    app.load_existing::<AwardEvent>(&s, "Penghargaan").await?;
    let command = AwardCommand::RevokeAward {
        reason: body.reason.clone(),
    };
    let meta = ctx.meta(Role::Admin, Some(body.reason));
    let actor = ctx.caller.actor(Role::Admin);
    let config = app.config.clone();
    let at = ctx.at;
    let plans: [&PlanState; 0] = [];
    let committed = app
        .execute::<AwardEvent>(&s, &meta, at, |st| {
            let award_ctx = AwardContext {
                config: &config,
                at,
                actor: &actor,
                basis_plans: &plans,
            };
            award::decide(st, &command, &award_ctx)
        })
        .await?;
    Ok(super::units::created(committed))
}

//! `/api/v1/officers/{nip}/plans/{year}`: the SKP and everything that hangs on it. The officer
//! drafts, plans results, submits, files and corrects realisations and objects; the assigned
//! appraiser sets behaviour expectations, approves or returns, gives feedback and evaluates; the
//! atasan pejabat penilai decides objections. The org-chart rules are the decider's; here only
//! auditors are refused (read-only) and the role the caller acts in is chosen.
//!
//! `{year}` addresses the SKP in force today (or on the last day of a past year); after a
//! transfer, `?seq=N` addresses an earlier SKP of the same year.

use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use super::auth::{Caller, Ctx};
use super::error::{ApiError, AppJson};
use super::officers::{nip, readable_officer, text};
use super::units::created;
use super::{AppState, with_etag};
use crate::app::plans::PlanRef;
use crate::domain::plan::{
    BehaviourFeedback, FeedbackTarget, Indicator, ObjectionOutcome, ObjectionState, PlanCommand,
    PlanStatus, Realisation, ResultPlan, ResultRating,
};
use crate::domain::values::{Aspek, BerAkhlak, JenisRhk, Pendekatan};
use crate::domain::{Evidence, Milli, Period, PlanEvent, PlanState, Quantity, Rating, Role, Year};

/// The routes of this resource.
pub fn router() -> Router<AppState> {
    let p = "/officers/{nip}/plans/{year}";
    Router::new()
        .route(p, get(get_plan).post(draft_plan))
        .route(&format!("{p}/results"), post(plan_result))
        .route(
            &format!("{p}/behaviour-expectations"),
            post(set_behaviour_expectation),
        )
        .route(&format!("{p}/submit"), post(submit_plan))
        .route(&format!("{p}/approve"), post(approve_plan))
        .route(&format!("{p}/return"), post(return_plan))
        .route(&format!("{p}/revise"), post(revise_plan))
        .route(&format!("{p}/reports"), post(file_report))
        .route(
            &format!("{p}/reports/{{report_id}}/correct"),
            post(correct_report),
        )
        .route(
            &format!("{p}/reports/{{report_id}}/withdraw"),
            post(withdraw_report),
        )
        .route(&format!("{p}/feedback"), post(give_feedback))
        .route(&format!("{p}/dialogues"), post(hold_dialogue))
        .route(&format!("{p}/evaluations"), post(record_evaluation))
        .route(
            &format!("{p}/evaluations/{{period}}/amend"),
            post(amend_evaluation),
        )
        .route(&format!("{p}/objections"), post(file_objection))
        .route(
            &format!("{p}/objections/{{period}}/decide"),
            post(decide_objection),
        )
}

// ---------------------------------------------------------------------------------------------
// Parsing the address and the shared bodies
// ---------------------------------------------------------------------------------------------

fn plan_ref(nip_raw: &str, year_raw: &str, query: Option<&str>) -> Result<PlanRef, ApiError> {
    let nip = nip(nip_raw)?;
    let y: i32 = year_raw
        .parse()
        .map_err(|_| ApiError::invalid_field("year", "tahun harus angka, mis. 2025"))?;
    let year = Year::new(y).map_err(ApiError::from)?;
    let mut seq = None;
    for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=') {
            Some(("seq", v)) => {
                let n: u32 = v
                    .parse()
                    .ok()
                    .filter(|n| *n >= 1)
                    .ok_or_else(|| ApiError::invalid_field("seq", "bilangan bulat mulai 1"))?;
                seq = Some(n);
            }
            _ => {
                return Err(ApiError::invalid_field(
                    "query",
                    format!("parameter tidak dikenal: {pair}"),
                ));
            }
        }
    }
    Ok(PlanRef { nip, year, seq })
}

fn period(raw: &str) -> Result<Period, ApiError> {
    Period::parse(raw).map_err(ApiError::from)
}

fn uuid(field: &str, raw: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(raw).map_err(|_| ApiError::invalid_field(field.to_string(), "harus UUID"))
}

/// A number as JSON number or text ("12,5"), read exactly in thousandths.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Amount {
    Number(serde_json::Number),
    Text(String),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct QuantityBody {
    value: Amount,
    unit: String,
}

impl QuantityBody {
    fn into_quantity(self, field: &str) -> Result<Quantity, ApiError> {
        text(field, &self.unit, false)?;
        let raw = match self.value {
            Amount::Number(n) => n.to_string(),
            Amount::Text(t) => t,
        };
        let m = Milli::parse(&raw).map_err(ApiError::from)?;
        Quantity::new(m, &self.unit).map_err(ApiError::from)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EvidenceBody {
    uri: String,
    sha256: String,
    media_type: String,
}

fn evidence(list: Vec<EvidenceBody>) -> Result<Vec<Evidence>, ApiError> {
    list.into_iter()
        .map(|e| Evidence::new(&e.uri, &e.sha256, &e.media_type).map_err(ApiError::from))
        .collect()
}

/// Who the caller acts as on this officer's SKP: the officer themself, or `otherwise`.
fn role_for(caller: &Caller, r: &PlanRef, otherwise: Role) -> Role {
    if caller.nip() == Some(&r.nip) {
        Role::Pegawai
    } else {
        otherwise
    }
}

async fn run(
    state: &AppState,
    ctx: &Ctx,
    r: &PlanRef,
    role: Role,
    reason: Option<String>,
    command: PlanCommand,
) -> Result<Response, ApiError> {
    ctx.caller.require_writer()?;
    let actor = ctx.caller.actor(role);
    let committed = state
        .app
        .plan_command(r, command, &actor, &ctx.meta(role, reason), ctx.at)
        .await?;
    Ok(created(committed))
}

// ---------------------------------------------------------------------------------------------
// Planning
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DraftPlan {
    approach: Pendekatan,
}

async fn draft_plan(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((n, y)): Path<(String, String)>,
    RawQuery(q): RawQuery,
    AppJson(body): AppJson<DraftPlan>,
) -> Result<Response, ApiError> {
    let r = plan_ref(&n, &y, q.as_deref())?;
    let command = PlanCommand::DraftPlan {
        nip: r.nip.clone(),
        year: r.year,
        seq: 1,
        approach: body.approach,
    };
    run(&state, &ctx, &r, Role::Pegawai, None, command).await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct IndicatorBody {
    id: Option<Uuid>,
    text: String,
    aspek: Option<Aspek>,
    target: Option<QuantityBody>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ResultBody {
    /// Given to replace an existing result; new otherwise.
    id: Option<Uuid>,
    jenis: JenisRhk,
    text: String,
    superior_result: Option<String>,
    perspektif: Option<String>,
    indicators: Vec<IndicatorBody>,
}

async fn plan_result(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((n, y)): Path<(String, String)>,
    RawQuery(q): RawQuery,
    AppJson(body): AppJson<ResultBody>,
) -> Result<Response, ApiError> {
    let r = plan_ref(&n, &y, q.as_deref())?;
    text("text", &body.text, true)?;
    for (f, v) in [
        ("superior_result", &body.superior_result),
        ("perspektif", &body.perspektif),
    ] {
        if let Some(v) = v {
            text(f, v, true)?;
        }
    }
    let mut indicators = Vec::with_capacity(body.indicators.len());
    for (i, ind) in body.indicators.into_iter().enumerate() {
        text(&format!("indicators[{i}].text"), &ind.text, true)?;
        indicators.push(Indicator {
            id: ind.id.unwrap_or_else(Uuid::now_v7),
            text: ind.text,
            aspek: ind.aspek,
            target: ind
                .target
                .map(|t| t.into_quantity(&format!("indicators[{i}].target.unit")))
                .transpose()?,
        });
    }
    let result = ResultPlan {
        id: body.id.unwrap_or_else(Uuid::now_v7),
        jenis: body.jenis,
        text: body.text,
        superior_result: body.superior_result,
        perspektif: body.perspektif,
        indicators,
    };
    let role = role_for(&ctx.caller, &r, Role::Penilai);
    run(
        &state,
        &ctx,
        &r,
        role,
        None,
        PlanCommand::PlanResult { result },
    )
    .await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BehaviourExpectation {
    value: BerAkhlak,
    expectation: String,
}

async fn set_behaviour_expectation(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((n, y)): Path<(String, String)>,
    RawQuery(q): RawQuery,
    AppJson(body): AppJson<BehaviourExpectation>,
) -> Result<Response, ApiError> {
    let r = plan_ref(&n, &y, q.as_deref())?;
    text("expectation", &body.expectation, true)?;
    let command = PlanCommand::SetBehaviourExpectation {
        value: body.value,
        expectation: body.expectation,
    };
    run(&state, &ctx, &r, Role::Penilai, None, command).await
}

/// An empty JSON object (`{}`), for commands without parameters.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Empty {}

async fn submit_plan(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((n, y)): Path<(String, String)>,
    RawQuery(q): RawQuery,
    AppJson(Empty {}): AppJson<Empty>,
) -> Result<Response, ApiError> {
    let r = plan_ref(&n, &y, q.as_deref())?;
    run(
        &state,
        &ctx,
        &r,
        Role::Pegawai,
        None,
        PlanCommand::SubmitPlan,
    )
    .await
}

async fn approve_plan(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((n, y)): Path<(String, String)>,
    RawQuery(q): RawQuery,
    AppJson(Empty {}): AppJson<Empty>,
) -> Result<Response, ApiError> {
    let r = plan_ref(&n, &y, q.as_deref())?;
    run(
        &state,
        &ctx,
        &r,
        Role::Penilai,
        None,
        PlanCommand::ApprovePlan,
    )
    .await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Reason {
    reason: String,
}

async fn return_plan(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((n, y)): Path<(String, String)>,
    RawQuery(q): RawQuery,
    AppJson(body): AppJson<Reason>,
) -> Result<Response, ApiError> {
    let r = plan_ref(&n, &y, q.as_deref())?;
    text("reason", &body.reason, true)?;
    let command = PlanCommand::ReturnPlan {
        reason: body.reason.clone(),
    };
    run(&state, &ctx, &r, Role::Penilai, Some(body.reason), command).await
}

async fn revise_plan(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((n, y)): Path<(String, String)>,
    RawQuery(q): RawQuery,
    AppJson(body): AppJson<Reason>,
) -> Result<Response, ApiError> {
    let r = plan_ref(&n, &y, q.as_deref())?;
    text("reason", &body.reason, true)?;
    let command = PlanCommand::RevisePlan {
        reason: body.reason.clone(),
    };
    let role = role_for(&ctx.caller, &r, Role::Penilai);
    run(&state, &ctx, &r, role, Some(body.reason), command).await
}

// ---------------------------------------------------------------------------------------------
// Realisation reports
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileReport {
    /// Client-generated id (makes a retry safe); a new one otherwise.
    report_id: Option<Uuid>,
    indicator_id: Uuid,
    period: Period,
    realised: QuantityBody,
    #[serde(default)]
    evidence: Vec<EvidenceBody>,
    note: Option<String>,
    /// The device clock when the report was made (else the `X-Client-Time` header).
    client_time: Option<DateTime<Utc>>,
}

async fn file_report(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((n, y)): Path<(String, String)>,
    RawQuery(q): RawQuery,
    AppJson(body): AppJson<FileReport>,
) -> Result<Response, ApiError> {
    let r = plan_ref(&n, &y, q.as_deref())?;
    if let Some(note) = &body.note {
        text("note", note, true)?;
    }
    let client_time = body.client_time.or(ctx.meta.client_time);
    let command = PlanCommand::FileReport {
        report_id: body.report_id.unwrap_or_else(Uuid::now_v7),
        indicator_id: body.indicator_id,
        period: body.period,
        realisation: Realisation {
            value: body.realised.into_quantity("realised.unit")?,
            evidence: evidence(body.evidence)?,
            note: body.note,
        },
        client_time,
    };
    let mut ctx = ctx;
    ctx.meta.client_time = client_time;
    run(&state, &ctx, &r, Role::Pegawai, None, command).await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CorrectReport {
    realised: QuantityBody,
    #[serde(default)]
    evidence: Vec<EvidenceBody>,
    note: Option<String>,
    reason: String,
}

async fn correct_report(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((n, y, id)): Path<(String, String, String)>,
    RawQuery(q): RawQuery,
    AppJson(body): AppJson<CorrectReport>,
) -> Result<Response, ApiError> {
    let r = plan_ref(&n, &y, q.as_deref())?;
    let report_id = uuid("report_id", &id)?;
    text("reason", &body.reason, true)?;
    if let Some(note) = &body.note {
        text("note", note, true)?;
    }
    let command = PlanCommand::CorrectReport {
        report_id,
        realisation: Realisation {
            value: body.realised.into_quantity("realised.unit")?,
            evidence: evidence(body.evidence)?,
            note: body.note,
        },
        reason: body.reason.clone(),
    };
    run(&state, &ctx, &r, Role::Pegawai, Some(body.reason), command).await
}

async fn withdraw_report(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((n, y, id)): Path<(String, String, String)>,
    RawQuery(q): RawQuery,
    AppJson(body): AppJson<Reason>,
) -> Result<Response, ApiError> {
    let r = plan_ref(&n, &y, q.as_deref())?;
    let report_id = uuid("report_id", &id)?;
    text("reason", &body.reason, true)?;
    let command = PlanCommand::WithdrawReport {
        report_id,
        reason: body.reason.clone(),
    };
    run(&state, &ctx, &r, Role::Pegawai, Some(body.reason), command).await
}

// ---------------------------------------------------------------------------------------------
// Feedback and dialogues
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct GiveFeedback {
    /// `{"kind": "INDICATOR", "ref": "<uuid>"}` or `{"kind": "BEHAVIOUR", "ref": "AKUNTABEL"}`.
    about: FeedbackTarget,
    period: Option<Period>,
    text: String,
}

async fn give_feedback(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((n, y)): Path<(String, String)>,
    RawQuery(q): RawQuery,
    AppJson(body): AppJson<GiveFeedback>,
) -> Result<Response, ApiError> {
    let r = plan_ref(&n, &y, q.as_deref())?;
    text("text", &body.text, true)?;
    let command = PlanCommand::GiveFeedback {
        feedback_id: Uuid::now_v7(),
        about: body.about,
        period: body.period,
        text: body.text,
    };
    run(&state, &ctx, &r, Role::Penilai, None, command).await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HoldDialogue {
    held_on: NaiveDate,
    /// NIPs of the participants.
    participants: Vec<String>,
    summary: String,
}

async fn hold_dialogue(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((n, y)): Path<(String, String)>,
    RawQuery(q): RawQuery,
    AppJson(body): AppJson<HoldDialogue>,
) -> Result<Response, ApiError> {
    let r = plan_ref(&n, &y, q.as_deref())?;
    text("summary", &body.summary, true)?;
    let participants = body
        .participants
        .iter()
        .map(|p| nip(p).map(crate::domain::ActorId::Nip))
        .collect::<Result<Vec<_>, _>>()?;
    let command = PlanCommand::HoldDialogue {
        dialogue_id: Uuid::now_v7(),
        held_on: body.held_on,
        participants,
        summary: body.summary,
    };
    let role = role_for(&ctx.caller, &r, Role::Penilai);
    run(&state, &ctx, &r, role, None, command).await
}

// ---------------------------------------------------------------------------------------------
// Evaluations and objections
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RecordEvaluation {
    period: Period,
    hasil_kerja: Rating,
    perilaku: Rating,
    #[serde(default)]
    result_ratings: Vec<ResultRating>,
    #[serde(default)]
    behaviour_feedback: Vec<BehaviourFeedback>,
    note: Option<String>,
}

async fn record_evaluation(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((n, y)): Path<(String, String)>,
    RawQuery(q): RawQuery,
    AppJson(body): AppJson<RecordEvaluation>,
) -> Result<Response, ApiError> {
    let r = plan_ref(&n, &y, q.as_deref())?;
    if let Some(note) = &body.note {
        text("note", note, true)?;
    }
    for (i, f) in body.behaviour_feedback.iter().enumerate() {
        text(&format!("behaviour_feedback[{i}].text"), &f.text, true)?;
    }
    let command = PlanCommand::RecordEvaluation {
        period: body.period,
        hasil_kerja: body.hasil_kerja,
        perilaku: body.perilaku,
        result_ratings: body.result_ratings,
        behaviour_feedback: body.behaviour_feedback,
        note: body.note,
    };
    run(&state, &ctx, &r, Role::Penilai, None, command).await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AmendEvaluation {
    hasil_kerja: Rating,
    perilaku: Rating,
    reason: String,
}

async fn amend_evaluation(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((n, y, p)): Path<(String, String, String)>,
    RawQuery(q): RawQuery,
    AppJson(body): AppJson<AmendEvaluation>,
) -> Result<Response, ApiError> {
    let r = plan_ref(&n, &y, q.as_deref())?;
    let period = period(&p)?;
    text("reason", &body.reason, true)?;
    let command = PlanCommand::AmendEvaluation {
        period,
        hasil_kerja: body.hasil_kerja,
        perilaku: body.perilaku,
        reason: body.reason.clone(),
    };
    run(&state, &ctx, &r, Role::Penilai, Some(body.reason), command).await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileObjection {
    period: Period,
    reason: String,
}

async fn file_objection(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((n, y)): Path<(String, String)>,
    RawQuery(q): RawQuery,
    AppJson(body): AppJson<FileObjection>,
) -> Result<Response, ApiError> {
    let r = plan_ref(&n, &y, q.as_deref())?;
    text("reason", &body.reason, true)?;
    let command = PlanCommand::FileObjection {
        period: body.period,
        reason: body.reason.clone(),
    };
    run(&state, &ctx, &r, Role::Pegawai, Some(body.reason), command).await
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
enum Decision {
    UpheldChanged,
    Rejected,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DecideObjection {
    decision: Decision,
    /// The new ratings, for `UPHELD_CHANGED`.
    hasil_kerja: Option<Rating>,
    perilaku: Option<Rating>,
    reason: String,
}

async fn decide_objection(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((n, y, p)): Path<(String, String, String)>,
    RawQuery(q): RawQuery,
    AppJson(body): AppJson<DecideObjection>,
) -> Result<Response, ApiError> {
    let r = plan_ref(&n, &y, q.as_deref())?;
    let period = period(&p)?;
    text("reason", &body.reason, true)?;
    let outcome = match (body.decision, body.hasil_kerja, body.perilaku) {
        (Decision::Rejected, None, None) => ObjectionOutcome::Rejected,
        (Decision::UpheldChanged, Some(hasil_kerja), Some(perilaku)) => {
            ObjectionOutcome::UpheldChanged {
                hasil_kerja,
                perilaku,
            }
        }
        _ => {
            return Err(ApiError::from(
                crate::domain::DomainError::ObjectionOutcomeIncomplete,
            ));
        }
    };
    let command = PlanCommand::DecideObjection {
        period,
        outcome,
        reason: body.reason.clone(),
    };
    run(
        &state,
        &ctx,
        &r,
        Role::AtasanPenilai,
        Some(body.reason),
        command,
    )
    .await
}

// ---------------------------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------------------------

async fn get_plan(
    State(state): State<AppState>,
    caller: Caller,
    Path((n, y)): Path<(String, String)>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    let r = plan_ref(&n, &y, q.as_deref())?;
    let (officer, _) = readable_officer(&state, &caller, &r.nip).await?;
    let loaded = state.app.load_plan_of(officer, &r, Utc::now()).await?;
    let body = plan_view(
        &loaded.plan,
        &loaded.decoded,
        loaded.stream.as_str(),
        loaded.revision,
    );
    Ok(with_etag(Json(body).into_response(), loaded.revision))
}

fn status_label(s: PlanStatus) -> &'static str {
    match s {
        PlanStatus::NotDrafted => "NOT_DRAFTED",
        PlanStatus::Draft => "DRAFT",
        PlanStatus::Submitted => "SUBMITTED",
        PlanStatus::Approved => "APPROVED",
        PlanStatus::Closed => "CLOSED",
    }
}

/// The JSON view of an SKP: the folded state plus the feedback, dialogues and objection texts
/// from its events.
pub fn plan_view(
    p: &PlanState,
    events: &[PlanEvent],
    stream_id: &str,
    revision: u64,
) -> serde_json::Value {
    let results: Vec<_> = p
        .results
        .values()
        .map(|r| {
            let indicators: Vec<_> = r
                .indicators
                .iter()
                .map(|i| {
                    let realisation: serde_json::Map<_, _> = Period::ALL
                        .iter()
                        .filter_map(|per| {
                            let key = json!(per).as_str()?.to_string();
                            p.realisation(i.id, *per).map(|q| (key, json!(q)))
                        })
                        .collect();
                    json!({
                        "id": i.id, "text": i.text, "aspek": i.aspek, "target": i.target,
                        "realisation": realisation,
                    })
                })
                .collect();
            json!({
                "id": r.id, "jenis": r.jenis, "text": r.text,
                "superior_result": r.superior_result, "perspektif": r.perspektif,
                "indicators": indicators,
            })
        })
        .collect();
    let behaviours: Vec<_> = p
        .behaviours
        .iter()
        .map(|(v, e)| json!({ "value": v, "expectation": e }))
        .collect();
    let reports: Vec<_> = p
        .reports
        .iter()
        .map(|(id, r)| {
            json!({
                "id": id, "indicator_id": r.indicator_id, "period": r.period, "value": r.value,
                "evidence": r.evidence, "late": r.late, "withdrawn": r.withdrawn,
                "filed_at": r.filed_at,
            })
        })
        .collect();
    let mut feedback = Vec::new();
    let mut dialogues = Vec::new();
    let mut objections = Vec::new();
    for e in events {
        match e {
            PlanEvent::FeedbackGiven {
                feedback_id,
                about,
                period,
                text,
                by,
                at,
            } => feedback.push(json!({
                "id": feedback_id, "about": about, "period": period, "text": text,
                "by": by, "at": at,
            })),
            PlanEvent::PerformanceDialogueHeld {
                dialogue_id,
                held_on,
                participants,
                summary,
                at,
            } => dialogues.push(json!({
                "id": dialogue_id, "held_on": held_on, "participants": participants,
                "summary": summary, "at": at,
            })),
            PlanEvent::ObjectionFiled {
                period,
                reason,
                addressed_to,
                at,
            } => objections.push(json!({
                "period": period, "reason": reason, "addressed_to": addressed_to,
                "filed_at": at, "decision": null,
            })),
            PlanEvent::ObjectionDecided {
                period,
                outcome,
                predikat,
                reason,
                by,
                at,
            } => {
                if let Some(o) = objections
                    .iter_mut()
                    .rev()
                    .find(|o| o["period"] == json!(period))
                {
                    o["decision"] = json!({
                        "outcome": outcome, "predikat": predikat, "reason": reason,
                        "by": by, "at": at,
                    });
                }
            }
            _ => {}
        }
    }
    let evaluations: Vec<_> = p
        .evaluations
        .iter()
        .map(|(period, ev)| {
            let objection = match &ev.objection {
                ObjectionState::None => json!("NONE"),
                ObjectionState::Pending { .. } => json!("PENDING"),
                ObjectionState::Decided => json!("DECIDED"),
            };
            json!({
                "period": period, "hasil_kerja": ev.hasil_kerja, "perilaku": ev.perilaku,
                "predikat": ev.predikat, "suggested_hasil_kerja": ev.suggested_hasil_kerja,
                "received_at": ev.received_at, "objection": objection,
            })
        })
        .collect();
    json!({
        "stream_id": stream_id,
        "revision": revision,
        "nip": p.nip,
        "year": p.year,
        "seq": p.seq,
        "status": status_label(p.status),
        "approach": p.approach,
        "post": p.post,
        "approvals": p.approvals,
        "closed_on": p.closed_on,
        "results": results,
        "behaviours": behaviours,
        "reports": reports,
        "feedback": feedback,
        "dialogues": dialogues,
        "evaluations": evaluations,
        "objections": objections,
    })
}

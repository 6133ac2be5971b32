//! The entity documents the folds keep (and store in each row's `doc` column), and the pure
//! functions that apply one event to one document. Every projection that needs an officer, an
//! SKP, an award, a training programme or a unit uses these, so the scorecard of the read model,
//! the accountability findings and the as-of scorecard fold the same way.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::award::{AwardGround, AwardKind, BasisEvaluation};
use crate::domain::officer::AppraiserAssignment;
use crate::domain::plan::{CloseReason, FeedbackTarget, ObjectionOutcome, ResultPlan};
use crate::domain::rules::DistributionViolation;
use crate::domain::training::Programme;
use crate::domain::unit::PredikatCounts;
use crate::domain::values::{ActorId, EmploymentType, Period, PositionKind, Quantity};
use crate::domain::{
    AwardEvent, OfficerEvent, PlanEvent, PredikatOrganisasi, PredikatPegawai, Rating,
    TrainingEvent, UnitEvent,
};

/// An actor id as text: the NIP, or `staff:{id}`.
pub fn actor_text(a: &ActorId) -> String {
    match a {
        ActorId::Nip(n) => n.as_str().to_string(),
        ActorId::Staff(s) => format!("staff:{s}"),
    }
}

/// `{year}/{period}` key used inside documents (e.g. `2025/TW1`).
pub fn period_key(year: i32, period: Period) -> String {
    format!("{year}/{}", period_code(period))
}

/// The wire code of a period: `TW1`..`TW4`, `TAHUNAN`.
pub fn period_code(p: Period) -> &'static str {
    match p {
        Period::Tw1 => "TW1",
        Period::Tw2 => "TW2",
        Period::Tw3 => "TW3",
        Period::Tw4 => "TW4",
        Period::Tahunan => "TAHUNAN",
    }
}

/// An officer.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OfficerDoc {
    pub nip: String,
    pub name: String,
    pub golongan: String,
    pub employment: Option<EmploymentType>,
    /// Current unit code.
    pub unit: Option<String>,
    pub position: Option<String>,
    pub position_kind: Option<PositionKind>,
    /// Current status label (e.g. `AKTIF`).
    pub status: String,
    pub assignments: Vec<AppraiserAssignment>,
    /// Server time of the officer's last report (adoption).
    pub last_filed_at: Option<DateTime<Utc>>,
    pub registered_at: Option<DateTime<Utc>>,
}

impl OfficerDoc {
    /// Whether `nip` is this officer's appraiser (penilai) or the appraiser's superior (atasan)
    /// in an assignment covering any day of `year` (of any year when `None`).
    pub fn is_appraised_by(&self, nip: &str, year: Option<i32>) -> bool {
        let is = |a: &ActorId| matches!(a, ActorId::Nip(n) if n.as_str() == nip);
        self.assignments.iter().any(|a| {
            let covers = year.is_none_or(|y| {
                use chrono::Datelike;
                a.from.year() <= y && a.until.is_none_or(|u| u.year() >= y)
            });
            covers && (is(&a.penilai) || is(&a.atasan))
        })
    }

    /// The appraiser assignment covering `d` (the latest that covers it wins, as in the domain).
    pub fn assignment_at(&self, d: NaiveDate) -> Option<&AppraiserAssignment> {
        self.assignments
            .iter()
            .rev()
            .find(|a| a.from <= d && a.until.is_none_or(|u| d <= u))
    }
}

/// Apply an officer event.
pub fn apply_officer(doc: &mut OfficerDoc, nip: &str, e: &OfficerEvent) {
    if doc.nip.is_empty() {
        doc.nip = nip.to_string();
        doc.status = "AKTIF".into();
    }
    match e {
        OfficerEvent::OfficerRegistered {
            name,
            golongan,
            employment,
            post,
            at,
            ..
        } => {
            doc.name = name.clone();
            doc.golongan = golongan.clone();
            doc.employment = Some(*employment);
            doc.unit = Some(post.unit.as_str().to_string());
            doc.position = Some(post.position.clone());
            doc.position_kind = Some(post.kind);
            doc.registered_at = Some(*at);
        }
        OfficerEvent::OfficerTransferred { post, .. } => {
            doc.unit = Some(post.unit.as_str().to_string());
            doc.position = Some(post.position.clone());
            doc.position_kind = Some(post.kind);
        }
        OfficerEvent::AppraiserAssigned { assignment, .. } => {
            doc.assignments.push(assignment.clone());
        }
        OfficerEvent::OfficerStatusChanged { status, .. } => {
            doc.status = serde_json::to_value(status)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
        }
    }
}

/// A realisation report as currently corrected.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportDoc {
    pub report_id: Uuid,
    pub indicator_id: Uuid,
    pub period: Period,
    pub value: Quantity,
    pub late: bool,
    pub withdrawn: bool,
    /// Server time of filing.
    pub filed_at: DateTime<Utc>,
    /// The device's clock at filing, as the client said.
    pub client_time: Option<DateTime<Utc>>,
    pub position: u64,
    pub corrections: u32,
}

/// A piece of feedback.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeedbackDoc {
    pub about: FeedbackTarget,
    pub period: Option<Period>,
    pub text: String,
    pub by: String,
    pub at: DateTime<Utc>,
}

/// A change of an evaluation after it was recorded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AmendmentDoc {
    pub hasil_kerja: Rating,
    pub perilaku: Rating,
    pub predikat: PredikatPegawai,
    pub reason: String,
    pub by: String,
    pub at: DateTime<Utc>,
    pub position: u64,
    /// Whether the R12 objection window (from the officer's receipt of the result) had closed.
    pub after_objection_window: bool,
}

/// An objection (R12).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObjectionDoc {
    pub reason: String,
    pub addressed_to: String,
    pub filed_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
    pub outcome: Option<ObjectionOutcome>,
    pub decision_reason: Option<String>,
}

/// An evaluation as currently in force, with its history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvaluationDoc {
    pub period: Period,
    pub hasil_kerja: Rating,
    pub perilaku: Rating,
    pub predikat: PredikatPegawai,
    pub suggested_hasil_kerja: Option<Rating>,
    pub note: Option<String>,
    /// The appraiser who recorded it.
    pub by: String,
    /// Server time of the record.
    pub recorded_at: DateTime<Utc>,
    /// When the officer received the current result (the R12 window starts).
    pub received_at: DateTime<Utc>,
    pub position: u64,
    pub amendments: Vec<AmendmentDoc>,
    pub objection: Option<ObjectionDoc>,
}

/// One SKP (`skp-{nip}_{year}_{seq}`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PlanDoc {
    pub stream_id: String,
    pub nip: String,
    pub year: i32,
    pub seq: u32,
    /// DRAFT, SUBMITTED, APPROVED, CLOSED.
    pub status: String,
    pub unit: Option<String>,
    pub position: Option<String>,
    pub drafted_at: Option<DateTime<Utc>>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub approved_at: Option<DateTime<Utc>>,
    pub approved_by: Option<String>,
    /// Approved after the yearly deadline (R8).
    pub approved_late: bool,
    pub approvals: u32,
    pub closed: Option<(CloseReason, NaiveDate)>,
    pub results: Vec<ResultPlan>,
    pub reports: BTreeMap<Uuid, ReportDoc>,
    pub feedback: Vec<FeedbackDoc>,
    pub dialogues: u32,
    pub evaluations: BTreeMap<Period, EvaluationDoc>,
}

/// `skp-{nip}_{year}_{seq}` → (nip, year, seq).
pub fn parse_plan_stream(stream_id: &str) -> Option<(String, i32, u32)> {
    let rest = stream_id.strip_prefix("skp-")?;
    let mut parts = rest.rsplitn(3, '_');
    let seq = parts.next()?.parse().ok()?;
    let year = parts.next()?.parse().ok()?;
    let nip = parts.next()?.to_string();
    Some((nip, year, seq))
}

impl PlanDoc {
    /// A new document for the stream.
    pub fn new(stream_id: &str) -> Self {
        let (nip, year, seq) = parse_plan_stream(stream_id).unwrap_or_default();
        Self {
            stream_id: stream_id.to_string(),
            nip,
            year,
            seq,
            status: "NOT_DRAFTED".into(),
            ..Self::default()
        }
    }

    /// The indicator target for `indicator`.
    pub fn target(&self, indicator: Uuid) -> Option<&Quantity> {
        self.results
            .iter()
            .flat_map(|r| r.indicators.iter())
            .find(|i| i.id == indicator)
            .and_then(|i| i.target.as_ref())
    }

    /// The realisation of an indicator for a period, as the domain defines it: the latest
    /// non-withdrawn report of the period; for the year, without an annual report, the latest
    /// quarterly one.
    pub fn realisation(&self, indicator: Uuid, period: Period) -> Option<&ReportDoc> {
        let latest = |p: Option<Period>| {
            self.reports
                .values()
                .filter(|r| {
                    r.indicator_id == indicator && !r.withdrawn && p.is_none_or(|p| r.period == p)
                })
                .max_by_key(|r| (r.period, r.filed_at))
        };
        match period {
            Period::Tahunan => latest(Some(Period::Tahunan)).or_else(|| latest(None)),
            p => latest(Some(p)),
        }
    }

    /// Whether any non-withdrawn report belongs to `period` (any report of the year for the
    /// annual evaluation).
    pub fn has_report_in(&self, period: Period) -> bool {
        self.reports
            .values()
            .any(|r| !r.withdrawn && (period == Period::Tahunan || r.period == period))
    }
}

/// Apply an SKP event. `objection_window_days` is R12's window, for flagging late amendments.
pub fn apply_plan(
    doc: &mut PlanDoc,
    e: &PlanEvent,
    position: u64,
    recorded_at: DateTime<Utc>,
    objection_window_days: u32,
) {
    use PlanEvent as E;
    match e {
        E::PlanDrafted {
            nip,
            year,
            seq,
            post,
            at,
            ..
        } => {
            doc.nip = nip.as_str().to_string();
            doc.year = year.get();
            doc.seq = *seq;
            doc.status = "DRAFT".into();
            doc.unit = Some(post.unit.as_str().to_string());
            doc.position = Some(post.position.clone());
            doc.drafted_at = Some(*at);
        }
        E::ResultPlanned { result, .. } => {
            match doc.results.iter_mut().find(|r| r.id == result.id) {
                Some(r) => *r = result.clone(),
                None => doc.results.push(result.clone()),
            }
        }
        E::BehaviourExpectationSet { .. } => {}
        E::PlanSubmitted { at } => {
            doc.status = "SUBMITTED".into();
            doc.submitted_at = Some(*at);
        }
        E::PlanApproved { by, late, at } => {
            doc.status = "APPROVED".into();
            doc.approved_at = Some(*at);
            doc.approved_by = Some(actor_text(by));
            doc.approved_late = *late;
            doc.approvals += 1;
        }
        E::PlanReturned { .. } | E::PlanRevised { .. } => doc.status = "DRAFT".into(),
        E::PlanClosed {
            reason, effective, ..
        } => {
            doc.status = "CLOSED".into();
            doc.closed = Some((reason.clone(), *effective));
        }
        E::ReportFiled {
            report_id,
            indicator_id,
            period,
            value,
            client_time,
            late,
            at,
            ..
        } => {
            doc.reports.insert(
                *report_id,
                ReportDoc {
                    report_id: *report_id,
                    indicator_id: *indicator_id,
                    period: *period,
                    value: value.clone(),
                    late: *late,
                    withdrawn: false,
                    filed_at: *at,
                    client_time: *client_time,
                    position,
                    corrections: 0,
                },
            );
        }
        E::ReportCorrected {
            report_id, value, ..
        } => {
            if let Some(r) = doc.reports.get_mut(report_id) {
                r.value = value.clone();
                r.corrections += 1;
            }
        }
        E::ReportWithdrawn { report_id, .. } => {
            if let Some(r) = doc.reports.get_mut(report_id) {
                r.withdrawn = true;
            }
        }
        E::FeedbackGiven {
            about,
            period,
            text,
            by,
            at,
            ..
        } => doc.feedback.push(FeedbackDoc {
            about: about.clone(),
            period: *period,
            text: text.clone(),
            by: actor_text(by),
            at: *at,
        }),
        E::PerformanceDialogueHeld { .. } => doc.dialogues += 1,
        E::EvaluationRecorded {
            period,
            hasil_kerja,
            perilaku,
            predikat,
            suggested_hasil_kerja,
            note,
            by,
            at,
            ..
        } => {
            doc.evaluations.insert(
                *period,
                EvaluationDoc {
                    period: *period,
                    hasil_kerja: *hasil_kerja,
                    perilaku: *perilaku,
                    predikat: *predikat,
                    suggested_hasil_kerja: *suggested_hasil_kerja,
                    note: note.clone(),
                    by: actor_text(by),
                    recorded_at: *at,
                    received_at: *at,
                    position,
                    amendments: Vec::new(),
                    objection: None,
                },
            );
        }
        E::EvaluationAmended {
            period,
            hasil_kerja,
            perilaku,
            predikat,
            reason,
            by,
            at,
        } => {
            if let Some(ev) = doc.evaluations.get_mut(period) {
                let window = chrono::TimeDelta::days(i64::from(objection_window_days));
                ev.amendments.push(AmendmentDoc {
                    hasil_kerja: *hasil_kerja,
                    perilaku: *perilaku,
                    predikat: *predikat,
                    reason: reason.clone(),
                    by: actor_text(by),
                    at: *at,
                    position,
                    after_objection_window: recorded_at > ev.received_at + window,
                });
                ev.hasil_kerja = *hasil_kerja;
                ev.perilaku = *perilaku;
                ev.predikat = *predikat;
                ev.received_at = *at;
            }
        }
        E::ObjectionFiled {
            period,
            reason,
            addressed_to,
            at,
        } => {
            if let Some(ev) = doc.evaluations.get_mut(period) {
                ev.objection = Some(ObjectionDoc {
                    reason: reason.clone(),
                    addressed_to: actor_text(addressed_to),
                    filed_at: *at,
                    decided_at: None,
                    outcome: None,
                    decision_reason: None,
                });
            }
        }
        E::ObjectionDecided {
            period,
            outcome,
            predikat,
            reason,
            at,
            ..
        } => {
            if let Some(ev) = doc.evaluations.get_mut(period) {
                if let ObjectionOutcome::UpheldChanged {
                    hasil_kerja,
                    perilaku,
                } = outcome
                {
                    ev.hasil_kerja = *hasil_kerja;
                    ev.perilaku = *perilaku;
                }
                ev.predikat = *predikat;
                if let Some(o) = ev.objection.as_mut() {
                    o.decided_at = Some(*at);
                    o.outcome = Some(*outcome);
                    o.decision_reason = Some(reason.clone());
                }
            }
        }
    }
}

/// An award.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AwardDoc {
    pub award_id: Uuid,
    pub nip: String,
    pub kind: AwardKind,
    pub ground: AwardGround,
    pub basis: Vec<BasisEvaluation>,
    pub overridden_findings: Vec<String>,
    pub override_reason: Option<String>,
    pub by: String,
    pub at: DateTime<Utc>,
    pub position: u64,
    /// The year the award is shown in: the first basis evaluation's year, else the grant's.
    pub year: i32,
    pub revoked: Option<(String, DateTime<Utc>)>,
}

/// Apply an award event; `None` until granted.
pub fn apply_award(doc: &mut Option<AwardDoc>, e: &AwardEvent, position: u64) {
    match e {
        AwardEvent::AwardGranted {
            award_id,
            nip,
            kind,
            ground,
            basis,
            overridden_findings,
            override_reason,
            by,
            at,
        } => {
            use chrono::Datelike;
            *doc = Some(AwardDoc {
                award_id: *award_id,
                nip: nip.as_str().to_string(),
                kind: *kind,
                ground: ground.clone(),
                basis: basis.clone(),
                overridden_findings: overridden_findings.clone(),
                override_reason: override_reason.clone(),
                by: actor_text(by),
                at: *at,
                position,
                year: basis.first().map_or(at.year(), |b| b.evaluation.year.get()),
                revoked: None,
            });
        }
        AwardEvent::AwardRevoked { reason, at, .. } => {
            if let Some(d) = doc.as_mut() {
                d.revoked = Some((reason.clone(), *at));
            }
        }
    }
}

/// A completion of a training programme by an officer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompletionDoc {
    pub jp: u32,
    pub completed_on: NaiveDate,
    pub at: DateTime<Utc>,
}

/// A training programme with its enrolments and completions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProgrammeDoc {
    pub program_id: String,
    pub programme: Option<Programme>,
    pub cancelled: Option<String>,
    pub enrolled: BTreeMap<String, DateTime<Utc>>,
    pub completed: BTreeMap<String, CompletionDoc>,
}

impl ProgrammeDoc {
    pub fn new(program_id: &str) -> Self {
        Self {
            program_id: program_id.to_string(),
            programme: None,
            cancelled: None,
            enrolled: BTreeMap::new(),
            completed: BTreeMap::new(),
        }
    }
}

/// Apply a training event.
pub fn apply_programme(doc: &mut ProgrammeDoc, e: &TrainingEvent) {
    match e {
        TrainingEvent::TrainingProgramAnnounced { programme, .. } => {
            doc.programme = Some(programme.clone());
        }
        TrainingEvent::OfficerEnrolled { nip, at } => {
            doc.enrolled.insert(nip.as_str().to_string(), *at);
        }
        TrainingEvent::TrainingCompleted {
            nip,
            jp,
            completed_on,
            at,
            ..
        } => {
            doc.completed.insert(
                nip.as_str().to_string(),
                CompletionDoc {
                    jp: *jp,
                    completed_on: *completed_on,
                    at: *at,
                },
            );
        }
        TrainingEvent::TrainingCancelled { reason, .. } => doc.cancelled = Some(reason.clone()),
    }
}

/// An organisation predikat set for a period (R7).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrgPredikatDoc {
    pub predikat: PredikatOrganisasi,
    pub decree_ref: String,
    pub set_by: String,
    pub at: DateTime<Utc>,
}

/// A recorded distribution warning (R5) with its justification.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WarningDoc {
    pub violations: Vec<DistributionViolation>,
    pub justification: String,
    pub at: DateTime<Utc>,
    pub position: u64,
}

/// Employee predikat finalised for a period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FinalisedDoc {
    pub organisation: PredikatOrganisasi,
    pub counts: PredikatCounts,
    pub at: DateTime<Utc>,
}

/// An organisation unit.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UnitDoc {
    pub code: String,
    pub name: String,
    pub parent: Option<String>,
    pub head: Option<String>,
    /// By `{year}/{period}`.
    pub org_predikat: BTreeMap<String, OrgPredikatDoc>,
    pub warnings: BTreeMap<String, WarningDoc>,
    pub finalised: BTreeMap<String, FinalisedDoc>,
}

/// Apply a unit event.
pub fn apply_unit(doc: &mut UnitDoc, code: &str, e: &UnitEvent, position: u64) {
    if doc.code.is_empty() {
        doc.code = code.to_string();
    }
    match e {
        UnitEvent::UnitRegistered { name, parent, .. } => {
            doc.name = name.clone();
            doc.parent = parent.as_ref().map(|p| p.as_str().to_string());
        }
        UnitEvent::UnitRenamed { name, .. } => doc.name = name.clone(),
        UnitEvent::UnitMoved { parent, .. } => {
            doc.parent = parent.as_ref().map(|p| p.as_str().to_string());
        }
        UnitEvent::UnitHeadAssigned { head, .. } => doc.head = Some(head.as_str().to_string()),
        UnitEvent::OrganisationPredikatSet {
            year,
            period,
            predikat,
            decree_ref,
            set_by,
            at,
        } => {
            doc.org_predikat.insert(
                period_key(year.get(), *period),
                OrgPredikatDoc {
                    predikat: *predikat,
                    decree_ref: decree_ref.clone(),
                    set_by: set_by.as_str().to_string(),
                    at: *at,
                },
            );
        }
        UnitEvent::DistributionWarningRecorded {
            year,
            period,
            violations,
            justification,
            at,
        } => {
            doc.warnings.insert(
                period_key(year.get(), *period),
                WarningDoc {
                    violations: violations.clone(),
                    justification: justification.clone(),
                    at: *at,
                    position,
                },
            );
        }
        UnitEvent::PredikatFinalised {
            year,
            period,
            organisation,
            counts,
            at,
        } => {
            doc.finalised.insert(
                period_key(year.get(), *period),
                FinalisedDoc {
                    organisation: *organisation,
                    counts: *counts,
                    at: *at,
                },
            );
        }
    }
}

/// The id part of a stream id (`officer-{nip}` → `{nip}`).
pub fn stream_key(stream_id: &str) -> &str {
    stream_id.split_once('-').map_or("", |(_, k)| k)
}

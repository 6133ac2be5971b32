//! The `accountability` projection: the inspectorate's questions, each a kind of finding in
//! `rm_finding(k, kind, nip, unit, position, doc)`, each with an endpoint and a CSV export.
//!
//! | kind | found when |
//! |---|---|
//! | `evaluation_without_report` | an evaluation in force has no (non-withdrawn) report in its period (any report of the year for the annual one) |
//! | `di_atas_below_target` | a Di Atas Ekspektasi hasil-kerja rating in force where a realisation of the period is below its target |
//! | `award_override` | an award granted with overridden findings or an override reason |
//! | `award_basis_amended` | an award whose basis evaluation was amended (or changed by an objection) after the grant |
//! | `evaluator_not_assigned` | an evaluation recorded by someone other than the officer's assigned appraiser on that day, as known then (impossible by design: the query proves it) |
//! | `report_late_or_backdated` | a report flagged late, or whose client time is more than [`BACKDATE_LIMIT_HOURS`] from the server time |
//! | `plan_approved_late` | an SKP approved after the yearly deadline (R8) |
//! | `distribution_quota_broken` | a unit recorded a distribution warning (R5), with the justification given |
//! | `amendment_after_objection_window` | an evaluation amended after the R12 window of its result had closed |
//!
//! Findings that depend on later events (the first, second and fourth) are recomputed for every
//! SKP or award a batch touches and withdrawn when they no longer hold; the others are facts of
//! the event that raised them.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use super::docs::{
    AwardDoc, OfficerDoc, PlanDoc, actor_text, apply_award, apply_officer, apply_plan,
    parse_plan_stream, period_code, stream_key,
};
use super::export;
use super::performance::{Docs, from_doc, to_doc};
use super::{
    Backend, Changes, ColType, Decoded, Envelope, Projection, ReadDb, Result, TableDef, Topic, Val,
    pos_i64,
};
use crate::domain::values::Period;
use crate::domain::{DomainConfig, PlanEvent, Rating, UnitEvent};

/// A report whose client time is further than this from the server time is "backdated".
pub const BACKDATE_LIMIT_HOURS: i64 = 24;

/// Every kind of finding, in the order of the table above.
pub const KINDS: [&str; 9] = [
    "evaluation_without_report",
    "di_atas_below_target",
    "award_override",
    "award_basis_amended",
    "evaluator_not_assigned",
    "report_late_or_backdated",
    "plan_approved_late",
    "distribution_quota_broken",
    "amendment_after_objection_window",
];

const T: ColType = ColType::Text;
const I: ColType = ColType::Int;

static TABLES: [TableDef; 4] = [
    TableDef {
        name: "rm_finding",
        columns: &[
            ("k", T),
            ("kind", T),
            ("nip", T),
            ("unit", T),
            ("position", I),
            ("doc", T),
        ],
        restore: true,
    },
    TableDef {
        name: "rm_acc_officer",
        columns: &[("k", T), ("doc", T)],
        restore: true,
    },
    TableDef {
        name: "rm_acc_plan",
        columns: &[("k", T), ("doc", T)],
        restore: true,
    },
    TableDef {
        name: "rm_acc_award",
        columns: &[("k", T), ("doc", T)],
        restore: true,
    },
];

/// One finding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// `{kind}/{subject}`.
    pub key: String,
    pub kind: String,
    pub nip: Option<String>,
    pub unit: Option<String>,
    /// The stream the finding is about (SKP, award, unit).
    pub stream_id: String,
    pub period: Option<String>,
    /// Position of the event that raised (or last confirmed) it.
    pub position: u64,
    pub at: Option<DateTime<Utc>>,
    /// A readable explanation.
    pub summary: String,
    /// Kind-specific details.
    pub detail: serde_json::Value,
    /// Whether it is recomputed from later events (and may be withdrawn).
    pub derived: bool,
}

/// The `accountability` projection.
#[derive(Debug, Default)]
pub struct Accountability {
    pub config: DomainConfig,
    officers: Docs<OfficerDoc>,
    plans: Docs<PlanDoc>,
    awards: Docs<Option<AwardDoc>>,
    /// Derived findings currently stored, by subject stream.
    derived: HashMap<String, BTreeSet<String>>,
    /// Awards by the SKP streams of their basis.
    awards_by_plan: HashMap<String, BTreeSet<String>>,
    /// Event-time findings waiting for the flush.
    raised: BTreeMap<String, Finding>,
}

impl Accountability {
    fn raise(&mut self, f: Finding) {
        raise(&mut self.raised, f);
    }

    fn index_award(&mut self, a: &AwardDoc) {
        for b in &a.basis {
            let s = format!(
                "skp-{}_{}_{}",
                a.nip,
                b.evaluation.year.get(),
                b.evaluation.seq
            );
            self.awards_by_plan
                .entry(s)
                .or_default()
                .insert(a.award_id.to_string());
        }
    }

    fn plan_findings(p: &PlanDoc) -> Vec<Finding> {
        let mut out = Vec::new();
        for (period, ev) in &p.evaluations {
            let pc = period_code(*period);
            if !p.has_report_in(*period) {
                out.push(Finding {
                    key: format!("evaluation_without_report/{}/{pc}", p.stream_id),
                    kind: "evaluation_without_report".into(),
                    nip: Some(p.nip.clone()),
                    unit: p.unit.clone(),
                    stream_id: p.stream_id.clone(),
                    period: Some(pc.into()),
                    position: ev.position,
                    at: Some(ev.recorded_at),
                    summary: format!("evaluasi {pc} tanpa laporan realisasi"),
                    detail: serde_json::json!({"by": ev.by}),
                    derived: true,
                });
            }
            if ev.hasil_kerja == Rating::DiAtas {
                let below: Vec<serde_json::Value> = p
                    .results
                    .iter()
                    .flat_map(|r| r.indicators.iter())
                    .filter_map(|i| {
                        let target = i.target.as_ref()?;
                        let real = p.realisation(i.id, *period)?;
                        (real.value.same_unit(target) && real.value.value < target.value).then(
                            || {
                                serde_json::json!({
                                    "indicator_id": i.id,
                                    "target": target,
                                    "realisation": real.value,
                                })
                            },
                        )
                    })
                    .collect();
                if !below.is_empty() {
                    out.push(Finding {
                        key: format!("di_atas_below_target/{}/{pc}", p.stream_id),
                        kind: "di_atas_below_target".into(),
                        nip: Some(p.nip.clone()),
                        unit: p.unit.clone(),
                        stream_id: p.stream_id.clone(),
                        period: Some(pc.into()),
                        position: ev.amendments.last().map_or(ev.position, |a| a.position),
                        at: Some(ev.recorded_at),
                        summary: format!(
                            "Di Atas Ekspektasi {pc} dengan realisasi di bawah target"
                        ),
                        detail: serde_json::json!({"by": ev.by, "indicators": below}),
                        derived: true,
                    });
                }
            }
        }
        out
    }

    fn award_findings(&self, a: &AwardDoc) -> Vec<Finding> {
        let mut out = Vec::new();
        for b in &a.basis {
            let s = format!(
                "skp-{}_{}_{}",
                a.nip,
                b.evaluation.year.get(),
                b.evaluation.seq
            );
            let Some(ev) = self
                .plans
                .map
                .get(&s)
                .and_then(|p| p.evaluations.get(&b.evaluation.period))
            else {
                continue;
            };
            let amended_after = ev.amendments.iter().any(|m| m.position > a.position);
            let objection_after = ev
                .objection
                .as_ref()
                .is_some_and(|o| o.decided_at.is_some_and(|d| d > a.at))
                && (ev.predikat != b.predikat || ev.hasil_kerja != b.hasil_kerja);
            if amended_after || objection_after {
                let pc = period_code(b.evaluation.period);
                out.push(Finding {
                    key: format!("award_basis_amended/{}/{s}/{pc}", a.award_id),
                    kind: "award_basis_amended".into(),
                    nip: Some(a.nip.clone()),
                    unit: self.officers.map.get(&a.nip).and_then(|o| o.unit.clone()),
                    stream_id: format!("award-{}", a.award_id),
                    period: Some(pc.into()),
                    position: a.position,
                    at: Some(a.at),
                    summary: format!("dasar penghargaan (evaluasi {pc}) diubah setelah pemberian"),
                    detail: serde_json::json!({
                        "basis": b, "now": {"hasil_kerja": ev.hasil_kerja, "predikat": ev.predikat},
                        "revoked": a.revoked.is_some(),
                    }),
                    derived: true,
                });
            }
        }
        out
    }
}

impl Projection for Accountability {
    fn name(&self) -> &'static str {
        "accountability"
    }

    fn version(&self) -> u32 {
        1
    }

    fn schema(&self, backend: Backend) -> &'static str {
        match backend {
            Backend::Sqlite => include_str!("../../projections/sqlite/accountability.sql"),
            Backend::Postgres => include_str!("../../projections/postgres/accountability.sql"),
        }
    }

    fn tables(&self) -> &'static [TableDef] {
        &TABLES
    }

    fn reset(&mut self) {
        self.officers.clear();
        self.plans.clear();
        self.awards.clear();
        self.derived.clear();
        self.awards_by_plan.clear();
        self.raised.clear();
    }

    fn restore(&mut self, table: &str, doc: &str) -> Result<()> {
        match table {
            "rm_finding" => {
                let f: Finding = from_doc(table, doc)?;
                if f.derived {
                    self.derived.entry(f.stream_id).or_default().insert(f.key);
                }
            }
            "rm_acc_officer" => {
                let d: OfficerDoc = from_doc(table, doc)?;
                self.officers.map.insert(d.nip.clone(), d);
            }
            "rm_acc_plan" => {
                let d: PlanDoc = from_doc(table, doc)?;
                self.plans.map.insert(d.stream_id.clone(), d);
            }
            "rm_acc_award" => {
                let d: AwardDoc = from_doc(table, doc)?;
                self.index_award(&d);
                self.awards
                    .map
                    .insert(format!("award-{}", d.award_id), Some(d));
            }
            _ => {}
        }
        Ok(())
    }

    fn apply(&mut self, env: &Envelope) {
        let e = &env.event;
        match &env.decoded {
            Decoded::Officer(o) => {
                let key = stream_key(&e.stream_id);
                apply_officer(self.officers.touch(key, OfficerDoc::default), key, o);
            }
            Decoded::Plan(p) => {
                let window = self.config.objection_window_days;
                let doc = self
                    .plans
                    .touch(&e.stream_id, || PlanDoc::new(&e.stream_id));
                apply_plan(doc, p, e.position, e.recorded_at, window);
                if let Some(awards) = self.awards_by_plan.get(&e.stream_id) {
                    for s in awards {
                        self.awards.dirty.insert(format!("award-{s}"));
                    }
                }
                if let Some(doc) = self.plans.map.get(&e.stream_id) {
                    let known = Known {
                        officers: &self.officers.map,
                        config: &self.config,
                    };
                    known.plan_event(&mut self.raised, env, p, doc);
                }
            }
            Decoded::Award(a) => {
                let doc = self.awards.touch(&e.stream_id, || None);
                apply_award(doc, a, e.position);
                if let Some(d) = doc.clone() {
                    self.index_award(&d);
                    if !d.overridden_findings.is_empty() || d.override_reason.is_some() {
                        self.raise(Finding {
                            key: format!("award_override/{}", d.award_id),
                            kind: "award_override".into(),
                            nip: Some(d.nip.clone()),
                            unit: self.officers.map.get(&d.nip).and_then(|o| o.unit.clone()),
                            stream_id: e.stream_id.clone(),
                            period: None,
                            position: d.position,
                            at: Some(d.at),
                            summary: "penghargaan diberikan dengan pengecualian".into(),
                            detail: serde_json::json!({
                                "overridden_findings": d.overridden_findings,
                                "override_reason": d.override_reason,
                                "by": d.by, "kind": d.kind,
                            }),
                            derived: false,
                        });
                    }
                }
            }
            Decoded::Unit(UnitEvent::DistributionWarningRecorded {
                year,
                period,
                violations,
                justification,
                at,
            }) => {
                let unit = stream_key(&e.stream_id).to_string();
                let pc = period_code(*period);
                self.raise(Finding {
                    key: format!("distribution_quota_broken/{unit}/{year}/{pc}"),
                    kind: "distribution_quota_broken".into(),
                    nip: None,
                    unit: Some(unit),
                    stream_id: e.stream_id.clone(),
                    period: Some(format!("{year}/{pc}")),
                    position: e.position,
                    at: Some(*at),
                    summary: crate::domain::rules::describe_violations(violations),
                    detail: serde_json::json!({
                        "violations": violations, "justification": justification,
                    }),
                    derived: false,
                });
            }
            _ => {}
        }
    }

    fn flush(&mut self, changes: &mut Changes, _topics: &mut Vec<Topic>) {
        let mut findings: Vec<Finding> = std::mem::take(&mut self.raised).into_values().collect();
        let mut recomputed: BTreeMap<String, Vec<Finding>> = BTreeMap::new();
        for (k, d) in self.plans.drain_dirty() {
            recomputed.insert(k.clone(), Self::plan_findings(d));
            changes.upsert("rm_acc_plan", vec![k.into(), to_doc(d).into()]);
        }
        let awards: Vec<(String, Option<AwardDoc>)> = self
            .awards
            .drain_dirty()
            .into_iter()
            .map(|(k, d)| (k, d.clone()))
            .collect();
        for (k, d) in awards {
            if let Some(d) = d {
                recomputed.insert(k.clone(), self.award_findings(&d));
                changes.upsert("rm_acc_award", vec![k.into(), to_doc(&d).into()]);
            }
        }
        for (k, d) in self.officers.drain_dirty() {
            changes.upsert("rm_acc_officer", vec![k.into(), to_doc(d).into()]);
        }
        for (subject, now) in recomputed {
            let keys: BTreeSet<String> = now.iter().map(|f| f.key.clone()).collect();
            let before = self.derived.remove(&subject).unwrap_or_default();
            for gone in before.difference(&keys) {
                changes.delete("rm_finding", gone.clone());
            }
            if !keys.is_empty() {
                self.derived.insert(subject, keys);
            }
            findings.extend(now);
        }
        for f in findings {
            changes.upsert(
                "rm_finding",
                vec![
                    f.key.clone().into(),
                    f.kind.clone().into(),
                    f.nip.clone().into(),
                    f.unit.clone().into(),
                    pos_i64(f.position).into(),
                    to_doc(&f).into(),
                ],
            );
        }
    }
}

/// What a plan event's findings are checked against (borrowed beside the SKP document, which is
/// not cloned per event).
struct Known<'a> {
    officers: &'a HashMap<String, OfficerDoc>,
    config: &'a DomainConfig,
}

fn raise(raised: &mut BTreeMap<String, Finding>, f: Finding) {
    raised.insert(f.key.clone(), f);
}

impl Known<'_> {
    fn plan_event(
        &self,
        raised: &mut BTreeMap<String, Finding>,
        env: &Envelope,
        p: &PlanEvent,
        doc: &PlanDoc,
    ) {
        let e = &env.event;
        let base = |kind: &str, key: String, period: Option<Period>, summary: String| Finding {
            key: format!("{kind}/{key}"),
            kind: kind.into(),
            nip: Some(doc.nip.clone()),
            unit: doc.unit.clone(),
            stream_id: e.stream_id.clone(),
            period: period.map(|p| period_code(p).to_string()),
            position: e.position,
            at: Some(e.recorded_at),
            summary,
            detail: serde_json::Value::Null,
            derived: false,
        };
        match p {
            PlanEvent::EvaluationRecorded { period, by, at, .. } => {
                let officer =
                    parse_plan_stream(&e.stream_id).and_then(|(nip, _, _)| self.officers.get(&nip));
                let assigned = officer
                    .and_then(|o| o.assignment_at(at.date_naive()))
                    .map(|a| actor_text(&a.penilai));
                let by = actor_text(by);
                if assigned.as_deref() != Some(by.as_str()) {
                    let mut f = base(
                        "evaluator_not_assigned",
                        format!("{}/{}/{}", e.stream_id, period_code(*period), e.position),
                        Some(*period),
                        format!(
                            "dinilai oleh {by}, penilai yang ditetapkan: {}",
                            assigned.clone().unwrap_or_else(|| "tidak ada".into())
                        ),
                    );
                    f.detail = serde_json::json!({"by": by, "assigned": assigned});
                    raise(raised, f);
                }
            }
            PlanEvent::ReportFiled {
                report_id,
                period,
                client_time,
                late,
                ..
            } => {
                let client = env.meta.client_time.or(*client_time);
                let skew = client.map(|c| (e.recorded_at - c).num_seconds());
                let backdated = skew.is_some_and(|s| {
                    s.abs() > TimeDelta::hours(BACKDATE_LIMIT_HOURS).num_seconds()
                });
                if *late || backdated {
                    let mut f = base(
                        "report_late_or_backdated",
                        format!("{}/{report_id}", e.stream_id),
                        Some(*period),
                        match (*late, backdated) {
                            (true, true) => {
                                "laporan terlambat dan waktu perangkat jauh dari waktu server"
                                    .into()
                            }
                            (true, false) => "laporan terlambat".into(),
                            _ => "waktu perangkat jauh dari waktu server".into(),
                        },
                    );
                    f.detail = serde_json::json!({
                        "late": late, "backdated": backdated, "client_time": client,
                        "server_time": e.recorded_at, "skew_seconds": skew,
                    });
                    raise(raised, f);
                }
            }
            PlanEvent::PlanApproved { late, at, by } => {
                let deadline = crate::domain::Year::new(doc.year)
                    .ok()
                    .and_then(|y| self.config.plan_approval_deadline(y));
                let after = deadline.is_some_and(|d| at.date_naive() > d);
                if *late || after {
                    let mut f = base(
                        "plan_approved_late",
                        format!("{}/{}", e.stream_id, e.position),
                        None,
                        "SKP ditetapkan setelah batas waktu".into(),
                    );
                    f.detail = serde_json::json!({"approved_at": at, "deadline": deadline, "by": actor_text(by)});
                    raise(raised, f);
                }
            }
            PlanEvent::EvaluationAmended { period, reason, .. } => {
                let amendment = doc
                    .evaluations
                    .get(period)
                    .and_then(|ev| ev.amendments.last());
                if let Some(a) = amendment.filter(|a| a.after_objection_window) {
                    let ev = doc.evaluations.get(period);
                    let mut f = base(
                        "amendment_after_objection_window",
                        format!("{}/{}/{}", e.stream_id, period_code(*period), e.position),
                        Some(*period),
                        "evaluasi diubah setelah masa keberatan berakhir".into(),
                    );
                    f.detail = serde_json::json!({
                        "reason": reason, "by": a.by,
                        "window_days": self.config.objection_window_days,
                        "evaluation_recorded_at": ev.map(|v| v.recorded_at),
                    });
                    raise(raised, f);
                }
            }
            _ => {}
        }
    }
}

/// The findings of one kind, oldest first.
pub async fn findings(db: &ReadDb, kind: &str) -> Result<Vec<Finding>> {
    let docs = db
        .docs(
            include_str!("../../projections/queries/findings.sql"),
            &[Val::Text(Some(kind.to_string()))],
        )
        .await?;
    docs.iter().map(|d| from_doc("rm_finding", d)).collect()
}

/// Findings as CSV.
pub fn findings_csv(findings: &[Finding]) -> String {
    export::csv(
        &[
            "kind",
            "nip",
            "unit",
            "stream_id",
            "period",
            "position",
            "at",
            "summary",
            "detail",
        ],
        findings.iter().map(|f| {
            vec![
                f.kind.clone(),
                export::opt(&f.nip),
                export::opt(&f.unit),
                f.stream_id.clone(),
                export::opt(&f.period),
                f.position.to_string(),
                export::opt(&f.at.map(|t| t.to_rfc3339())),
                f.summary.clone(),
                f.detail.to_string(),
            ]
        }),
    )
}

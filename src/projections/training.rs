//! Training views over the `performance` read model (R17): enrolment and completion per
//! programme, JP per officer and year, and the officers who do not meet their JP rule.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::dashboard::jp_by_officer;
use super::docs::{OfficerDoc, ProgrammeDoc};
use super::performance::from_doc;
use super::scorecard::{CompletionLine, completions};
use super::{ReadDb, Result, Val};
use crate::domain::config::JpRule;
use crate::domain::training::Programme;
use crate::domain::values::EmploymentType;
use crate::domain::{DomainConfig, rules};

/// A programme by id.
pub async fn programme(db: &ReadDb, id: &str) -> Result<Option<ProgrammeDoc>> {
    db.docs(
        include_str!("../../projections/queries/programme.sql"),
        &[Val::Text(Some(id.to_string()))],
    )
    .await?
    .first()
    .map(|d| from_doc("rm_programme", d))
    .transpose()
}

/// Every programme.
pub async fn programmes(db: &ReadDb) -> Result<Vec<ProgrammeDoc>> {
    let docs = db
        .docs(
            include_str!("../../projections/queries/programmes_all.sql"),
            &[],
        )
        .await?;
    docs.iter().map(|d| from_doc("rm_programme", d)).collect()
}

/// Every officer.
pub async fn all_officers(db: &ReadDb) -> Result<Vec<OfficerDoc>> {
    let docs = db
        .docs(
            include_str!("../../projections/queries/officers_all.sql"),
            &[],
        )
        .await?;
    docs.iter().map(|d| from_doc("rm_officer", d)).collect()
}

/// One participant of a programme.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Participant {
    pub nip: String,
    pub enrolled_at: Option<DateTime<Utc>>,
    pub completed_on: Option<NaiveDate>,
    pub jp: Option<u32>,
}

/// Enrolment and completion of a programme.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProgrammeSummary {
    pub program_id: String,
    pub programme: Option<Programme>,
    pub cancelled: Option<String>,
    pub enrolled: u32,
    pub completed: u32,
    /// `completed / enrolled` (0 without enrolments).
    pub completion_rate: f64,
    pub jp_credited: u64,
    pub participants: Vec<Participant>,
}

/// The summary of a programme.
pub fn summary(p: &ProgrammeDoc) -> ProgrammeSummary {
    let mut nips: Vec<&String> = p.enrolled.keys().chain(p.completed.keys()).collect();
    nips.sort();
    nips.dedup();
    let participants: Vec<Participant> = nips
        .into_iter()
        .map(|n| {
            let c = p.completed.get(n);
            Participant {
                nip: n.clone(),
                enrolled_at: p.enrolled.get(n).copied(),
                completed_on: c.map(|c| c.completed_on),
                jp: c.map(|c| c.jp),
            }
        })
        .collect();
    let enrolled = u32::try_from(participants.len()).unwrap_or(u32::MAX);
    let completed = u32::try_from(p.completed.len()).unwrap_or(u32::MAX);
    ProgrammeSummary {
        program_id: p.program_id.clone(),
        programme: p.programme.clone(),
        cancelled: p.cancelled.clone(),
        enrolled,
        completed,
        completion_rate: if enrolled == 0 {
            0.0
        } else {
            (f64::from(completed) / f64::from(enrolled) * 10_000.0).round() / 10_000.0
        },
        jp_credited: p.completed.values().map(|c| u64::from(c.jp)).sum(),
        participants,
    }
}

/// A programme an officer is enrolled in and has not completed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Enrolment {
    pub program_id: String,
    pub title: Option<String>,
    pub jp: Option<u32>,
    pub start: Option<NaiveDate>,
    pub end: Option<NaiveDate>,
    pub enrolled_at: DateTime<Utc>,
    pub cancelled: bool,
}

/// An officer's training year.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OfficerTraining {
    pub nip: String,
    pub year: i32,
    pub employment: Option<EmploymentType>,
    pub jp_total: u32,
    pub rule: JpRule,
    pub compliant: bool,
    pub completions: Vec<CompletionLine>,
    /// Enrolled, not completed, programme starting in the year.
    pub enrolments: Vec<Enrolment>,
}

/// JP of an officer in a year with the rule that applies.
pub async fn officer_training(
    db: &ReadDb,
    config: &DomainConfig,
    officer: &OfficerDoc,
    year: i32,
) -> Result<OfficerTraining> {
    let completions = completions(db, &officer.nip, year).await?;
    let jp_total = completions.iter().map(|c| c.jp).sum();
    let rule = config.jp_rule(officer.employment.unwrap_or(EmploymentType::Pns));
    let mut enrolments = Vec::new();
    for p in programmes(db).await? {
        let Some(at) = p.enrolled.get(&officer.nip) else {
            continue;
        };
        let start = p.programme.as_ref().map(|x| x.start);
        let in_year = start.map_or(at.year() == year, |s| s.year() == year);
        if in_year && !p.completed.contains_key(&officer.nip) {
            enrolments.push(Enrolment {
                program_id: p.program_id.clone(),
                title: p.programme.as_ref().map(|x| x.title.clone()),
                jp: p.programme.as_ref().map(|x| x.jp),
                start,
                end: p.programme.as_ref().map(|x| x.end),
                enrolled_at: *at,
                cancelled: p.cancelled.is_some(),
            });
        }
    }
    Ok(OfficerTraining {
        nip: officer.nip.clone(),
        year,
        employment: officer.employment,
        jp_total,
        rule,
        compliant: rules::jp_compliant(jp_total, rule),
        completions,
        enrolments,
    })
}

/// One officer's line of the compliance report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComplianceLine {
    pub nip: String,
    pub name: String,
    pub unit: Option<String>,
    pub employment: Option<EmploymentType>,
    pub jp_total: u32,
    pub rule: JpRule,
    pub compliant: bool,
}

/// R17 compliance of a year.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Compliance {
    pub year: i32,
    /// Active officers counted.
    pub officers: u32,
    pub compliant: u32,
    pub non_compliant: Vec<ComplianceLine>,
}

/// Every active officer against their JP rule in `year` (optionally only those whose current
/// unit is in `units`).
pub async fn compliance(
    db: &ReadDb,
    config: &DomainConfig,
    year: i32,
    units: Option<&[String]>,
) -> Result<Compliance> {
    let jp: HashMap<String, u32> = jp_by_officer(db, year).await?;
    let docs = db
        .docs(
            include_str!("../../projections/queries/officers_all.sql"),
            &[],
        )
        .await?;
    let mut out = Compliance {
        year,
        officers: 0,
        compliant: 0,
        non_compliant: Vec::new(),
    };
    for d in docs {
        let o: OfficerDoc = from_doc("rm_officer", &d)?;
        if o.status != "AKTIF" || o.name.is_empty() {
            continue;
        }
        if let Some(us) = units
            && !o.unit.as_ref().is_some_and(|u| us.contains(u))
        {
            continue;
        }
        out.officers += 1;
        let rule = config.jp_rule(o.employment.unwrap_or(EmploymentType::Pns));
        let total = jp.get(&o.nip).copied().unwrap_or(0);
        if rules::jp_compliant(total, rule) {
            out.compliant += 1;
        } else {
            out.non_compliant.push(ComplianceLine {
                nip: o.nip,
                name: o.name,
                unit: o.unit,
                employment: o.employment,
                jp_total: total,
                rule,
                compliant: false,
            });
        }
    }
    Ok(out)
}

/// The non-compliant officers as CSV.
pub fn compliance_csv(c: &Compliance) -> String {
    super::export::csv(
        &["nip", "name", "unit", "employment", "jp_total", "rule"],
        c.non_compliant.iter().map(|l| {
            vec![
                l.nip.clone(),
                l.name.clone(),
                super::export::opt(&l.unit),
                l.employment
                    .map(|e| format!("{e:?}").to_uppercase())
                    .unwrap_or_default(),
                l.jp_total.to_string(),
                match l.rule {
                    JpRule::AtLeast(n) => format!(">= {n}"),
                    JpRule::AtMost(n) => format!("<= {n}"),
                },
            ]
        }),
    )
}

//! The officer scorecard for a year and a period, assembled from the `performance` read model
//! (one officer row, the year's SKP rows, award and completion rows: a few primary-key and index
//! lookups) or, for time travel, from documents folded out of the streams ([`super::asof`]).
//!
//! Per SKP: its status; each indicator's target, the period's realisation and the capaian
//! (realisation / target × 100, when both use the same unit; there is no weighted overall score,
//! R3); the period's ratings and predikat (R2) with amendments and objection; the feedback given
//! for the period; late reports. Then the officer's training JP in the year with R17 compliance,
//! and awards.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::docs::{AwardDoc, EvaluationDoc, FeedbackDoc, OfficerDoc, PlanDoc};
use super::performance::from_doc;
use super::{ReadDb, Result, Val};
use crate::domain::config::JpRule;
use crate::domain::plan::FeedbackTarget;
use crate::domain::values::{Aspek, EmploymentType, JenisRhk, Period, Quantity};
use crate::domain::{DomainConfig, PredikatPegawai, rules};

/// One indicator line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndicatorLine {
    pub result_id: Uuid,
    pub result: String,
    pub jenis: JenisRhk,
    pub indicator_id: Uuid,
    pub indicator: String,
    pub aspek: Option<Aspek>,
    pub target: Option<Quantity>,
    pub realisation: Option<Quantity>,
    /// realisation / target in per cent (same unit only, non-zero target).
    pub capaian_percent: Option<f64>,
    /// The realisation's report was filed late.
    pub reported_late: bool,
}

/// One SKP on the scorecard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanCard {
    pub stream_id: String,
    pub seq: u32,
    pub status: String,
    pub unit: Option<String>,
    pub position: Option<String>,
    pub approved_at: Option<chrono::DateTime<chrono::Utc>>,
    pub approved_late: bool,
    pub indicators: Vec<IndicatorLine>,
    /// The evaluation of the period in force (after amendments and objections).
    pub evaluation: Option<EvaluationDoc>,
    /// Feedback tied to the period, or to an indicator reported in it.
    pub feedback: Vec<FeedbackDoc>,
    /// Reports of the year filed late (not withdrawn).
    pub late_reports: u32,
}

/// A completed training counted for the year.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompletionLine {
    pub nip: String,
    pub year: i32,
    pub program_id: String,
    pub title: Option<String>,
    pub jp: u32,
    pub completed_on: NaiveDate,
}

/// Training of the year (R17).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingCard {
    pub jp_total: u32,
    pub rule: JpRule,
    pub compliant: bool,
    pub completions: Vec<CompletionLine>,
}

/// The scorecard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scorecard {
    pub nip: String,
    pub name: Option<String>,
    pub unit: Option<String>,
    pub position: Option<String>,
    pub employment: Option<EmploymentType>,
    pub status: Option<String>,
    pub year: i32,
    pub period: Period,
    pub plans: Vec<PlanCard>,
    /// The predikat of the period: the evaluation of the latest SKP that has one.
    pub predikat: Option<PredikatPegawai>,
    pub late_reports: u32,
    pub training: TrainingCard,
    pub awards: Vec<AwardDoc>,
}

fn plan_card(p: &PlanDoc, period: Period) -> PlanCard {
    let mut indicators = Vec::new();
    for r in &p.results {
        for i in &r.indicators {
            let real = p.realisation(i.id, period);
            let realisation = real.map(|r| r.value.clone());
            let capaian_percent = match (&realisation, &i.target) {
                (Some(v), Some(t)) if v.same_unit(t) => {
                    rules::capaian_percent(v.value, t.value).map(|c| (c * 100.0).round() / 100.0)
                }
                _ => None,
            };
            indicators.push(IndicatorLine {
                result_id: r.id,
                result: r.text.clone(),
                jenis: r.jenis,
                indicator_id: i.id,
                indicator: i.text.clone(),
                aspek: i.aspek,
                target: i.target.clone(),
                realisation,
                capaian_percent,
                reported_late: real.is_some_and(|r| r.late),
            });
        }
    }
    let reported: Vec<Uuid> = p
        .reports
        .values()
        .filter(|r| !r.withdrawn && (period == Period::Tahunan || r.period == period))
        .map(|r| r.indicator_id)
        .collect();
    let feedback = p
        .feedback
        .iter()
        .filter(|f| match (f.period, &f.about) {
            (Some(fp), _) => fp == period || period == Period::Tahunan,
            (None, FeedbackTarget::Indicator(id)) => reported.contains(id),
            (None, FeedbackTarget::Behaviour(_)) => true,
        })
        .cloned()
        .collect();
    let late_reports = u32::try_from(
        p.reports
            .values()
            .filter(|r| r.late && !r.withdrawn)
            .count(),
    )
    .unwrap_or(u32::MAX);
    PlanCard {
        stream_id: p.stream_id.clone(),
        seq: p.seq,
        status: p.status.clone(),
        unit: p.unit.clone(),
        position: p.position.clone(),
        approved_at: p.approved_at,
        approved_late: p.approved_late,
        indicators,
        evaluation: p.evaluations.get(&period).cloned(),
        feedback,
        late_reports,
    }
}

/// Assemble a scorecard from documents (pure; used by the query and by the as-of fold).
#[allow(clippy::too_many_arguments)]
pub fn build(
    config: &DomainConfig,
    nip: &str,
    year: i32,
    period: Period,
    officer: Option<&OfficerDoc>,
    plans: &[PlanDoc],
    awards: &[AwardDoc],
    completions: Vec<CompletionLine>,
) -> Scorecard {
    let mut plans: Vec<&PlanDoc> = plans.iter().filter(|p| p.year == year).collect();
    plans.sort_by_key(|p| p.seq);
    let cards: Vec<PlanCard> = plans.iter().map(|p| plan_card(p, period)).collect();
    let predikat = cards
        .iter()
        .rev()
        .find_map(|c| c.evaluation.as_ref().map(|e| e.predikat));
    let late_reports = cards.iter().map(|c| c.late_reports).sum();
    let employment = officer.and_then(|o| o.employment);
    let rule = config.jp_rule(employment.unwrap_or(EmploymentType::Pns));
    let jp_total = completions.iter().map(|c| c.jp).sum();
    let mut awards: Vec<AwardDoc> = awards
        .iter()
        .filter(|a| a.nip == nip && a.year == year)
        .cloned()
        .collect();
    awards.sort_by_key(|a| a.position);
    Scorecard {
        nip: nip.to_string(),
        name: officer.map(|o| o.name.clone()),
        unit: officer.and_then(|o| o.unit.clone()),
        position: officer.and_then(|o| o.position.clone()),
        employment,
        status: officer.map(|o| o.status.clone()),
        year,
        period,
        plans: cards,
        predikat,
        late_reports,
        training: TrainingCard {
            jp_total,
            rule,
            compliant: rules::jp_compliant(jp_total, rule),
            completions,
        },
        awards,
    }
}

/// The officer's completions counted in `year`.
pub async fn completions(db: &ReadDb, nip: &str, year: i32) -> Result<Vec<CompletionLine>> {
    let docs = db
        .docs(
            include_str!("../../projections/queries/completions_of.sql"),
            &[Val::Text(Some(nip.into())), Val::Int(Some(i64::from(year)))],
        )
        .await?;
    docs.iter().map(|d| from_doc("rm_completion", d)).collect()
}

/// The officer's document from the read model.
pub async fn officer(db: &ReadDb, nip: &str) -> Result<Option<OfficerDoc>> {
    db.docs(
        include_str!("../../projections/queries/officer.sql"),
        &[Val::Text(Some(nip.into()))],
    )
    .await?
    .first()
    .map(|d| from_doc("rm_officer", d))
    .transpose()
}

/// The scorecard of `nip` for `year` and `period` from the read model; `None` for an unknown
/// officer. Its inputs (the officer row, the year's SKP, award and completion rows) are read in
/// one statement: one round trip to the database instead of four, which is what a live-feed
/// render of many scorecards waits on.
pub async fn scorecard(
    db: &ReadDb,
    config: &DomainConfig,
    nip: &str,
    year: i32,
    period: Period,
) -> Result<Option<Scorecard>> {
    let ny = [Val::Text(Some(nip.into())), Val::Int(Some(i64::from(year)))];
    let rows = db
        .keyed_docs(
            include_str!("../../projections/queries/scorecard_inputs.sql"),
            &ny,
        )
        .await?;
    let mut officer: Option<OfficerDoc> = None;
    let (mut plans, mut awards, mut completions) = (Vec::new(), Vec::new(), Vec::new());
    for (part, doc) in &rows {
        match part.as_str() {
            "a" => officer = Some(from_doc("rm_officer", doc)?),
            "b" => plans.push(from_doc::<PlanDoc>("rm_plan", doc)?),
            "c" => awards.push(from_doc::<AwardDoc>("rm_award", doc)?),
            _ => completions.push(from_doc::<CompletionLine>("rm_completion", doc)?),
        }
    }
    if officer.is_none() && plans.is_empty() {
        return Ok(None);
    }
    Ok(Some(build(
        config,
        nip,
        year,
        period,
        officer.as_ref(),
        &plans,
        &awards,
        completions,
    )))
}

//! The team and unit dashboard: a unit with its sub-units for a year and period, from the
//! `performance` and `survey` read models (the unit tree, then per unit its officer rows and the
//! year's SKP rows, indexed by unit).
//!
//! - officers: registered in the tree now (by status);
//! - plans (SKP) of the year whose post is in the tree: approved, submitted, draft, closed; active
//!   officers without any;
//! - reports filed in the period (not withdrawn) and how many officers filed one;
//! - evaluations of the period over the approved SKPs: done, pending, overdue (no evaluation more
//!   than [`EVALUATION_DUE_DAYS`] days after the period ended);
//! - the predikat distribution of the period (each officer's latest SKP with an evaluation)
//!   against the quota of the unit's organisation predikat (R5): for the whole tree against the
//!   unit's own organisation predikat, and per unit against each unit's;
//! - IKM and category of the period (R13, R14) and open improvement actions;
//! - adoption: the share of active officers who filed a report in the last 30 days;
//! - training compliance of the year (R17).
//!
//! [`dashboard`] reads and parses every officer and SKP document of the tree; the HTTP layer and
//! the live feed serve the same figures from [`cache::DashboardCache`], which keeps the inputs in
//! memory (per SKP only its [`PlanFigures`]) and refreshes them from the projector's change feed.
//! Both end in [`assemble`].

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Datelike, NaiveDate, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use super::docs::{OfficerDoc, OrgPredikatDoc, PlanDoc, UnitDoc, WarningDoc, period_key};
use super::performance::from_doc;
use super::survey::{self, ActionDoc, IkmSummary, SurveyDoc};

pub mod cache;
use super::{ReadDb, Result, Val};
use crate::domain::rules::{self, DistributionViolation};
use crate::domain::values::{EmploymentType, Period, Year};
use crate::domain::{DomainConfig, PredikatPegawai};

/// An approved SKP without an evaluation this many days after its period ended is overdue.
pub const EVALUATION_DUE_DAYS: i64 = 30;

/// Adoption counts reports filed within this many days.
pub const ADOPTION_DAYS: i64 = 30;

/// Every unit, by code.
pub async fn units(db: &ReadDb) -> Result<BTreeMap<String, UnitDoc>> {
    let docs = db
        .docs(include_str!("../../projections/queries/units_all.sql"), &[])
        .await?;
    docs.iter()
        .map(|d| from_doc::<UnitDoc>("rm_unit", d).map(|u| (u.code.clone(), u)))
        .collect()
}

/// `code` and its descendants, depth first (empty when the unit is unknown).
pub fn subtree(units: &BTreeMap<String, UnitDoc>, code: &str) -> Vec<String> {
    if !units.contains_key(code) {
        return Vec::new();
    }
    let mut children: HashMap<&str, Vec<&str>> = HashMap::new();
    for u in units.values() {
        if let Some(p) = &u.parent {
            children
                .entry(p.as_str())
                .or_default()
                .push(u.code.as_str());
        }
    }
    let mut out = Vec::new();
    let mut stack = vec![code];
    while let Some(c) = stack.pop() {
        if out.iter().any(|o: &String| o == c) {
            continue; // a cycle in bad data
        }
        out.push(c.to_string());
        if let Some(k) = children.get(c) {
            stack.extend(k.iter().rev());
        }
    }
    out
}

/// `code` and its ancestors, nearest first.
pub fn ancestors(units: &BTreeMap<String, UnitDoc>, code: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut at = Some(code.to_string());
    while let Some(c) = at {
        if out.contains(&c) {
            break;
        }
        at = units.get(&c).and_then(|u| u.parent.clone());
        out.push(c);
    }
    out
}

/// The officers whose current unit is `unit`.
pub async fn officers_of(db: &ReadDb, unit: &str) -> Result<Vec<OfficerDoc>> {
    let docs = db
        .docs(
            include_str!("../../projections/queries/officers_of_unit.sql"),
            &[Val::Text(Some(unit.to_string()))],
        )
        .await?;
    docs.iter().map(|d| from_doc("rm_officer", d)).collect()
}

/// The SKPs of `year` whose post is in `unit`.
pub async fn plans_of(db: &ReadDb, unit: &str, year: i32) -> Result<Vec<PlanDoc>> {
    let docs = db
        .docs(
            include_str!("../../projections/queries/plans_of_unit.sql"),
            &[
                Val::Text(Some(unit.to_string())),
                Val::Int(Some(i64::from(year))),
            ],
        )
        .await?;
    docs.iter().map(|d| from_doc("rm_plan", d)).collect()
}

/// JP completed in `year`, by NIP.
pub async fn jp_by_officer(db: &ReadDb, year: i32) -> Result<HashMap<String, u32>> {
    let docs = db
        .docs(
            include_str!("../../projections/queries/completions_in_year.sql"),
            &[Val::Int(Some(i64::from(year)))],
        )
        .await?;
    let mut out: HashMap<String, u32> = HashMap::new();
    for d in docs {
        let c: super::scorecard::CompletionLine = from_doc("rm_completion", &d)?;
        *out.entry(c.nip).or_default() += c.jp;
    }
    Ok(out)
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PlanCounts {
    pub approved: u32,
    pub submitted: u32,
    pub draft: u32,
    pub closed: u32,
    /// Active officers in the tree with no SKP of the year in it.
    pub officers_without_plan: u32,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReportCounts {
    pub filed: u32,
    pub officers_reporting: u32,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EvaluationCounts {
    pub done: u32,
    pub pending: u32,
    pub overdue: u32,
}

/// The predikat distribution against the quota (R5).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Distribution {
    /// Employees with a predikat in the period.
    pub n: u32,
    pub counts: BTreeMap<PredikatPegawai, u32>,
    /// The organisation predikat the quota comes from (unset: no quota yet).
    pub organisation: Option<OrgPredikatDoc>,
    /// Whether the distribution fits the quota (`None` without an organisation predikat).
    pub quota_ok: Option<bool>,
    pub violations: Vec<DistributionViolation>,
    /// A recorded warning with its justification.
    pub warning: Option<WarningDoc>,
    pub finalised: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Adoption {
    pub active_officers: u32,
    pub filed_last_30_days: u32,
    /// `filed_last_30_days / active_officers` (0 without officers).
    pub share: f64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TrainingCompliance {
    pub officers: u32,
    pub compliant: u32,
    pub non_compliant: u32,
    pub share: f64,
}

/// The figures of one unit (or of a whole tree).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Figures {
    pub officers: u32,
    pub officers_by_status: BTreeMap<String, u32>,
    pub plans: PlanCounts,
    pub reports: ReportCounts,
    pub evaluations: EvaluationCounts,
    pub distribution: Distribution,
    pub ikm: Option<IkmSummary>,
    pub open_improvement_actions: u32,
    pub adoption: Adoption,
    pub training: TrainingCompliance,
}

/// One unit's line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnitLine {
    pub code: String,
    pub name: String,
    pub parent: Option<String>,
    pub head: Option<String>,
    #[serde(flatten)]
    pub figures: Figures,
}

/// The dashboard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dashboard {
    pub unit: String,
    pub name: String,
    pub year: i32,
    pub period: Period,
    /// When the figures were computed (adoption and overdue depend on it).
    pub as_at: DateTime<Utc>,
    /// The whole tree.
    pub total: Figures,
    /// Open improvement actions of the tree.
    pub improvement_actions: Vec<ActionDoc>,
    /// The unit and each sub-unit, depth first.
    pub units: Vec<UnitLine>,
}

fn share(a: u32, b: u32) -> f64 {
    if b == 0 {
        0.0
    } else {
        (f64::from(a) / f64::from(b) * 10_000.0).round() / 10_000.0
    }
}

fn period_end(year: i32, period: Period) -> NaiveDate {
    Year::new(year).map_or(NaiveDate::MAX, |y| period.range(y).1)
}

/// What the figures need of one SKP: a compact view of a [`PlanDoc`] (the dashboard cache
/// keeps these instead of whole documents).
#[derive(Debug, Clone, PartialEq)]
pub struct PlanFigures {
    pub stream_id: String,
    pub nip: String,
    pub seq: u32,
    /// DRAFT, SUBMITTED, APPROVED, CLOSED.
    pub status: String,
    /// The unit of the SKP's post.
    pub unit: Option<String>,
    /// Reports not withdrawn, by period ([`period_index`]).
    reports: [u32; 5],
    /// The predikat of each evaluated period.
    evaluations: Vec<(Period, PredikatPegawai)>,
}

/// The slot of a period in [`PlanFigures`]' report counts.
fn period_index(p: Period) -> usize {
    match p {
        Period::Tw1 => 0,
        Period::Tw2 => 1,
        Period::Tw3 => 2,
        Period::Tw4 => 3,
        Period::Tahunan => 4,
    }
}

impl PlanFigures {
    pub fn of(p: &PlanDoc) -> Self {
        let mut reports = [0u32; 5];
        for r in p.reports.values().filter(|r| !r.withdrawn) {
            reports[period_index(r.period)] += 1;
        }
        Self {
            stream_id: p.stream_id.clone(),
            nip: p.nip.clone(),
            seq: p.seq,
            status: p.status.clone(),
            unit: p.unit.clone(),
            reports,
            evaluations: p
                .evaluations
                .iter()
                .map(|(k, e)| (*k, e.predikat))
                .collect(),
        }
    }

    /// Reports filed in the period (any period for the year), not withdrawn.
    fn filed(&self, period: Period) -> u32 {
        match period {
            Period::Tahunan => self.reports.iter().sum(),
            p => self.reports[period_index(p)],
        }
    }

    /// The predikat of the period's evaluation.
    fn predikat(&self, period: Period) -> Option<PredikatPegawai> {
        self.evaluations
            .iter()
            .find(|(p, _)| *p == period)
            .map(|(_, e)| *e)
    }
}

/// Figures over a set of officers and SKPs, against `unit`'s organisation predikat.
#[allow(clippy::too_many_arguments)]
fn figures(
    config: &DomainConfig,
    unit: Option<&UnitDoc>,
    officers: &[&OfficerDoc],
    plans: &[&PlanFigures],
    jp: &HashMap<String, u32>,
    year: i32,
    period: Period,
    now: DateTime<Utc>,
) -> Figures {
    let mut f = Figures {
        officers: u32::try_from(officers.len()).unwrap_or(u32::MAX),
        ..Figures::default()
    };
    let active: Vec<&&OfficerDoc> = officers.iter().filter(|o| o.status == "AKTIF").collect();
    let mut by_status: BTreeMap<&str, u32> = BTreeMap::new();
    for o in officers {
        *by_status.entry(o.status.as_str()).or_default() += 1;
    }
    f.officers_by_status = by_status
        .into_iter()
        .map(|(s, n)| (s.to_string(), n))
        .collect();
    let overdue =
        now.date_naive() > period_end(year, period) + TimeDelta::days(EVALUATION_DUE_DAYS);
    let mut reporting = std::collections::BTreeSet::new();
    let mut with_plan = std::collections::HashSet::new();
    for p in plans {
        with_plan.insert(p.nip.as_str());
        match p.status.as_str() {
            "APPROVED" => f.plans.approved += 1,
            "SUBMITTED" => f.plans.submitted += 1,
            "DRAFT" => f.plans.draft += 1,
            "CLOSED" => f.plans.closed += 1,
            _ => {}
        }
        let filed = p.filed(period);
        if filed > 0 {
            f.reports.filed += filed;
            reporting.insert(p.nip.as_str());
        }
        if p.predikat(period).is_some() {
            f.evaluations.done += 1;
        } else if p.status == "APPROVED" {
            if overdue {
                f.evaluations.overdue += 1;
            } else {
                f.evaluations.pending += 1;
            }
        }
    }
    f.reports.officers_reporting = u32::try_from(reporting.len()).unwrap_or(u32::MAX);
    f.plans.officers_without_plan = u32::try_from(
        active
            .iter()
            .filter(|o| !with_plan.contains(o.nip.as_str()))
            .count(),
    )
    .unwrap_or(u32::MAX);

    // The predikat of each officer: their latest SKP with an evaluation of the period.
    let mut latest: BTreeMap<&str, (u32, PredikatPegawai)> = BTreeMap::new();
    for p in plans {
        if let Some(e) = p.predikat(period) {
            let slot = latest.entry(p.nip.as_str()).or_insert((p.seq, e));
            if p.seq >= slot.0 {
                *slot = (p.seq, e);
            }
        }
    }
    let predikat: Vec<PredikatPegawai> = latest.values().map(|(_, p)| *p).collect();
    let d = &mut f.distribution;
    d.n = u32::try_from(predikat.len()).unwrap_or(u32::MAX);
    for p in &predikat {
        *d.counts.entry(*p).or_default() += 1;
    }
    if let Some(u) = unit {
        let key = period_key(year, period);
        d.organisation = u.org_predikat.get(&key).cloned();
        d.warning = u.warnings.get(&key).cloned();
        d.finalised = u.finalised.contains_key(&key);
        if let Some(org) = &d.organisation {
            d.violations =
                rules::check_distribution(org.predikat, &predikat, config.distribution_rounding);
            d.quota_ok = Some(d.violations.is_empty());
        }
    }

    let since = now - TimeDelta::days(ADOPTION_DAYS);
    f.adoption.active_officers = u32::try_from(active.len()).unwrap_or(u32::MAX);
    f.adoption.filed_last_30_days = u32::try_from(
        active
            .iter()
            .filter(|o| o.last_filed_at.is_some_and(|t| t >= since))
            .count(),
    )
    .unwrap_or(u32::MAX);
    f.adoption.share = share(f.adoption.filed_last_30_days, f.adoption.active_officers);

    f.training.officers = f.adoption.active_officers;
    f.training.compliant = u32::try_from(
        active
            .iter()
            .filter(|o| {
                let rule = config.jp_rule(o.employment.unwrap_or(EmploymentType::Pns));
                rules::jp_compliant(jp.get(&o.nip).copied().unwrap_or(0), rule)
            })
            .count(),
    )
    .unwrap_or(u32::MAX);
    f.training.non_compliant = f.training.officers - f.training.compliant;
    f.training.share = share(f.training.compliant, f.training.officers);
    f
}

/// Everything a dashboard is computed from, for the units of one tree.
pub struct Inputs<'a> {
    /// Every unit (the tree is taken from them).
    pub units: &'a BTreeMap<String, UnitDoc>,
    /// The officers now in each unit of the tree.
    pub officers: BTreeMap<String, Vec<&'a OfficerDoc>>,
    /// The SKPs of the year whose post is in each unit of the tree.
    pub plans: BTreeMap<String, Vec<&'a PlanFigures>>,
    /// JP completed in the year, by NIP.
    pub jp: &'a HashMap<String, u32>,
    /// The survey year of each unit of the tree that has one.
    pub surveys: BTreeMap<String, &'a SurveyDoc>,
}

/// The dashboard of `code` with its sub-units from its inputs (pure; `None` for an unknown
/// unit). The query below and the cache ([`cache`]) both end here.
pub fn assemble(
    config: &DomainConfig,
    inputs: &Inputs<'_>,
    code: &str,
    year: i32,
    period: Period,
    now: DateTime<Utc>,
) -> Option<Dashboard> {
    let all = inputs.units;
    let top = all.get(code)?;
    let tree = subtree(all, code);
    let empty_o: Vec<&OfficerDoc> = Vec::new();
    let empty_p: Vec<&PlanFigures> = Vec::new();
    let mut lines = Vec::new();
    for c in &tree {
        let u = &all[c];
        let os = inputs.officers.get(c).unwrap_or(&empty_o);
        let ps = inputs.plans.get(c).unwrap_or(&empty_p);
        let mut figures = figures(config, Some(u), os, ps, inputs.jp, year, period, now);
        if let Some(s) = inputs.surveys.get(c) {
            let sum = s.summary(period, config);
            figures.ikm = (sum.issued > 0 || sum.respondents > 0).then_some(sum);
            figures.open_improvement_actions =
                u32::try_from(s.open_actions().count()).unwrap_or(u32::MAX);
        }
        lines.push(UnitLine {
            code: c.clone(),
            name: u.name.clone(),
            parent: u.parent.clone(),
            head: u.head.clone(),
            figures,
        });
    }
    let in_tree = |c: &&String| tree.contains(*c);
    let os: Vec<&OfficerDoc> = inputs
        .officers
        .iter()
        .filter(|(c, _)| in_tree(c))
        .flat_map(|(_, v)| v.iter().copied())
        .collect();
    let ps: Vec<&PlanFigures> = inputs
        .plans
        .iter()
        .filter(|(c, _)| in_tree(c))
        .flat_map(|(_, v)| v.iter().copied())
        .collect();
    let mut total = figures(config, Some(top), &os, &ps, inputs.jp, year, period, now);
    let surveys: Vec<&SurveyDoc> = inputs
        .surveys
        .iter()
        .filter(|(c, _)| in_tree(c))
        .map(|(_, s)| *s)
        .collect();
    // IKM of the tree: every unit's sums pooled, with the top unit's weights.
    let weights = inputs
        .surveys
        .get(code)
        .map_or(config.ikm_default_weights.as_slice(), |s| s.weights(config));
    let sum = survey::summarise(
        surveys.iter().flat_map(|s| s.cells.values()),
        period,
        weights,
    );
    total.ikm = (sum.issued > 0 || sum.respondents > 0).then_some(sum);
    let actions: Vec<ActionDoc> = surveys
        .iter()
        .flat_map(|s| s.open_actions().cloned())
        .collect();
    total.open_improvement_actions = u32::try_from(actions.len()).unwrap_or(u32::MAX);
    Some(Dashboard {
        unit: code.to_string(),
        name: top.name.clone(),
        year,
        period,
        as_at: now,
        total,
        improvement_actions: actions,
        units: lines,
    })
}

/// The dashboard of `code` with its sub-units for `year` and `period`, read from the read model
/// (every SKP document of the tree parsed); `None` for an unknown unit. `now` is the time overdue
/// evaluations and adoption are measured at. The HTTP layer serves the same figures from
/// [`cache::DashboardCache`]; this is what the cache is checked against.
pub async fn dashboard(
    db: &ReadDb,
    config: &DomainConfig,
    code: &str,
    year: i32,
    period: Period,
    now: DateTime<Utc>,
) -> Result<Option<Dashboard>> {
    let all = units(db).await?;
    if !all.contains_key(code) {
        return Ok(None);
    }
    let tree = subtree(&all, code);
    let jp = jp_by_officer(db, year).await?;
    let mut officers: BTreeMap<String, Vec<OfficerDoc>> = BTreeMap::new();
    let mut plans: BTreeMap<String, Vec<PlanFigures>> = BTreeMap::new();
    let mut surveys = BTreeMap::new();
    for c in &tree {
        officers.insert(c.clone(), officers_of(db, c).await?);
        let docs = plans_of(db, c, year).await?;
        plans.insert(c.clone(), docs.iter().map(PlanFigures::of).collect());
        if let Some(s) = survey::survey_of(db, c, year).await? {
            surveys.insert(c.clone(), s);
        }
    }
    let inputs = Inputs {
        units: &all,
        officers: officers
            .iter()
            .map(|(c, v)| (c.clone(), v.iter().collect()))
            .collect(),
        plans: plans
            .iter()
            .map(|(c, v)| (c.clone(), v.iter().collect()))
            .collect(),
        jp: &jp,
        surveys: surveys.iter().map(|(c, s)| (c.clone(), s)).collect(),
    };
    Ok(assemble(config, &inputs, code, year, period, now))
}

/// The current year.
pub fn this_year(now: DateTime<Utc>) -> i32 {
    now.year()
}

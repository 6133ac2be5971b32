//! The `survey` projection: the public-satisfaction survey (SKM) of each unit and year, kept as
//! counts and sums per (period, service) — codes issued, respondents, and per element the sum and
//! number of answers — so that IKM (R13), its category (R14) and the sample check (R16) are
//! computed for any period, service or group of units without storing any answer.
//!
//! The NRR of an element is its sum over its count, exactly what [`rules::ikm`] computes from the
//! answers (sums of small integers are exact in `f64`). A unit's own weights apply to its IKM;
//! city-wide figures pool every unit's sums and use the default weights. The population for R16 is
//! the number of single-use codes handed out (one per service received).
//!
//! Tables (`projections/{backend}/survey.sql`): `rm_survey(k = {unit}/{year}, unit, year, doc)`,
//! `rm_survey_code(k = {stream}/{digest}, doc)` (the code's period and service, needed to fold an
//! answer, which names only the code).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::docs::stream_key;
use super::performance::{Docs, from_doc, to_doc};
use super::{
    Backend, Changes, ColType, Decoded, Envelope, Projection, ReadDb, Result, TableDef, Topic, Val,
};
use crate::domain::rules::{self, IkmCategory};
use crate::domain::survey::ELEMENTS;
use crate::domain::values::Period;
use crate::domain::{DomainConfig, SurveyEvent};

const T: ColType = ColType::Text;
const I: ColType = ColType::Int;

static TABLES: [TableDef; 2] = [
    TableDef {
        name: "rm_survey",
        columns: &[("k", T), ("unit", T), ("year", I), ("doc", T)],
        restore: true,
    },
    TableDef {
        name: "rm_survey_code",
        columns: &[("k", T), ("doc", T)],
        restore: true,
    },
];

/// Counts of one (period, service).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Cell {
    pub period: Option<Period>,
    pub service: String,
    /// Codes handed out (the population of R16).
    pub issued: u64,
    pub respondents: u64,
    /// Per element: the sum of the answers 1–4.
    pub sums: Vec<u64>,
    /// Per element: how many answered it.
    pub counts: Vec<u64>,
}

/// An improvement action (opened for category C or D).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionDoc {
    pub action_id: Uuid,
    pub period: Period,
    pub ikm_hundredths: i64,
    pub category: IkmCategory,
    pub plan: String,
    pub opened_at: DateTime<Utc>,
    pub outcome: Option<String>,
    pub closed_at: Option<DateTime<Utc>>,
}

/// A unit's survey year.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SurveyDoc {
    pub unit: String,
    pub year: i32,
    pub weights: Option<Vec<f64>>,
    /// By `{period}/{service}`.
    pub cells: BTreeMap<String, Cell>,
    pub actions: BTreeMap<Uuid, ActionDoc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct CodeDoc {
    key: String,
    period: Period,
    service: String,
    used: bool,
}

/// `survey-{unit}_{year}` → (unit, year).
pub fn parse_survey_stream(stream_id: &str) -> Option<(String, i32)> {
    let (unit, year) = stream_key(stream_id).rsplit_once('_')?;
    Some((unit.to_string(), year.parse().ok()?))
}

/// The `survey` projection.
#[derive(Debug, Default)]
pub struct Survey {
    surveys: Docs<SurveyDoc>,
    codes: Docs<CodeDoc>,
}

impl Survey {
    /// Fold one event (public for benches and tests).
    pub fn fold(&mut self, env: &Envelope) {
        let Decoded::Survey(e) = &env.decoded else {
            return;
        };
        let stream = env.event.stream_id.as_str();
        let Some((unit, year)) = parse_survey_stream(stream) else {
            return;
        };
        let key = format!("{unit}/{year}");
        let new = || SurveyDoc {
            unit: unit.clone(),
            year,
            ..SurveyDoc::default()
        };
        match e {
            SurveyEvent::SurveyCodesIssued {
                period,
                service,
                code_digests,
                ..
            } => {
                let mut fresh = 0;
                for c in code_digests {
                    let k = format!("{stream}/{c}");
                    if self.codes.map.contains_key(&k) {
                        continue;
                    }
                    fresh += 1;
                    self.codes.touch(&k, || CodeDoc {
                        key: k.clone(),
                        period: *period,
                        service: service.clone(),
                        used: false,
                    });
                }
                let doc = self.surveys.touch(&key, new);
                cell(doc, *period, service).issued += fresh;
            }
            SurveyEvent::SurveyAnswered {
                code_digest,
                answers,
                ..
            } => {
                let k = format!("{stream}/{code_digest}");
                let Some(code) = self.codes.map.get(&k) else {
                    return;
                };
                let (period, service) = (code.period, code.service.clone());
                self.codes.touch(&k, || unreachable_code(&k)).used = true;
                let doc = self.surveys.touch(&key, new);
                let c = cell(doc, period, &service);
                c.respondents += 1;
                for (i, a) in answers.iter().enumerate().take(ELEMENTS) {
                    if (1..=4).contains(a) {
                        c.sums[i] += u64::from(*a);
                        c.counts[i] += 1;
                    }
                }
            }
            SurveyEvent::IkmWeightsSet { weights, .. } => {
                self.surveys.touch(&key, new).weights = Some(weights.clone());
            }
            SurveyEvent::ImprovementActionOpened {
                action_id,
                period,
                ikm_hundredths,
                category,
                plan,
                at,
            } => {
                self.surveys.touch(&key, new).actions.insert(
                    *action_id,
                    ActionDoc {
                        action_id: *action_id,
                        period: *period,
                        ikm_hundredths: *ikm_hundredths,
                        category: *category,
                        plan: plan.clone(),
                        opened_at: *at,
                        outcome: None,
                        closed_at: None,
                    },
                );
            }
            SurveyEvent::ImprovementActionClosed {
                action_id,
                outcome,
                at,
            } => {
                if let Some(a) = self.surveys.touch(&key, new).actions.get_mut(action_id) {
                    a.outcome = Some(outcome.clone());
                    a.closed_at = Some(*at);
                }
            }
        }
    }
}

fn unreachable_code(k: &str) -> CodeDoc {
    CodeDoc {
        key: k.to_string(),
        period: Period::Tahunan,
        service: String::new(),
        used: false,
    }
}

fn cell<'a>(doc: &'a mut SurveyDoc, period: Period, service: &str) -> &'a mut Cell {
    let k = format!("{}/{service}", super::docs::period_code(period));
    doc.cells.entry(k).or_insert_with(|| Cell {
        period: Some(period),
        service: service.to_string(),
        sums: vec![0; ELEMENTS],
        counts: vec![0; ELEMENTS],
        ..Cell::default()
    })
}

impl Projection for Survey {
    fn name(&self) -> &'static str {
        "survey"
    }

    fn version(&self) -> u32 {
        1
    }

    fn schema(&self, backend: Backend) -> &'static str {
        match backend {
            Backend::Sqlite => include_str!("../../projections/sqlite/survey.sql"),
            Backend::Postgres => include_str!("../../projections/postgres/survey.sql"),
        }
    }

    fn tables(&self) -> &'static [TableDef] {
        &TABLES
    }

    fn reset(&mut self) {
        self.surveys.clear();
        self.codes.clear();
    }

    fn restore(&mut self, table: &str, doc: &str) -> Result<()> {
        match table {
            "rm_survey" => {
                let d: SurveyDoc = from_doc(table, doc)?;
                self.surveys.map.insert(format!("{}/{}", d.unit, d.year), d);
            }
            "rm_survey_code" => {
                let d: CodeDoc = from_doc(table, doc)?;
                self.codes.map.insert(d.key.clone(), d);
            }
            _ => {}
        }
        Ok(())
    }

    fn apply(&mut self, env: &Envelope) {
        self.fold(env);
    }

    fn flush(&mut self, changes: &mut Changes, topics: &mut Vec<Topic>) {
        for (k, d) in self.surveys.drain_dirty() {
            changes.upsert(
                "rm_survey",
                vec![
                    k.into(),
                    d.unit.clone().into(),
                    d.year.into(),
                    to_doc(d).into(),
                ],
            );
            topics.push(Topic::Dashboard {
                unit: d.unit.clone(),
            });
        }
        for (k, d) in self.codes.drain_dirty() {
            changes.upsert("rm_survey_code", vec![k.into(), to_doc(d).into()]);
        }
    }
}

/// IKM of a group of cells (R13, R14, R16).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IkmSummary {
    pub respondents: u64,
    /// Codes handed out: the population for R16.
    pub issued: u64,
    /// Average per element, U1..U9 (0 where nobody answered).
    pub nrr: Vec<f64>,
    /// IKM konversi (25–100), when anyone answered.
    pub ikm: Option<f64>,
    pub category: Option<IkmCategory>,
    pub category_label: Option<String>,
    /// R16's recommended respondents for the population.
    pub recommended_sample: u64,
    pub sample_ok: bool,
}

/// IKM of the cells of `period` (every cell for the year) with `weights`.
pub fn summarise<'a>(
    cells: impl IntoIterator<Item = &'a Cell>,
    period: Period,
    weights: &[f64],
) -> IkmSummary {
    let (mut sums, mut counts) = (vec![0u64; ELEMENTS], vec![0u64; ELEMENTS]);
    let (mut respondents, mut issued) = (0, 0);
    for c in cells {
        if period != Period::Tahunan && c.period != Some(period) {
            continue;
        }
        respondents += c.respondents;
        issued += c.issued;
        for i in 0..ELEMENTS {
            sums[i] += c.sums.get(i).copied().unwrap_or(0);
            counts[i] += c.counts.get(i).copied().unwrap_or(0);
        }
    }
    #[allow(clippy::cast_precision_loss)] // counts far below 2^52
    let nrr: Vec<f64> = (0..ELEMENTS)
        .map(|i| {
            if counts[i] == 0 {
                0.0
            } else {
                sums[i] as f64 / counts[i] as f64
            }
        })
        .collect();
    let (mut raw, mut used) = (0.0, 0.0);
    for i in 0..ELEMENTS {
        if counts[i] > 0 {
            let w = weights.get(i).copied().unwrap_or(0.0);
            raw += nrr[i] * w;
            used += w;
        }
    }
    let ikm = (used > 0.0).then(|| rules::round2(raw / used * 25.0));
    let category = ikm.map(rules::ikm_category);
    let recommended_sample = rules::sample_size(issued);
    IkmSummary {
        respondents,
        issued,
        nrr,
        ikm,
        category,
        category_label: category.map(|c| c.label().to_string()),
        recommended_sample,
        sample_ok: respondents >= recommended_sample,
    }
}

impl SurveyDoc {
    /// The weights in force for this unit.
    pub fn weights<'a>(&'a self, config: &'a DomainConfig) -> &'a [f64] {
        self.weights
            .as_deref()
            .unwrap_or(&config.ikm_default_weights)
    }

    /// The unit's IKM for a period.
    pub fn summary(&self, period: Period, config: &DomainConfig) -> IkmSummary {
        summarise(self.cells.values(), period, self.weights(config))
    }

    /// Per service.
    pub fn by_service(&self, period: Period, config: &DomainConfig) -> Vec<(String, IkmSummary)> {
        let mut services: Vec<&str> = self.cells.values().map(|c| c.service.as_str()).collect();
        services.sort_unstable();
        services.dedup();
        services
            .into_iter()
            .map(|s| {
                let cells = self.cells.values().filter(|c| c.service == s);
                (
                    s.to_string(),
                    summarise(cells, period, self.weights(config)),
                )
            })
            .filter(|(_, sum)| sum.issued > 0 || sum.respondents > 0)
            .collect()
    }

    /// Improvement actions not closed.
    pub fn open_actions(&self) -> impl Iterator<Item = &ActionDoc> {
        self.actions.values().filter(|a| a.closed_at.is_none())
    }
}

/// The survey year of a unit.
pub async fn survey_of(db: &ReadDb, unit: &str, year: i32) -> Result<Option<SurveyDoc>> {
    db.docs(
        include_str!("../../projections/queries/survey_of.sql"),
        &[Val::Text(Some(format!("{unit}/{year}")))],
    )
    .await?
    .first()
    .map(|d| from_doc("rm_survey", d))
    .transpose()
}

/// Every unit's survey year (`None`: the latest year with any survey).
pub async fn surveys(db: &ReadDb, year: Option<i32>) -> Result<Vec<SurveyDoc>> {
    let docs = match year {
        Some(y) => {
            db.docs(
                include_str!("../../projections/queries/surveys_of_year.sql"),
                &[Val::Int(Some(i64::from(y)))],
            )
            .await?
        }
        None => {
            db.docs(
                include_str!("../../projections/queries/surveys_latest_year.sql"),
                &[],
            )
            .await?
        }
    };
    docs.iter().map(|d| from_doc("rm_survey", d)).collect()
}

/// One unit's line of a survey report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnitSurvey {
    pub unit: String,
    #[serde(flatten)]
    pub summary: IkmSummary,
    pub services: Vec<ServiceSurvey>,
    pub open_improvement_actions: Vec<ActionDoc>,
}

/// One service's line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceSurvey {
    pub service: String,
    #[serde(flatten)]
    pub summary: IkmSummary,
}

/// The SKM report of a year and period: per unit (and service) and city-wide.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SurveyReport {
    pub year: i32,
    pub period: Period,
    /// Every unit's sums pooled, with the default weights.
    pub city: IkmSummary,
    pub units: Vec<UnitSurvey>,
}

/// The SKM report of `year` and `period`.
pub async fn report(
    db: &ReadDb,
    config: &DomainConfig,
    year: i32,
    period: Period,
) -> Result<SurveyReport> {
    let docs = surveys(db, Some(year)).await?;
    let city = summarise(
        docs.iter().flat_map(|d| d.cells.values()),
        period,
        &config.ikm_default_weights,
    );
    let units = docs
        .iter()
        .map(|d| UnitSurvey {
            unit: d.unit.clone(),
            summary: d.summary(period, config),
            services: d
                .by_service(period, config)
                .into_iter()
                .map(|(service, summary)| ServiceSurvey { service, summary })
                .collect(),
            open_improvement_actions: d.open_actions().cloned().collect(),
        })
        .collect();
    Ok(SurveyReport {
        year,
        period,
        city,
        units,
    })
}

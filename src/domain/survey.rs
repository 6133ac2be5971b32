//! The public-satisfaction stream (`survey-{unitcode}_{year}`): batches of single-use codes for
//! a service, anonymous answers to the nine SKM elements, the unit's element weights, IKM and its
//! category (R13, R14), sample adequacy (R16), and improvement actions opened when the category
//! of a period is C or D.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::codec::{DomainEvent, stream_name};
use super::config::DomainConfig;
use super::error::DomainError;
use super::rules::{self, Ikm, IkmCategory};
use super::values::{Period, UnitCode, Year, required_text};

/// Stream category.
pub const CATEGORY: &str = "survey";

/// Number of SKM elements (PermenPANRB 14/2017).
pub const ELEMENTS: usize = 9;

/// Days a survey code stays valid after it is issued.
pub const CODE_VALID_DAYS: i64 = 30;

/// `survey-{unitcode}_{year}`.
pub fn stream_id(unit: &UnitCode, year: Year) -> String {
    stream_name(CATEGORY, &format!("{unit}_{year}"))
}

/// Events of the survey stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum SurveyEvent {
    /// Single-use codes handed out with a service. The application stores only digests
    /// (e.g. SHA-256 hex) of the codes, never the codes.
    SurveyCodesIssued {
        /// Batch id.
        batch_id: Uuid,
        /// Unit.
        unit: UnitCode,
        /// Year.
        year: Year,
        /// Period the answers count for.
        period: Period,
        /// Service (jenis layanan).
        service: String,
        /// Code digests.
        code_digests: Vec<String>,
        /// Server time.
        at: DateTime<Utc>,
    },
    /// An anonymous answer; no personal data.
    SurveyAnswered {
        /// Digest of the code used.
        code_digest: String,
        /// Scores 1–4 for U1..U9.
        answers: Vec<u8>,
        /// Optional comment.
        comment: Option<String>,
        /// Server time.
        at: DateTime<Utc>,
    },
    /// The unit's own element weights (sum 1).
    IkmWeightsSet {
        /// Weights for U1..U9.
        weights: Vec<f64>,
        /// Server time.
        at: DateTime<Utc>,
    },
    /// IKM category C or D: an improvement action is opened.
    ImprovementActionOpened {
        /// Id.
        action_id: Uuid,
        /// Period.
        period: Period,
        /// IKM konversi in hundredths at opening.
        ikm_hundredths: i64,
        /// Category at opening.
        category: IkmCategory,
        /// Planned action.
        plan: String,
        /// Server time.
        at: DateTime<Utc>,
    },
    /// The action is done.
    ImprovementActionClosed {
        /// Id.
        action_id: Uuid,
        /// What was done.
        outcome: String,
        /// Server time.
        at: DateTime<Utc>,
    },
}

impl DomainEvent for SurveyEvent {
    type State = SurveyState;
    const CATEGORY: &'static str = CATEGORY;

    fn event_type(&self) -> &'static str {
        match self {
            Self::SurveyCodesIssued { .. } => "SurveyCodesIssued",
            Self::SurveyAnswered { .. } => "SurveyAnswered",
            Self::IkmWeightsSet { .. } => "IkmWeightsSet",
            Self::ImprovementActionOpened { .. } => "ImprovementActionOpened",
            Self::ImprovementActionClosed { .. } => "ImprovementActionClosed",
        }
    }

    fn evolve(state: SurveyState, event: &Self) -> SurveyState {
        evolve(state, event)
    }
}

/// Commands of the survey stream.
#[derive(Debug, Clone, PartialEq)]
pub enum SurveyCommand {
    /// Issue codes.
    IssueSurveyCodes {
        /// Batch id.
        batch_id: Uuid,
        /// Unit.
        unit: UnitCode,
        /// Year.
        year: Year,
        /// Period.
        period: Period,
        /// Service.
        service: String,
        /// Code digests.
        code_digests: Vec<String>,
    },
    /// Answer (public; no actor).
    AnswerSurvey {
        /// Digest of the code.
        code_digest: String,
        /// Nine scores 1–4.
        answers: Vec<u8>,
        /// Comment.
        comment: Option<String>,
    },
    /// Set the unit's weights.
    SetIkmWeights {
        /// Nine weights summing to 1.
        weights: Vec<f64>,
    },
    /// Open an improvement action (only for C / D).
    OpenImprovementAction {
        /// New id.
        action_id: Uuid,
        /// Period.
        period: Period,
        /// Planned action.
        plan: String,
    },
    /// Close an improvement action.
    CloseImprovementAction {
        /// Id.
        action_id: Uuid,
        /// What was done.
        outcome: String,
    },
}

/// A code and its use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeInfo {
    /// Period.
    pub period: Period,
    /// Service.
    pub service: String,
    /// Used.
    pub used: bool,
    /// When its batch was issued (server time); it expires [`CODE_VALID_DAYS`] days later.
    pub issued_at: DateTime<Utc>,
}

/// Folded state of a unit's survey year.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SurveyState {
    /// Unit.
    pub unit: Option<UnitCode>,
    /// Year.
    pub year: Option<Year>,
    /// Codes by digest.
    pub codes: BTreeMap<String, CodeInfo>,
    /// Answers `(period, scores)`.
    pub responses: Vec<(Period, Vec<u8>)>,
    /// The unit's weights, if set.
    pub weights: Option<Vec<f64>>,
    /// Improvement actions: id → (period, open).
    pub actions: BTreeMap<Uuid, (Period, bool)>,
}

impl SurveyState {
    /// R13/R14 for a period (the year takes every answer of the year).
    pub fn ikm(&self, period: Period, config: &DomainConfig) -> Result<Ikm, DomainError> {
        let rows: Vec<Vec<Option<u8>>> = self
            .responses
            .iter()
            .filter(|(p, _)| period == Period::Tahunan || *p == period)
            .map(|(_, a)| a.iter().copied().map(Some).collect())
            .collect();
        let weights = self
            .weights
            .as_deref()
            .unwrap_or(&config.ikm_default_weights);
        rules::ikm(&rows, weights)
    }

    /// R16: whether the answers of a period reach the recommended sample for `population`.
    pub fn sample_ok(&self, period: Period, population: u64) -> bool {
        let n = self
            .responses
            .iter()
            .filter(|(p, _)| period == Period::Tahunan || *p == period)
            .count();
        rules::sample_ok(u64::try_from(n).unwrap_or(u64::MAX), population)
    }
}

/// Applies one event.
pub fn evolve(mut s: SurveyState, e: &SurveyEvent) -> SurveyState {
    match e {
        SurveyEvent::SurveyCodesIssued {
            unit,
            year,
            period,
            service,
            code_digests,
            at,
            ..
        } => {
            s.unit = Some(unit.clone());
            s.year = Some(*year);
            for c in code_digests {
                let info = CodeInfo {
                    period: *period,
                    service: service.clone(),
                    used: false,
                    issued_at: *at,
                };
                s.codes.entry(c.clone()).or_insert(info);
            }
        }
        SurveyEvent::SurveyAnswered {
            code_digest,
            answers,
            ..
        } => {
            if let Some(info) = s.codes.get_mut(code_digest) {
                info.used = true;
                s.responses.push((info.period, answers.clone()));
            }
        }
        SurveyEvent::IkmWeightsSet { weights, .. } => s.weights = Some(weights.clone()),
        SurveyEvent::ImprovementActionOpened {
            action_id, period, ..
        } => {
            s.actions.insert(*action_id, (*period, true));
        }
        SurveyEvent::ImprovementActionClosed { action_id, .. } => {
            if let Some(a) = s.actions.get_mut(action_id) {
                a.1 = false;
            }
        }
    }
    s
}

/// Decides a survey command. Needs only this stream, the configuration (default weights) and
/// the server time.
pub fn decide(
    s: &SurveyState,
    cmd: &SurveyCommand,
    config: &DomainConfig,
    at: DateTime<Utc>,
) -> Result<Vec<SurveyEvent>, DomainError> {
    let event = match cmd {
        SurveyCommand::IssueSurveyCodes {
            batch_id,
            unit,
            year,
            period,
            service,
            code_digests,
        } => {
            let mut sorted = code_digests.clone();
            sorted.sort();
            sorted.dedup();
            let bad = sorted.len() != code_digests.len()
                || code_digests.is_empty()
                || code_digests
                    .iter()
                    .any(|c| c.trim().is_empty() || s.codes.contains_key(c));
            if bad {
                return Err(DomainError::SurveyCodeDuplicate);
            }
            SurveyEvent::SurveyCodesIssued {
                batch_id: *batch_id,
                unit: unit.clone(),
                year: *year,
                period: *period,
                service: required_text("jenis layanan", service, 300)?,
                code_digests: code_digests.clone(),
                at,
            }
        }
        SurveyCommand::AnswerSurvey {
            code_digest,
            answers,
            comment,
        } => {
            let info = s
                .codes
                .get(code_digest)
                .ok_or(DomainError::SurveyCodeUnknown)?;
            if info.used {
                return Err(DomainError::SurveyCodeUsed);
            }
            if at > info.issued_at + chrono::Duration::days(CODE_VALID_DAYS) {
                return Err(DomainError::SurveyCodeExpired {
                    days: CODE_VALID_DAYS,
                });
            }
            if answers.len() != ELEMENTS || answers.iter().any(|a| !(1..=4).contains(a)) {
                return Err(DomainError::InvalidSurveyAnswer);
            }
            let comment = comment
                .as_deref()
                .filter(|c| !c.trim().is_empty())
                .map(|c| required_text("saran", c, 2000))
                .transpose()?;
            SurveyEvent::SurveyAnswered {
                code_digest: code_digest.clone(),
                answers: answers.clone(),
                comment,
                at,
            }
        }
        SurveyCommand::SetIkmWeights { weights } => {
            if weights.len() != ELEMENTS {
                return Err(DomainError::WeightsDoNotSumToOne);
            }
            rules::validate_weights(weights)?;
            SurveyEvent::IkmWeightsSet {
                weights: weights.clone(),
                at,
            }
        }
        SurveyCommand::OpenImprovementAction {
            action_id,
            period,
            plan,
        } => {
            if s.actions.contains_key(action_id) {
                return Err(DomainError::DuplicateId {
                    what: "rencana perbaikan",
                });
            }
            let ikm = s.ikm(*period, config)?;
            let category = rules::ikm_category(ikm.konversi);
            if !category.needs_improvement() {
                return Err(DomainError::ImprovementNotRequired {
                    category: format!("{category:?}"),
                });
            }
            SurveyEvent::ImprovementActionOpened {
                action_id: *action_id,
                period: *period,
                ikm_hundredths: rules::hundredths(ikm.konversi),
                category,
                plan: required_text("rencana perbaikan", plan, 4000)?,
                at,
            }
        }
        SurveyCommand::CloseImprovementAction { action_id, outcome } => {
            match s.actions.get(action_id) {
                None => {
                    return Err(DomainError::NotFound {
                        what: "rencana perbaikan",
                    });
                }
                Some((_, false)) => {
                    return Err(DomainError::ImprovementActionState {
                        what: "sudah ditutup",
                    });
                }
                Some((_, true)) => {}
            }
            SurveyEvent::ImprovementActionClosed {
                action_id: *action_id,
                outcome: required_text("hasil perbaikan", outcome, 4000)?,
                at,
            }
        }
    };
    Ok(vec![event])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::testing::given;

    fn at() -> DateTime<Utc> {
        "2025-03-10T05:00:00Z".parse().unwrap()
    }
    fn unit() -> UnitCode {
        UnitCode::parse("DISDUKCAPIL").unwrap()
    }
    fn y() -> Year {
        Year::new(2025).unwrap()
    }
    fn issued(codes: &[&str]) -> SurveyEvent {
        SurveyEvent::SurveyCodesIssued {
            batch_id: Uuid::from_u128(1),
            unit: unit(),
            year: y(),
            period: Period::Tw1,
            service: "KTP-el".into(),
            code_digests: codes.iter().map(|c| (*c).to_owned()).collect(),
            at: at(),
        }
    }
    fn answered(code: &str, score: u8) -> SurveyEvent {
        SurveyEvent::SurveyAnswered {
            code_digest: code.into(),
            answers: vec![score; 9],
            comment: None,
            at: at(),
        }
    }
    fn run(s: &SurveyState, c: SurveyCommand) -> Result<Vec<SurveyEvent>, DomainError> {
        decide(s, &c, &DomainConfig::default(), at())
    }
    fn answer(code: &str, answers: Vec<u8>) -> SurveyCommand {
        SurveyCommand::AnswerSurvey {
            code_digest: code.into(),
            answers,
            comment: Some("  ".into()),
        }
    }

    #[test]
    fn a_code_is_used_once() {
        given([issued(&["a", "b"])])
            .when(|s| run(s, answer("a", vec![4; 9])))
            .then([answered("a", 4)]);
        given([issued(&["a"]), answered("a", 4)])
            .when(|s| run(s, answer("a", vec![4; 9])))
            .then_err("SURVEY_CODE_USED");
        given([issued(&["a"])])
            .when(|s| run(s, answer("zzz", vec![4; 9])))
            .then_err("SURVEY_CODE_UNKNOWN");
    }

    #[test]
    fn a_code_expires_thirty_days_after_it_was_issued() {
        let answer_at = |when: &str| {
            let when: DateTime<Utc> = when.parse().unwrap();
            move |s: &SurveyState| {
                decide(s, &answer("a", vec![4; 9]), &DomainConfig::default(), when)
            }
        };
        // Issued at 2025-03-10T05:00Z: valid up to and including 30 days later.
        let s = given([issued(&["a"])])
            .when(answer_at("2025-04-09T05:00:00Z"))
            .then_ok();
        assert_eq!(s.len(), 1);
        given([issued(&["a"])])
            .when(answer_at("2025-04-09T05:00:01Z"))
            .then_err("SURVEY_CODE_EXPIRED");
    }

    #[test]
    fn answers_are_nine_scores_from_1_to_4() {
        given([issued(&["a"])])
            .when(|s| run(s, answer("a", vec![4; 8])))
            .then_err("INVALID_SURVEY_ANSWER");
        given([issued(&["a"])])
            .when(|s| run(s, answer("a", vec![5; 9])))
            .then_err("INVALID_SURVEY_ANSWER");
    }

    #[test]
    fn codes_are_not_issued_twice() {
        given([issued(&["a"])])
            .when(|s| {
                let c = SurveyCommand::IssueSurveyCodes {
                    batch_id: Uuid::from_u128(2),
                    unit: unit(),
                    year: y(),
                    period: Period::Tw1,
                    service: "KK".into(),
                    code_digests: vec!["a".into()],
                };
                run(s, c)
            })
            .then_err("SURVEY_CODE_DUPLICATE");
    }

    #[test]
    fn unit_weights_must_sum_to_one() {
        given::<SurveyEvent>([])
            .when(|s| {
                run(
                    s,
                    SurveyCommand::SetIkmWeights {
                        weights: vec![0.1; 9],
                    },
                )
            })
            .then_err("WEIGHTS_DO_NOT_SUM_TO_ONE");
        let mut w = vec![0.1; 9];
        w[0] = 0.2;
        let s = given::<SurveyEvent>([])
            .when(|s| run(s, SurveyCommand::SetIkmWeights { weights: w.clone() }))
            .then_ok();
        assert_eq!(s.len(), 1);
    }

    #[test]
    fn an_improvement_action_opens_only_for_category_c_or_d() {
        let open = SurveyCommand::OpenImprovementAction {
            action_id: Uuid::from_u128(7),
            period: Period::Tw1,
            plan: "Tambah loket".into(),
        };
        given([issued(&["a"]), answered("a", 4)])
            .when(|s| run(s, open.clone()))
            .then_err("IMPROVEMENT_NOT_REQUIRED");
        given([issued(&["a"]), answered("a", 2)])
            .when(|s| run(s, open.clone()))
            .then([SurveyEvent::ImprovementActionOpened {
                action_id: Uuid::from_u128(7),
                period: Period::Tw1,
                ikm_hundredths: 5000,
                category: IkmCategory::D,
                plan: "Tambah loket".into(),
                at: at(),
            }]);
        given([issued(&["a"])])
            .when(|s| run(s, open))
            .then_err("NO_SURVEY_RESPONSES");
    }

    #[test]
    fn ikm_and_sample_adequacy_per_period() {
        let s = SurveyEvent::fold(&[issued(&["a", "b"]), answered("a", 3), answered("b", 4)]);
        let cfg = DomainConfig::default();
        assert_eq!(s.ikm(Period::Tw1, &cfg).unwrap().konversi, 87.5);
        assert_eq!(s.ikm(Period::Tahunan, &cfg).unwrap().respondents, 2);
        assert!(s.ikm(Period::Tw2, &cfg).is_err());
        assert!(s.sample_ok(Period::Tw1, 2));
        assert!(!s.sample_ok(Period::Tw1, 100));
        assert_eq!(stream_id(&unit(), y()), "survey-DISDUKCAPIL_2025");
    }
}

//! The training-programme stream (`training-{uuid}`): a programme is announced, officers enrol
//! and complete it (JP credited, certificate) or it is cancelled. JP compliance per officer and
//! year (R17) sums the completed JP over the programme states.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::codec::{DomainEvent, stream_name};
use super::config::DomainConfig;
use super::error::DomainError;
use super::rules;
use super::values::{Certificate, EmploymentType, Nip, Year, required_text};

/// Stream category.
pub const CATEGORY: &str = "training";

/// `training-{uuid}`.
pub fn stream_id(program_id: Uuid) -> String {
    stream_name(CATEGORY, &program_id.to_string())
}

/// Competence type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CompetenceType {
    /// Teknis.
    Teknis,
    /// Manajerial.
    Manajerial,
    /// Sosial kultural.
    SosialKultural,
}

/// Route (jalur).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Route {
    /// Klasikal.
    Klasikal,
    /// Nonklasikal.
    Nonklasikal,
}

/// Programme details.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Programme {
    /// Title / materi.
    pub title: String,
    /// Competence type.
    pub competence: CompetenceType,
    /// Route.
    pub route: Route,
    /// Lesson hours offered.
    pub jp: u32,
    /// First day.
    pub start: NaiveDate,
    /// Last day.
    pub end: NaiveDate,
    /// Provider (pelaksana).
    pub provider: String,
}

/// Events of the training stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum TrainingEvent {
    /// Announced.
    TrainingProgramAnnounced {
        /// Id.
        program_id: Uuid,
        /// Details.
        programme: Programme,
        /// Server time.
        at: DateTime<Utc>,
    },
    /// An officer enrolled.
    OfficerEnrolled {
        /// Officer.
        nip: Nip,
        /// Server time.
        at: DateTime<Utc>,
    },
    /// An officer completed it.
    TrainingCompleted {
        /// Officer.
        nip: Nip,
        /// JP credited.
        jp: u32,
        /// Completion date.
        completed_on: NaiveDate,
        /// Certificate.
        certificate: Certificate,
        /// Server time.
        at: DateTime<Utc>,
    },
    /// Cancelled.
    TrainingCancelled {
        /// Why.
        reason: String,
        /// Server time.
        at: DateTime<Utc>,
    },
}

impl DomainEvent for TrainingEvent {
    type State = TrainingState;
    const CATEGORY: &'static str = CATEGORY;

    fn event_type(&self) -> &'static str {
        match self {
            Self::TrainingProgramAnnounced { .. } => "TrainingProgramAnnounced",
            Self::OfficerEnrolled { .. } => "OfficerEnrolled",
            Self::TrainingCompleted { .. } => "TrainingCompleted",
            Self::TrainingCancelled { .. } => "TrainingCancelled",
        }
    }

    fn evolve(state: TrainingState, event: &Self) -> TrainingState {
        evolve(state, event)
    }
}

/// Commands of the training stream.
#[derive(Debug, Clone, PartialEq)]
pub enum TrainingCommand {
    /// Announce.
    AnnounceTraining {
        /// New id.
        program_id: Uuid,
        /// Details.
        programme: Programme,
    },
    /// Enrol an officer.
    EnrollOfficer {
        /// Officer.
        nip: Nip,
    },
    /// Record a completion.
    CompleteTraining {
        /// Officer.
        nip: Nip,
        /// JP credited (at most the programme's JP).
        jp: u32,
        /// Completion date.
        completed_on: NaiveDate,
        /// Certificate.
        certificate: Certificate,
    },
    /// Cancel.
    CancelTraining {
        /// Why.
        reason: String,
    },
}

/// A completion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    /// JP credited.
    pub jp: u32,
    /// Date.
    pub completed_on: NaiveDate,
}

/// Folded state of a programme.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TrainingState {
    /// Id.
    pub program_id: Option<Uuid>,
    /// Details.
    pub programme: Option<Programme>,
    /// Cancelled.
    pub cancelled: bool,
    /// Participants and their completion.
    pub participants: BTreeMap<Nip, Option<Completion>>,
}

/// Applies one event.
pub fn evolve(mut s: TrainingState, e: &TrainingEvent) -> TrainingState {
    match e {
        TrainingEvent::TrainingProgramAnnounced {
            program_id,
            programme,
            ..
        } => {
            s.program_id = Some(*program_id);
            s.programme = Some(programme.clone());
        }
        TrainingEvent::OfficerEnrolled { nip, .. } => {
            s.participants.entry(nip.clone()).or_insert(None);
        }
        TrainingEvent::TrainingCompleted {
            nip,
            jp,
            completed_on,
            ..
        } => {
            let c = Completion {
                jp: *jp,
                completed_on: *completed_on,
            };
            s.participants.insert(nip.clone(), Some(c));
        }
        TrainingEvent::TrainingCancelled { .. } => s.cancelled = true,
    }
    s
}

/// Decides a training command. Needs only this stream, the configuration (clock skew) and the
/// server time. Whether the officer exists is the application layer's check.
pub fn decide(
    s: &TrainingState,
    cmd: &TrainingCommand,
    config: &DomainConfig,
    at: DateTime<Utc>,
) -> Result<Vec<TrainingEvent>, DomainError> {
    if let TrainingCommand::AnnounceTraining {
        program_id,
        programme,
    } = cmd
    {
        if s.programme.is_some() {
            return Err(DomainError::TrainingAlreadyAnnounced);
        }
        return Ok(vec![TrainingEvent::TrainingProgramAnnounced {
            program_id: *program_id,
            programme: checked_programme(programme)?,
            at,
        }]);
    }
    let p = s
        .programme
        .as_ref()
        .ok_or(DomainError::TrainingNotAnnounced)?;
    if s.cancelled {
        return Err(DomainError::TrainingCancelled);
    }
    let event = match cmd {
        TrainingCommand::AnnounceTraining { .. } => {
            return Err(DomainError::TrainingAlreadyAnnounced);
        }
        TrainingCommand::EnrollOfficer { nip } => {
            if s.participants.contains_key(nip) {
                return Err(DomainError::AlreadyEnrolled);
            }
            TrainingEvent::OfficerEnrolled {
                nip: nip.clone(),
                at,
            }
        }
        TrainingCommand::CompleteTraining {
            nip,
            jp,
            completed_on,
            certificate,
        } => {
            match s.participants.get(nip) {
                None => return Err(DomainError::NotEnrolled),
                Some(Some(_)) => return Err(DomainError::AlreadyCompleted),
                Some(None) => {}
            }
            if *jp == 0 || *jp > p.jp {
                return Err(DomainError::InvalidJp);
            }
            config.date_not_in_future("tanggal selesai", *completed_on, at)?;
            if *completed_on < p.end {
                return Err(DomainError::TrainingNotFinished);
            }
            TrainingEvent::TrainingCompleted {
                nip: nip.clone(),
                jp: *jp,
                completed_on: *completed_on,
                certificate: certificate.clone(),
                at,
            }
        }
        TrainingCommand::CancelTraining { reason } => TrainingEvent::TrainingCancelled {
            reason: required_text("alasan pembatalan", reason, 2000)?,
            at,
        },
    };
    Ok(vec![event])
}

fn checked_programme(p: &Programme) -> Result<Programme, DomainError> {
    if p.jp == 0 {
        return Err(DomainError::InvalidJp);
    }
    if p.end < p.start {
        return Err(DomainError::InvalidDateRange);
    }
    Ok(Programme {
        title: required_text("judul pelatihan", &p.title, 300)?,
        provider: required_text("penyelenggara", &p.provider, 300)?,
        ..p.clone()
    })
}

/// R17: JP completed by `nip` in `year` over the given programmes (by completion date).
pub fn jp_total<'a>(
    programmes: impl IntoIterator<Item = &'a TrainingState>,
    nip: &Nip,
    year: Year,
) -> u32 {
    programmes
        .into_iter()
        .filter_map(|p| p.participants.get(nip).cloned().flatten())
        .filter(|c| c.completed_on.year() == year.get())
        .fold(0u32, |acc, c| acc.saturating_add(c.jp))
}

/// R17: whether the officer's JP in the year meets the rule for their employment type.
pub fn jp_compliant<'a>(
    programmes: impl IntoIterator<Item = &'a TrainingState>,
    nip: &Nip,
    year: Year,
    employment: EmploymentType,
    config: &DomainConfig,
) -> bool {
    rules::jp_compliant(jp_total(programmes, nip, year), config.jp_rule(employment))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::testing::given;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }
    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }
    fn nip() -> Nip {
        Nip::parse("198503142010011002").unwrap()
    }
    fn programme(jp: u32) -> Programme {
        Programme {
            title: "Pelatihan Keamanan Siber".into(),
            competence: CompetenceType::Teknis,
            route: Route::Klasikal,
            jp,
            start: d("2025-03-03"),
            end: d("2025-03-05"),
            provider: "BPSDM Aceh".into(),
        }
    }
    fn announced(id: u128, jp: u32) -> TrainingEvent {
        TrainingEvent::TrainingProgramAnnounced {
            program_id: Uuid::from_u128(id),
            programme: programme(jp),
            at: at("2025-02-01T00:00:00Z"),
        }
    }
    fn enrolled() -> TrainingEvent {
        TrainingEvent::OfficerEnrolled {
            nip: nip(),
            at: at("2025-02-02T00:00:00Z"),
        }
    }
    fn cert() -> Certificate {
        Certificate::new("https://files/cert.pdf", &"cd".repeat(32)).unwrap()
    }
    fn complete(jp: u32) -> TrainingCommand {
        TrainingCommand::CompleteTraining {
            nip: nip(),
            jp,
            completed_on: d("2025-03-05"),
            certificate: cert(),
        }
    }
    fn run(s: &TrainingState, c: TrainingCommand) -> Result<Vec<TrainingEvent>, DomainError> {
        decide(s, &c, &DomainConfig::default(), at("2025-03-06T00:00:00Z"))
    }

    #[test]
    fn a_programme_needs_positive_jp_and_ordered_dates() {
        let mut p = programme(0);
        given::<TrainingEvent>([])
            .when(|s| {
                run(
                    s,
                    TrainingCommand::AnnounceTraining {
                        program_id: Uuid::from_u128(1),
                        programme: p.clone(),
                    },
                )
            })
            .then_err("INVALID_JP");
        p.jp = 10;
        p.end = d("2025-03-01");
        given::<TrainingEvent>([])
            .when(|s| {
                run(
                    s,
                    TrainingCommand::AnnounceTraining {
                        program_id: Uuid::from_u128(1),
                        programme: p,
                    },
                )
            })
            .then_err("INVALID_DATE_RANGE");
        given::<TrainingEvent>([])
            .when(|s| {
                run(
                    s,
                    TrainingCommand::AnnounceTraining {
                        program_id: Uuid::from_u128(1),
                        programme: programme(12),
                    },
                )
            })
            .then([TrainingEvent::TrainingProgramAnnounced {
                program_id: Uuid::from_u128(1),
                programme: programme(12),
                at: at("2025-03-06T00:00:00Z"),
            }]);
    }

    #[test]
    fn an_enrolled_officer_completes_once_and_is_credited() {
        given([announced(1, 12), enrolled()])
            .when(|s| run(s, complete(12)))
            .then([TrainingEvent::TrainingCompleted {
                nip: nip(),
                jp: 12,
                completed_on: d("2025-03-05"),
                certificate: cert(),
                at: at("2025-03-06T00:00:00Z"),
            }]);
        given([announced(1, 12)])
            .when(|s| run(s, complete(12)))
            .then_err("NOT_ENROLLED");
        given([announced(1, 12), enrolled()])
            .when(|s| run(s, complete(13)))
            .then_err("INVALID_JP");
        given([announced(1, 12), enrolled()])
            .when(|s| run(s, TrainingCommand::EnrollOfficer { nip: nip() }))
            .then_err("ALREADY_ENROLLED");
    }

    #[test]
    fn a_cancelled_programme_takes_no_completions() {
        let cancelled = TrainingEvent::TrainingCancelled {
            reason: "Anggaran".into(),
            at: at("2025-02-03T00:00:00Z"),
        };
        given([announced(1, 12), enrolled(), cancelled])
            .when(|s| run(s, complete(12)))
            .then_err("TRAINING_CANCELLED");
    }

    #[test]
    fn jp_compliance_needs_20_jp_for_pns_and_at_most_24_for_pppk() {
        let done = |id: u128, jp: u32| {
            TrainingEvent::fold(&[
                announced(id, jp),
                enrolled(),
                TrainingEvent::TrainingCompleted {
                    nip: nip(),
                    jp,
                    completed_on: d("2025-03-05"),
                    certificate: cert(),
                    at: at("2025-03-06T00:00:00Z"),
                },
            ])
        };
        let cfg = DomainConfig::default();
        let y = Year::new(2025).unwrap();
        let a = [done(1, 12), done(2, 7)];
        assert_eq!(jp_total(&a, &nip(), y), 19);
        assert!(!jp_compliant(&a, &nip(), y, EmploymentType::Pns, &cfg));
        let b = [done(1, 12), done(2, 8)];
        assert!(jp_compliant(&b, &nip(), y, EmploymentType::Pns, &cfg));
        assert!(jp_compliant(&b, &nip(), y, EmploymentType::Pppk, &cfg));
        let c = [done(1, 12), done(2, 13)];
        assert!(!jp_compliant(&c, &nip(), y, EmploymentType::Pppk, &cfg));
        assert_eq!(jp_total(&c, &nip(), Year::new(2024).unwrap()), 0);
    }
}

//! The officer stream (`officer-{nip}`): registration with a validated NIP, post and unit,
//! transfers (which close the current SKP, R8), time-bounded appraiser assignments (R23) and
//! status changes that exempt an officer from planning (R8). Other deciders read this state to
//! know who appraises the officer on a date and whether the officer must plan.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::codec::{DomainEvent, stream_name};
use super::config::DomainConfig;
use super::error::DomainError;
use super::values::{ActorId, EmploymentType, Nip, PositionKind, UnitCode, Year, required_text};

/// Stream category.
pub const CATEGORY: &str = "officer";

/// `officer-{nip}`.
pub fn stream_id(nip: &Nip) -> String {
    stream_name(CATEGORY, nip.as_str())
}

/// Employment status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OfficerStatus {
    /// Active.
    Aktif,
    /// Tugas belajar (study assignment).
    TugasBelajar,
    /// Cuti di luar tanggungan negara.
    Cltn,
    /// Diberhentikan sementara.
    DiberhentikanSementara,
    /// Masa persiapan pensiun.
    Mpp,
    /// Appointed pejabat negara / LNS member.
    PejabatNegara,
    /// Retired.
    Pensiun,
    /// Left the service (resigned, dismissed, contract ended, died).
    Berhenti,
}

impl OfficerStatus {
    /// R8: whether the status exempts the officer from SKP planning.
    pub fn exempt_from_planning(self) -> bool {
        !matches!(self, Self::Aktif)
    }

    /// Label in Bahasa Indonesia.
    pub fn label(self) -> &'static str {
        match self {
            Self::Aktif => "aktif",
            Self::TugasBelajar => "tugas belajar",
            Self::Cltn => "cuti di luar tanggungan negara",
            Self::DiberhentikanSementara => "diberhentikan sementara",
            Self::Mpp => "masa persiapan pensiun",
            Self::PejabatNegara => "pejabat negara",
            Self::Pensiun => "pensiun",
            Self::Berhenti => "berhenti",
        }
    }
}

/// The post an officer holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Post {
    /// Unit.
    pub unit: UnitCode,
    /// Name of the post (nama jabatan).
    pub position: String,
    /// Kind of post.
    pub kind: PositionKind,
}

/// A time-bounded appraiser assignment (R23).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppraiserAssignment {
    /// Pejabat penilai kinerja.
    pub penilai: ActorId,
    /// Atasan pejabat penilai kinerja.
    pub atasan: ActorId,
    /// First day.
    pub from: NaiveDate,
    /// Last day, `None` while open.
    pub until: Option<NaiveDate>,
}

impl AppraiserAssignment {
    fn covers(&self, d: NaiveDate) -> bool {
        self.from <= d && self.until.is_none_or(|u| d <= u)
    }
}

/// Events of the officer stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum OfficerEvent {
    /// The officer was registered.
    OfficerRegistered {
        /// NIP.
        nip: Nip,
        /// Full name with titles.
        name: String,
        /// Pangkat / golongan ruang, e.g. "Penata, III/c".
        golongan: String,
        /// PNS or PPPK.
        employment: EmploymentType,
        /// Post.
        post: Post,
        /// Server time.
        at: DateTime<Utc>,
    },
    /// The officer moved to another unit or post; the current SKP is closed (R8).
    OfficerTransferred {
        /// New post.
        post: Post,
        /// Effective date.
        effective: NaiveDate,
        /// Server time.
        at: DateTime<Utc>,
    },
    /// Appraisers assigned from a date (R23); an audit reason when it overrides the default.
    AppraiserAssigned {
        /// The assignment.
        assignment: AppraiserAssignment,
        /// Reason (override of the default hierarchy).
        reason: Option<String>,
        /// Server time.
        at: DateTime<Utc>,
    },
    /// The status changed (tugas belajar, CLTN, retired, ...).
    OfficerStatusChanged {
        /// New status.
        status: OfficerStatus,
        /// Effective date.
        effective: NaiveDate,
        /// Reason / decree.
        reason: String,
        /// Server time.
        at: DateTime<Utc>,
    },
}

impl DomainEvent for OfficerEvent {
    type State = OfficerState;
    const CATEGORY: &'static str = CATEGORY;

    fn event_type(&self) -> &'static str {
        match self {
            Self::OfficerRegistered { .. } => "OfficerRegistered",
            Self::OfficerTransferred { .. } => "OfficerTransferred",
            Self::AppraiserAssigned { .. } => "AppraiserAssigned",
            Self::OfficerStatusChanged { .. } => "OfficerStatusChanged",
        }
    }

    fn evolve(state: OfficerState, event: &Self) -> OfficerState {
        evolve(state, event)
    }
}

/// Commands of the officer stream.
#[derive(Debug, Clone, PartialEq)]
pub enum OfficerCommand {
    /// Register.
    RegisterOfficer {
        /// NIP.
        nip: Nip,
        /// Name.
        name: String,
        /// Golongan.
        golongan: String,
        /// PNS / PPPK.
        employment: EmploymentType,
        /// Post.
        post: Post,
    },
    /// Transfer to another post.
    TransferOfficer {
        /// New post.
        post: Post,
        /// Effective date.
        effective: NaiveDate,
    },
    /// Assign appraisers.
    AssignAppraiser {
        /// Pejabat penilai.
        penilai: ActorId,
        /// Atasan pejabat penilai.
        atasan: ActorId,
        /// From.
        from: NaiveDate,
        /// Until.
        until: Option<NaiveDate>,
        /// Audit reason.
        reason: Option<String>,
    },
    /// Change status.
    ChangeStatus {
        /// New status.
        status: OfficerStatus,
        /// Effective date.
        effective: NaiveDate,
        /// Reason.
        reason: String,
    },
}

/// Folded state of an officer.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OfficerState {
    /// Whether registered.
    pub registered: bool,
    /// NIP.
    pub nip: Option<Nip>,
    /// Name.
    pub name: String,
    /// Golongan.
    pub golongan: String,
    /// Employment type.
    pub employment: Option<EmploymentType>,
    /// Current post.
    pub post: Option<Post>,
    /// Dates of transfers, in order.
    pub transfers: Vec<NaiveDate>,
    /// Assignments, in order; a later one wins where they overlap.
    pub assignments: Vec<AppraiserAssignment>,
    /// Status history `(effective, status)`, in order.
    pub statuses: Vec<(NaiveDate, OfficerStatus)>,
}

impl OfficerState {
    /// The appraisers on date `d` (the latest assignment that covers it).
    pub fn assignment_at(&self, d: NaiveDate) -> Option<&AppraiserAssignment> {
        self.assignments.iter().rev().find(|a| a.covers(d))
    }

    /// The status on date `d` (active before any change).
    pub fn status_at(&self, d: NaiveDate) -> OfficerStatus {
        self.statuses
            .iter()
            .filter(|(from, _)| *from <= d)
            .max_by_key(|(from, _)| *from)
            .map_or(OfficerStatus::Aktif, |(_, s)| *s)
    }

    /// The SKP sequence number in `year` for a date: 1 plus the transfers effective in that
    /// year up to `d` (R8: each post gets its own SKP).
    pub fn plan_seq(&self, year: Year, d: NaiveDate) -> u32 {
        let n = self
            .transfers
            .iter()
            .filter(|t| t.year() == year.get() && **t <= d)
            .count();
        u32::try_from(n).unwrap_or(u32::MAX - 1).saturating_add(1)
    }

    /// Whether the officer heads `unit` according to the unit's state.
    pub fn is_head_of(&self, unit: &super::unit::UnitState) -> bool {
        self.nip.is_some() && unit.head == self.nip
    }
}

/// Applies one event.
pub fn evolve(mut s: OfficerState, e: &OfficerEvent) -> OfficerState {
    match e {
        OfficerEvent::OfficerRegistered {
            nip,
            name,
            golongan,
            employment,
            post,
            ..
        } => {
            s.registered = true;
            s.nip = Some(nip.clone());
            s.name.clone_from(name);
            s.golongan.clone_from(golongan);
            s.employment = Some(*employment);
            s.post = Some(post.clone());
        }
        OfficerEvent::OfficerTransferred {
            post, effective, ..
        } => {
            s.post = Some(post.clone());
            s.transfers.push(*effective);
        }
        OfficerEvent::AppraiserAssigned { assignment, .. } => {
            s.assignments.push(assignment.clone())
        }
        OfficerEvent::OfficerStatusChanged {
            status, effective, ..
        } => s.statuses.push((*effective, *status)),
    }
    s
}

/// Decides an officer command. Uses only this stream, the configuration (clock skew) and the
/// server time `at`. Role checks (who may register or transfer) belong to the HTTP layer.
pub fn decide(
    s: &OfficerState,
    cmd: &OfficerCommand,
    config: &DomainConfig,
    at: DateTime<Utc>,
) -> Result<Vec<OfficerEvent>, DomainError> {
    if !matches!(cmd, OfficerCommand::RegisterOfficer { .. }) && !s.registered {
        return Err(DomainError::OfficerNotRegistered);
    }
    let event = match cmd {
        OfficerCommand::RegisterOfficer {
            nip,
            name,
            golongan,
            employment,
            post,
        } => {
            if s.registered {
                return Err(DomainError::OfficerAlreadyRegistered);
            }
            OfficerEvent::OfficerRegistered {
                nip: nip.clone(),
                name: required_text("nama", name, 200)?,
                golongan: required_text("pangkat/golongan", golongan, 100)?,
                employment: *employment,
                post: checked_post(post)?,
                at,
            }
        }
        OfficerCommand::TransferOfficer { post, effective } => {
            config.date_not_in_future("tanggal mutasi", *effective, at)?;
            OfficerEvent::OfficerTransferred {
                post: checked_post(post)?,
                effective: *effective,
                at,
            }
        }
        OfficerCommand::AssignAppraiser {
            penilai,
            atasan,
            from,
            until,
            reason,
        } => assign(s, penilai, atasan, *from, *until, reason.as_deref(), at)?,
        OfficerCommand::ChangeStatus {
            status,
            effective,
            reason,
        } => {
            config.date_not_in_future("tanggal berlaku status", *effective, at)?;
            if s.status_at(*effective) == *status {
                return Err(DomainError::StatusUnchanged {
                    status: status.label().to_owned(),
                });
            }
            OfficerEvent::OfficerStatusChanged {
                status: *status,
                effective: *effective,
                reason: required_text("alasan/nomor SK", reason, 500)?,
                at,
            }
        }
    };
    Ok(vec![event])
}

fn checked_post(p: &Post) -> Result<Post, DomainError> {
    Ok(Post {
        unit: p.unit.clone(),
        position: required_text("jabatan", &p.position, 200)?,
        kind: p.kind,
    })
}

fn assign(
    s: &OfficerState,
    penilai: &ActorId,
    atasan: &ActorId,
    from: NaiveDate,
    until: Option<NaiveDate>,
    reason: Option<&str>,
    at: DateTime<Utc>,
) -> Result<OfficerEvent, DomainError> {
    if until.is_some_and(|u| u < from) {
        return Err(DomainError::InvalidDateRange);
    }
    let me = s.nip.clone().map(ActorId::Nip);
    if me.as_ref() == Some(penilai) || me.as_ref() == Some(atasan) {
        return Err(DomainError::SelfAppraisal);
    }
    let reason = reason
        .filter(|r| !r.trim().is_empty())
        .map(|r| required_text("alasan", r, 500))
        .transpose()?;
    Ok(OfficerEvent::AppraiserAssigned {
        assignment: AppraiserAssignment {
            penilai: penilai.clone(),
            atasan: atasan.clone(),
            from,
            until,
        },
        reason,
        at,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::domain::testing::given;

    pub(crate) const ME: &str = "198503142010011002";
    pub(crate) const BOSS: &str = "197501012000031001";
    pub(crate) const BIG_BOSS: &str = "196801011990031003";
    pub(crate) const NEW_BOSS: &str = "197801012003121004";

    pub(crate) fn nip(n: &str) -> Nip {
        Nip::parse(n).unwrap()
    }
    pub(crate) fn date(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }
    fn at() -> DateTime<Utc> {
        "2025-02-01T02:00:00Z".parse().unwrap()
    }
    pub(crate) fn post(unit: &str, kind: PositionKind) -> Post {
        Post {
            unit: UnitCode::parse(unit).unwrap(),
            position: "Pranata Komputer".into(),
            kind,
        }
    }

    pub(crate) fn registered() -> OfficerEvent {
        OfficerEvent::OfficerRegistered {
            nip: nip(ME),
            name: "Teuku Ahmad, S.Kom.".into(),
            golongan: "Penata, III/c".into(),
            employment: EmploymentType::Pns,
            post: post("DISKOMINFO", PositionKind::Pelaksana),
            at: at(),
        }
    }

    pub(crate) fn assigned(penilai: &str, from: &str, until: Option<&str>) -> OfficerEvent {
        OfficerEvent::AppraiserAssigned {
            assignment: AppraiserAssignment {
                penilai: ActorId::Nip(nip(penilai)),
                atasan: ActorId::Nip(nip(BIG_BOSS)),
                from: date(from),
                until: until.map(date),
            },
            reason: None,
            at: at(),
        }
    }

    /// An active officer appraised by BOSS all of 2025, and by NEW_BOSS from 1 July.
    pub(crate) fn officer_state() -> OfficerState {
        OfficerEvent::fold(&[
            registered(),
            assigned(BOSS, "2025-01-01", Some("2025-06-30")),
            assigned(NEW_BOSS, "2025-07-01", None),
        ])
    }

    fn run(s: &OfficerState, cmd: OfficerCommand) -> Result<Vec<OfficerEvent>, DomainError> {
        decide(s, &cmd, &DomainConfig::default(), at())
    }

    #[test]
    fn registering_an_officer_records_the_post() {
        given::<OfficerEvent>([])
            .when(|s| {
                run(
                    s,
                    OfficerCommand::RegisterOfficer {
                        nip: nip(ME),
                        name: "Teuku Ahmad, S.Kom.".into(),
                        golongan: "Penata, III/c".into(),
                        employment: EmploymentType::Pns,
                        post: post("DISKOMINFO", PositionKind::Pelaksana),
                    },
                )
            })
            .then([registered()]);
    }

    #[test]
    fn an_unregistered_officer_cannot_be_transferred() {
        given::<OfficerEvent>([])
            .when(|s| {
                run(
                    s,
                    OfficerCommand::TransferOfficer {
                        post: post("DINKES", PositionKind::Pelaksana),
                        effective: date("2025-01-15"),
                    },
                )
            })
            .then_err("OFFICER_NOT_REGISTERED");
    }

    #[test]
    fn a_transfer_dated_in_the_future_is_rejected() {
        given([registered()])
            .when(|s| {
                run(
                    s,
                    OfficerCommand::TransferOfficer {
                        post: post("DINKES", PositionKind::Pelaksana),
                        effective: date("2025-03-01"),
                    },
                )
            })
            .then_err("DATE_IN_FUTURE");
    }

    #[test]
    fn transfers_count_towards_the_skp_sequence() {
        let s = given([registered()])
            .when(|s| {
                run(
                    s,
                    OfficerCommand::TransferOfficer {
                        post: post("DINKES", PositionKind::Pengawas),
                        effective: date("2025-01-20"),
                    },
                )
            })
            .then([OfficerEvent::OfficerTransferred {
                post: post("DINKES", PositionKind::Pengawas),
                effective: date("2025-01-20"),
                at: at(),
            }]);
        let y = Year::new(2025).unwrap();
        assert_eq!(s.plan_seq(y, date("2025-01-19")), 1);
        assert_eq!(s.plan_seq(y, date("2025-01-20")), 2);
    }

    #[test]
    fn appraiser_assignments_are_time_bounded() {
        let s = officer_state();
        let who = |d: &str| s.assignment_at(date(d)).map(|a| a.penilai.clone());
        assert_eq!(who("2025-06-30"), Some(ActorId::Nip(nip(BOSS))));
        assert_eq!(who("2025-07-01"), Some(ActorId::Nip(nip(NEW_BOSS))));
        assert_eq!(who("2024-12-31"), None);
    }

    #[test]
    fn an_officer_cannot_appraise_themself() {
        given([registered()])
            .when(|s| {
                run(
                    s,
                    OfficerCommand::AssignAppraiser {
                        penilai: ActorId::Nip(nip(ME)),
                        atasan: ActorId::Nip(nip(BOSS)),
                        from: date("2025-01-01"),
                        until: None,
                        reason: None,
                    },
                )
            })
            .then_err("SELF_APPRAISAL");
    }

    #[test]
    fn status_changes_exempt_from_planning() {
        let s = given([registered()])
            .when(|s| {
                run(
                    s,
                    OfficerCommand::ChangeStatus {
                        status: OfficerStatus::TugasBelajar,
                        effective: date("2025-01-10"),
                        reason: "SK 800/1/2025".into(),
                    },
                )
            })
            .then([OfficerEvent::OfficerStatusChanged {
                status: OfficerStatus::TugasBelajar,
                effective: date("2025-01-10"),
                reason: "SK 800/1/2025".into(),
                at: at(),
            }]);
        assert!(s.status_at(date("2025-01-11")).exempt_from_planning());
        assert!(!s.status_at(date("2025-01-09")).exempt_from_planning());
        given([registered()])
            .when(|s| {
                run(
                    s,
                    OfficerCommand::ChangeStatus {
                        status: OfficerStatus::Aktif,
                        effective: date("2025-01-10"),
                        reason: "x".into(),
                    },
                )
            })
            .then_err("STATUS_UNCHANGED");
    }

    #[test]
    fn golden_json_of_officer_registered_decodes() {
        let json = r#"{"nip":"198503142010011002","name":"Teuku Ahmad, S.Kom.","golongan":"Penata, III/c",
          "employment":"PNS","post":{"unit":"DISKOMINFO","position":"Pranata Komputer","kind":{"kind":"PELAKSANA"}},
          "at":"2025-02-01T02:00:00Z"}"#;
        let data: serde_json::Value = serde_json::from_str(json).unwrap();
        assert_eq!(
            OfficerEvent::from_data("OfficerRegistered", 1, &data).unwrap(),
            registered()
        );
        let bad = json.replace("198503142010011002", "198513142010011002");
        let data: serde_json::Value = serde_json::from_str(&bad).unwrap();
        assert_eq!(
            OfficerEvent::from_data("OfficerRegistered", 1, &data)
                .unwrap_err()
                .code(),
            "EVENT_DECODE"
        );
        assert_eq!(stream_id(&nip(ME)), "officer-198503142010011002");
    }
}

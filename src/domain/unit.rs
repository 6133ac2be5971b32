//! The organisation stream (`unit-{code}`): registering, renaming and moving a unit, naming its
//! head, the organisation predikat set by the head of the parent unit (R7), and finalising the
//! unit's employee predikat for a period against the distribution pattern (R5).

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::codec::{DomainEvent, stream_name};
use super::config::DomainConfig;
use super::error::DomainError;
use super::rules::{self, DistributionViolation};
use super::values::{
    Actor, Nip, Period, PredikatOrganisasi, PredikatPegawai, UnitCode, Year, required_text,
};

/// Stream category.
pub const CATEGORY: &str = "unit";

/// `unit-{code}`.
pub fn stream_id(code: &UnitCode) -> String {
    stream_name(CATEGORY, code.as_str())
}

/// Kind of unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum UnitKind {
    /// Pemerintah kota (the root).
    Pemko,
    /// Sekretariat daerah / DPRK.
    Sekretariat,
    /// Dinas.
    Dinas,
    /// Badan.
    Badan,
    /// Inspektorat.
    Inspektorat,
    /// Kantor / satuan.
    Kantor,
    /// Bagian, bidang, seksi or sub-bagian inside a unit.
    Bidang,
    /// Kecamatan.
    Kecamatan,
    /// Kelurahan / gampong.
    Gampong,
    /// Puskesmas.
    Puskesmas,
    /// Rumah sakit.
    RumahSakit,
    /// Sekolah.
    Sekolah,
    /// UPTD.
    Uptd,
    /// Anything else.
    Lainnya,
}

/// Counts of employee predikat in a finalised unit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PredikatCounts {
    /// Sangat Baik.
    pub sangat_baik: u64,
    /// Baik.
    pub baik: u64,
    /// Butuh Perbaikan.
    pub butuh_perbaikan: u64,
    /// Kurang / Misconduct.
    pub kurang_misconduct: u64,
    /// Sangat Kurang.
    pub sangat_kurang: u64,
}

impl PredikatCounts {
    /// Counts a list of predikat.
    pub fn of(list: &[PredikatPegawai]) -> Self {
        let mut c = Self::default();
        for p in list {
            let slot = match p {
                PredikatPegawai::SangatBaik => &mut c.sangat_baik,
                PredikatPegawai::Baik => &mut c.baik,
                PredikatPegawai::ButuhPerbaikan => &mut c.butuh_perbaikan,
                PredikatPegawai::KurangMisconduct => &mut c.kurang_misconduct,
                PredikatPegawai::SangatKurang => &mut c.sangat_kurang,
            };
            *slot = slot.saturating_add(1);
        }
        c
    }
}

/// Events of the organisation stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum UnitEvent {
    /// A unit was registered.
    UnitRegistered {
        /// Code.
        code: UnitCode,
        /// Name.
        name: String,
        /// Kind.
        kind: UnitKind,
        /// Parent unit, `None` for the root.
        parent: Option<UnitCode>,
        /// Server time.
        at: DateTime<Utc>,
    },
    /// The unit got a new name.
    UnitRenamed {
        /// New name.
        name: String,
        /// Server time.
        at: DateTime<Utc>,
    },
    /// The unit moved under another parent.
    UnitMoved {
        /// New parent.
        parent: Option<UnitCode>,
        /// Server time.
        at: DateTime<Utc>,
    },
    /// The head (kepala / pimpinan) of the unit was named.
    UnitHeadAssigned {
        /// The head.
        head: Nip,
        /// From when.
        effective_from: NaiveDate,
        /// Server time.
        at: DateTime<Utc>,
    },
    /// R7: the organisation predikat for a period, by the head of the parent unit.
    OrganisationPredikatSet {
        /// Year.
        year: Year,
        /// Quarter or the year.
        period: Period,
        /// Predikat.
        predikat: PredikatOrganisasi,
        /// Reference of the signed "Format Penetapan Predikat Kinerja".
        decree_ref: String,
        /// Head of the parent unit.
        set_by: Nip,
        /// Server time.
        at: DateTime<Utc>,
    },
    /// R5 violations accepted with a justification.
    DistributionWarningRecorded {
        /// Year.
        year: Year,
        /// Period.
        period: Period,
        /// The violated constraints.
        violations: Vec<DistributionViolation>,
        /// Why the distribution is nevertheless right.
        justification: String,
        /// Server time.
        at: DateTime<Utc>,
    },
    /// The employee predikat of the unit for a period are final.
    PredikatFinalised {
        /// Year.
        year: Year,
        /// Period.
        period: Period,
        /// The organisation predikat they were checked against.
        organisation: PredikatOrganisasi,
        /// How many employees got each predikat.
        counts: PredikatCounts,
        /// Server time.
        at: DateTime<Utc>,
    },
}

impl DomainEvent for UnitEvent {
    type State = UnitState;
    const CATEGORY: &'static str = CATEGORY;

    fn event_type(&self) -> &'static str {
        match self {
            Self::UnitRegistered { .. } => "UnitRegistered",
            Self::UnitRenamed { .. } => "UnitRenamed",
            Self::UnitMoved { .. } => "UnitMoved",
            Self::UnitHeadAssigned { .. } => "UnitHeadAssigned",
            Self::OrganisationPredikatSet { .. } => "OrganisationPredikatSet",
            Self::DistributionWarningRecorded { .. } => "DistributionWarningRecorded",
            Self::PredikatFinalised { .. } => "PredikatFinalised",
        }
    }

    fn evolve(state: UnitState, event: &Self) -> UnitState {
        evolve(state, event)
    }
}

/// Commands of the organisation stream.
#[derive(Debug, Clone, PartialEq)]
pub enum UnitCommand {
    /// Register a new unit.
    RegisterUnit {
        /// Code.
        code: UnitCode,
        /// Name.
        name: String,
        /// Kind.
        kind: UnitKind,
        /// Parent.
        parent: Option<UnitCode>,
    },
    /// Rename.
    RenameUnit {
        /// New name.
        name: String,
    },
    /// Move under another parent.
    MoveUnit {
        /// New parent.
        parent: Option<UnitCode>,
    },
    /// Name the head.
    AssignUnitHead {
        /// Head.
        head: Nip,
        /// From when.
        effective_from: NaiveDate,
    },
    /// R7: set the organisation predikat (needs the parent unit's state).
    SetOrganisationPredikat {
        /// Year.
        year: Year,
        /// Period.
        period: Period,
        /// Predikat.
        predikat: PredikatOrganisasi,
        /// Signed format reference.
        decree_ref: String,
    },
    /// R5: finalise the employee predikat (needs the list of employee predikat).
    FinalisePredikat {
        /// Year.
        year: Year,
        /// Period.
        period: Period,
        /// Justification when the distribution does not fit.
        justification: Option<String>,
    },
}

/// Facts from outside the unit stream.
#[derive(Debug, Clone, Copy)]
pub struct UnitContext<'a> {
    /// Configuration.
    pub config: &'a DomainConfig,
    /// Server time.
    pub at: DateTime<Utc>,
    /// Who acts.
    pub actor: &'a Actor,
    /// `SetOrganisationPredikat`: the folded state of the parent unit (for its head).
    pub parent: Option<&'a UnitState>,
    /// `FinalisePredikat`: the final predikat of every employee of the unit for the period,
    /// read from their SKP streams.
    pub employee_predikat: &'a [PredikatPegawai],
}

/// Folded state of a unit.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UnitState {
    /// Whether registered.
    pub registered: bool,
    /// Code.
    pub code: Option<UnitCode>,
    /// Current name.
    pub name: String,
    /// Kind.
    pub kind: Option<UnitKind>,
    /// Current parent.
    pub parent: Option<UnitCode>,
    /// Current head.
    pub head: Option<Nip>,
    /// Organisation predikat per period.
    pub organisation_predikat: BTreeMap<(Year, Period), PredikatOrganisasi>,
    /// Periods whose employee predikat are final.
    pub finalised: BTreeSet<(Year, Period)>,
}

/// Applies one event.
pub fn evolve(mut s: UnitState, e: &UnitEvent) -> UnitState {
    match e {
        UnitEvent::UnitRegistered {
            code,
            name,
            kind,
            parent,
            ..
        } => {
            s.registered = true;
            s.code = Some(code.clone());
            s.name.clone_from(name);
            s.kind = Some(*kind);
            s.parent.clone_from(parent);
        }
        UnitEvent::UnitRenamed { name, .. } => s.name.clone_from(name),
        UnitEvent::UnitMoved { parent, .. } => s.parent.clone_from(parent),
        UnitEvent::UnitHeadAssigned { head, .. } => s.head = Some(head.clone()),
        UnitEvent::OrganisationPredikatSet {
            year,
            period,
            predikat,
            ..
        } => {
            s.organisation_predikat.insert((*year, *period), *predikat);
        }
        UnitEvent::DistributionWarningRecorded { .. } => {}
        UnitEvent::PredikatFinalised { year, period, .. } => {
            s.finalised.insert((*year, *period));
        }
    }
    s
}

/// Decides a unit command. Only `SetOrganisationPredikat` (R7: the actor must be the head of the
/// parent unit, `ctx.parent`) and `FinalisePredikat` (R5 over `ctx.employee_predikat`) use facts
/// from other streams.
pub fn decide(
    s: &UnitState,
    cmd: &UnitCommand,
    ctx: &UnitContext<'_>,
) -> Result<Vec<UnitEvent>, DomainError> {
    let at = ctx.at;
    if !matches!(cmd, UnitCommand::RegisterUnit { .. }) && !s.registered {
        return Err(DomainError::UnitNotRegistered);
    }
    let event = match cmd {
        UnitCommand::RegisterUnit {
            code,
            name,
            kind,
            parent,
        } => {
            if s.registered {
                return Err(DomainError::UnitAlreadyRegistered);
            }
            if parent.as_ref() == Some(code) {
                return Err(DomainError::UnitParentCycle);
            }
            UnitEvent::UnitRegistered {
                code: code.clone(),
                name: required_text("nama unit", name, 200)?,
                kind: *kind,
                parent: parent.clone(),
                at,
            }
        }
        UnitCommand::RenameUnit { name } => UnitEvent::UnitRenamed {
            name: required_text("nama unit", name, 200)?,
            at,
        },
        UnitCommand::MoveUnit { parent } => {
            if parent.is_some() && parent.as_ref() == s.code.as_ref() {
                return Err(DomainError::UnitParentCycle);
            }
            UnitEvent::UnitMoved {
                parent: parent.clone(),
                at,
            }
        }
        UnitCommand::AssignUnitHead {
            head,
            effective_from,
        } => {
            ctx.config
                .date_not_in_future("mulai menjabat", *effective_from, at)?;
            UnitEvent::UnitHeadAssigned {
                head: head.clone(),
                effective_from: *effective_from,
                at,
            }
        }
        UnitCommand::SetOrganisationPredikat {
            year,
            period,
            predikat,
            decree_ref,
        } => set_predikat(s, ctx, *year, *period, *predikat, decree_ref)?,
        UnitCommand::FinalisePredikat {
            year,
            period,
            justification,
        } => return finalise(s, ctx, *year, *period, justification.as_deref()),
    };
    Ok(vec![event])
}

fn set_predikat(
    s: &UnitState,
    ctx: &UnitContext<'_>,
    year: Year,
    period: Period,
    predikat: PredikatOrganisasi,
    decree_ref: &str,
) -> Result<UnitEvent, DomainError> {
    let parent_code = s.parent.as_ref().ok_or(DomainError::UnitHasNoParent)?;
    let parent = ctx.parent.filter(|p| p.code.as_ref() == Some(parent_code));
    let head = parent
        .and_then(|p| p.head.as_ref())
        .ok_or(DomainError::NotParentUnitHead)?;
    if !ctx.actor.is(head) {
        return Err(DomainError::NotParentUnitHead);
    }
    if s.finalised.contains(&(year, period)) {
        return Err(DomainError::PredikatAlreadyFinalised);
    }
    Ok(UnitEvent::OrganisationPredikatSet {
        year,
        period,
        predikat,
        decree_ref: required_text("nomor format penetapan predikat", decree_ref, 200)?,
        set_by: head.clone(),
        at: ctx.at,
    })
}

fn finalise(
    s: &UnitState,
    ctx: &UnitContext<'_>,
    year: Year,
    period: Period,
    justification: Option<&str>,
) -> Result<Vec<UnitEvent>, DomainError> {
    if s.finalised.contains(&(year, period)) {
        return Err(DomainError::PredikatAlreadyFinalised);
    }
    let org = *s
        .organisation_predikat
        .get(&(year, period))
        .ok_or(DomainError::OrganisationPredikatMissing)?;
    if ctx.employee_predikat.is_empty() {
        return Err(DomainError::NothingToFinalise);
    }
    let violations =
        rules::check_distribution(org, ctx.employee_predikat, ctx.config.distribution_rounding);
    let mut events = Vec::new();
    if !violations.is_empty() {
        let details = rules::describe_violations(&violations);
        if ctx.config.distribution_violations_block {
            return Err(DomainError::DistributionViolation { details });
        }
        let justification = justification
            .filter(|j| !j.trim().is_empty())
            .ok_or(DomainError::DistributionJustificationRequired { details })?;
        events.push(UnitEvent::DistributionWarningRecorded {
            year,
            period,
            violations,
            justification: required_text("justifikasi", justification, 2000)?,
            at: ctx.at,
        });
    }
    events.push(UnitEvent::PredikatFinalised {
        year,
        period,
        organisation: org,
        counts: PredikatCounts::of(ctx.employee_predikat),
        at: ctx.at,
    });
    Ok(events)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::testing::given;
    use crate::domain::values::Role;
    use PredikatPegawai::*;

    fn at() -> DateTime<Utc> {
        "2025-04-10T03:00:00Z".parse().unwrap()
    }
    fn code(c: &str) -> UnitCode {
        UnitCode::parse(c).unwrap()
    }
    fn nip(n: &str) -> Nip {
        Nip::parse(n).unwrap()
    }
    const HEAD: &str = "197001011995031001";
    const OTHER: &str = "198001012005011002";
    fn y() -> Year {
        Year::new(2025).unwrap()
    }

    fn registered(c: &str, parent: Option<&str>) -> UnitEvent {
        UnitEvent::UnitRegistered {
            code: code(c),
            name: format!("Unit {c}"),
            kind: UnitKind::Dinas,
            parent: parent.map(code),
            at: at(),
        }
    }

    fn parent_state() -> UnitState {
        UnitEvent::fold(&[
            registered("PEMKO", None),
            UnitEvent::UnitHeadAssigned {
                head: nip(HEAD),
                effective_from: NaiveDate::from_ymd_opt(2024, 1, 1).unwrap(),
                at: at(),
            },
        ])
    }

    fn ctx<'a>(
        cfg: &'a DomainConfig,
        actor: &'a Actor,
        parent: Option<&'a UnitState>,
        emp: &'a [PredikatPegawai],
    ) -> UnitContext<'a> {
        UnitContext {
            config: cfg,
            at: at(),
            actor,
            parent,
            employee_predikat: emp,
        }
    }

    fn org_set(p: PredikatOrganisasi) -> UnitEvent {
        UnitEvent::OrganisationPredikatSet {
            year: y(),
            period: Period::Tw1,
            predikat: p,
            decree_ref: "800/12/2025".into(),
            set_by: nip(HEAD),
            at: at(),
        }
    }

    #[test]
    fn registering_a_unit_records_it() {
        let cfg = DomainConfig::default();
        let actor = Actor::staff("admin", Role::Admin);
        given::<UnitEvent>([])
            .when(|s| {
                let cmd = UnitCommand::RegisterUnit {
                    code: code("DISKOMINFO"),
                    name: "Dinas Kominfo".into(),
                    kind: UnitKind::Dinas,
                    parent: Some(code("PEMKO")),
                };
                decide(s, &cmd, &ctx(&cfg, &actor, None, &[]))
            })
            .then([UnitEvent::UnitRegistered {
                code: code("DISKOMINFO"),
                name: "Dinas Kominfo".into(),
                kind: UnitKind::Dinas,
                parent: Some(code("PEMKO")),
                at: at(),
            }]);
    }

    #[test]
    fn a_unit_cannot_be_registered_twice_or_renamed_before_it_exists() {
        let cfg = DomainConfig::default();
        let actor = Actor::staff("admin", Role::Admin);
        given([registered("DINKES", Some("PEMKO"))])
            .when(|s| {
                let cmd = UnitCommand::RegisterUnit {
                    code: code("DINKES"),
                    name: "x".into(),
                    kind: UnitKind::Dinas,
                    parent: None,
                };
                decide(s, &cmd, &ctx(&cfg, &actor, None, &[]))
            })
            .then_err("UNIT_ALREADY_REGISTERED");
        given::<UnitEvent>([])
            .when(|s| {
                decide(
                    s,
                    &UnitCommand::RenameUnit { name: "x".into() },
                    &ctx(&cfg, &actor, None, &[]),
                )
            })
            .then_err("UNIT_NOT_REGISTERED");
    }

    #[test]
    fn moving_a_unit_under_itself_is_rejected() {
        let cfg = DomainConfig::default();
        let actor = Actor::staff("admin", Role::Admin);
        given([registered("DINKES", Some("PEMKO"))])
            .when(|s| {
                decide(
                    s,
                    &UnitCommand::MoveUnit {
                        parent: Some(code("DINKES")),
                    },
                    &ctx(&cfg, &actor, None, &[]),
                )
            })
            .then_err("UNIT_PARENT_CYCLE");
    }

    #[test]
    fn the_head_of_the_parent_unit_sets_the_organisation_predikat() {
        let cfg = DomainConfig::default();
        let parent = parent_state();
        let head = Actor::officer(nip(HEAD), Role::Penilai);
        let cmd = UnitCommand::SetOrganisationPredikat {
            year: y(),
            period: Period::Tw1,
            predikat: PredikatOrganisasi::Baik,
            decree_ref: "800/12/2025".into(),
        };
        given([registered("DINKES", Some("PEMKO"))])
            .when(|s| decide(s, &cmd, &ctx(&cfg, &head, Some(&parent), &[])))
            .then([org_set(PredikatOrganisasi::Baik)]);
        let other = Actor::officer(nip(OTHER), Role::Ppk);
        given([registered("DINKES", Some("PEMKO"))])
            .when(|s| decide(s, &cmd, &ctx(&cfg, &other, Some(&parent), &[])))
            .then_err("NOT_PARENT_UNIT_HEAD");
    }

    fn finalise_cmd(j: Option<&str>) -> UnitCommand {
        UnitCommand::FinalisePredikat {
            year: y(),
            period: Period::Tw1,
            justification: j.map(str::to_owned),
        }
    }

    #[test]
    fn finalising_a_fitting_distribution_records_the_counts() {
        let cfg = DomainConfig::default();
        let actor = Actor::staff("bkpsdm", Role::PengelolaKinerja);
        let emp = [
            SangatBaik,
            Baik,
            Baik,
            Baik,
            Baik,
            Baik,
            Baik,
            Baik,
            ButuhPerbaikan,
            ButuhPerbaikan,
        ];
        given([
            registered("DINKES", Some("PEMKO")),
            org_set(PredikatOrganisasi::Baik),
        ])
        .when(|s| decide(s, &finalise_cmd(None), &ctx(&cfg, &actor, None, &emp)))
        .then([UnitEvent::PredikatFinalised {
            year: y(),
            period: Period::Tw1,
            organisation: PredikatOrganisasi::Baik,
            counts: PredikatCounts::of(&emp),
            at: at(),
        }]);
    }

    #[test]
    fn a_distribution_violation_needs_a_justification() {
        let cfg = DomainConfig::default();
        let actor = Actor::staff("bkpsdm", Role::PengelolaKinerja);
        let emp = [
            SangatBaik, SangatBaik, Baik, Baik, Baik, Baik, Baik, Baik, Baik, Baik,
        ];
        let history = [
            registered("DINKES", Some("PEMKO")),
            org_set(PredikatOrganisasi::Baik),
        ];
        given(history.clone())
            .when(|s| decide(s, &finalise_cmd(None), &ctx(&cfg, &actor, None, &emp)))
            .then_err("DISTRIBUTION_JUSTIFICATION_REQUIRED");
        let events = given(history.clone())
            .when(|s| {
                decide(
                    s,
                    &finalise_cmd(Some("Unit baru dibentuk")),
                    &ctx(&cfg, &actor, None, &emp),
                )
            })
            .then_ok();
        assert_eq!(events.len(), 2);
        assert_eq!(events[0].event_type(), "DistributionWarningRecorded");
        let blocking = DomainConfig {
            distribution_violations_block: true,
            ..DomainConfig::default()
        };
        given(history)
            .when(|s| {
                decide(
                    s,
                    &finalise_cmd(Some("alasan")),
                    &ctx(&blocking, &actor, None, &emp),
                )
            })
            .then_err("DISTRIBUTION_VIOLATION");
    }

    #[test]
    fn finalising_needs_the_organisation_predikat_first_and_only_once() {
        let cfg = DomainConfig::default();
        let actor = Actor::staff("bkpsdm", Role::PengelolaKinerja);
        given([registered("DINKES", Some("PEMKO"))])
            .when(|s| decide(s, &finalise_cmd(None), &ctx(&cfg, &actor, None, &[Baik])))
            .then_err("ORGANISATION_PREDIKAT_MISSING");
        let done = UnitEvent::PredikatFinalised {
            year: y(),
            period: Period::Tw1,
            organisation: PredikatOrganisasi::Istimewa,
            counts: PredikatCounts::default(),
            at: at(),
        };
        given([
            registered("DINKES", Some("PEMKO")),
            org_set(PredikatOrganisasi::Istimewa),
            done,
        ])
        .when(|s| decide(s, &finalise_cmd(None), &ctx(&cfg, &actor, None, &[Baik])))
        .then_err("PREDIKAT_ALREADY_FINALISED");
    }

    #[test]
    fn golden_json_of_organisation_predikat_set_decodes() {
        let json = r#"{"year":2025,"period":"TW1","predikat":"BAIK","decree_ref":"800/12/2025",
            "set_by":"197001011995031001","at":"2025-04-10T03:00:00Z"}"#;
        let data: serde_json::Value = serde_json::from_str(json).unwrap();
        let e = UnitEvent::from_data("OrganisationPredikatSet", 1, &data).unwrap();
        assert_eq!(e, org_set(PredikatOrganisasi::Baik));
        assert_eq!(e.to_data(), data);
        assert_eq!(
            UnitEvent::from_data("Nope", 1, &data).unwrap_err().code(),
            "UNKNOWN_EVENT_TYPE"
        );
        assert_eq!(
            UnitEvent::from_data("OrganisationPredikatSet", 9, &data)
                .unwrap_err()
                .code(),
            "UNSUPPORTED_SCHEMA_VERSION"
        );
    }

    #[test]
    fn stream_id_uses_the_unit_code() {
        assert_eq!(stream_id(&code("pkm.banda-sakti")), "unit-PKM.BANDA-SAKTI");
    }
}

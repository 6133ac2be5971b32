//! The award stream (`award-{uuid}`): an award granted to an officer on the basis of one or
//! more evaluations, and its revocation (R24). An award for exceeding targets is refused when a
//! basis evaluation is not Di Atas Ekspektasi or the realisations do not exceed the targets, and
//! KP istimewa / prioritas bangkom need Sangat Baik annual predikat; an explicit override with a
//! reason lets it through and is recorded in the event for the inspectorate.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::codec::{DomainEvent, stream_name};
use super::config::DomainConfig;
use super::error::DomainError;
use super::plan::PlanState;
use super::values::{
    Actor, ActorId, JenisRhk, Nip, Period, PredikatPegawai, Rating, Year, required_text,
};

/// Stream category.
pub const CATEGORY: &str = "award";

/// `award-{uuid}`.
pub fn stream_id(award_id: Uuid) -> String {
    stream_name(CATEGORY, &award_id.to_string())
}

/// Kind of award (R24).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AwardKind {
    /// Tanda kehormatan.
    TandaKehormatan,
    /// Kenaikan pangkat istimewa.
    KpIstimewa,
    /// Priority competence development.
    PrioritasBangkom,
    /// Attending official events.
    AcaraResmi,
}

/// What the award recognises.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "ground", content = "note", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AwardGround {
    /// Realisations exceeding targets.
    MelampauiTarget,
    /// Sangat Baik annual predikat.
    PredikatSangatBaik,
    /// Anything else, explained.
    Lainnya(String),
}

/// Which evaluation an award rests on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvaluationRef {
    /// SKP year.
    pub year: Year,
    /// SKP sequence.
    pub seq: u32,
    /// Period.
    pub period: Period,
}

/// A basis evaluation as it stood when the award was granted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BasisEvaluation {
    /// Reference.
    #[serde(flatten)]
    pub evaluation: EvaluationRef,
    /// Hasil-kerja rating then.
    pub hasil_kerja: Rating,
    /// Predikat then.
    pub predikat: PredikatPegawai,
}

/// Events of the award stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum AwardEvent {
    /// Granted.
    AwardGranted {
        /// Id.
        award_id: Uuid,
        /// Officer.
        nip: Nip,
        /// Kind.
        kind: AwardKind,
        /// Ground.
        ground: AwardGround,
        /// Basis evaluations.
        basis: Vec<BasisEvaluation>,
        /// The checks that failed and were overridden (empty without override).
        overridden_findings: Vec<String>,
        /// Override reason, when given.
        override_reason: Option<String>,
        /// Who granted.
        by: ActorId,
        /// Server time.
        at: DateTime<Utc>,
    },
    /// Revoked.
    AwardRevoked {
        /// Why.
        reason: String,
        /// Who.
        by: ActorId,
        /// Server time.
        at: DateTime<Utc>,
    },
}

impl DomainEvent for AwardEvent {
    type State = AwardState;
    const CATEGORY: &'static str = CATEGORY;

    fn event_type(&self) -> &'static str {
        match self {
            Self::AwardGranted { .. } => "AwardGranted",
            Self::AwardRevoked { .. } => "AwardRevoked",
        }
    }

    fn evolve(state: AwardState, event: &Self) -> AwardState {
        evolve(state, event)
    }
}

/// Commands of the award stream.
#[derive(Debug, Clone, PartialEq)]
pub enum AwardCommand {
    /// Grant.
    GrantAward {
        /// New id.
        award_id: Uuid,
        /// Officer.
        nip: Nip,
        /// Kind.
        kind: AwardKind,
        /// Ground.
        ground: AwardGround,
        /// Basis evaluations.
        basis: Vec<EvaluationRef>,
        /// Override reason: grant although checks fail.
        override_reason: Option<String>,
    },
    /// Revoke.
    RevokeAward {
        /// Why.
        reason: String,
    },
}

/// Facts from outside the award stream.
#[derive(Debug, Clone, Copy)]
pub struct AwardContext<'a> {
    /// Configuration.
    pub config: &'a DomainConfig,
    /// Server time.
    pub at: DateTime<Utc>,
    /// Who acts.
    pub actor: &'a Actor,
    /// `GrantAward`: the folded SKP streams named by the basis (any order).
    pub basis_plans: &'a [&'a PlanState],
}

/// Folded state of an award.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AwardState {
    /// Granted.
    pub granted: bool,
    /// Revoked.
    pub revoked: bool,
    /// Officer.
    pub nip: Option<Nip>,
    /// Kind.
    pub kind: Option<AwardKind>,
    /// Whether it was granted by override.
    pub overridden: bool,
}

/// Applies one event.
pub fn evolve(mut s: AwardState, e: &AwardEvent) -> AwardState {
    match e {
        AwardEvent::AwardGranted {
            nip,
            kind,
            override_reason,
            ..
        } => {
            s.granted = true;
            s.nip = Some(nip.clone());
            s.kind = Some(*kind);
            s.overridden = override_reason.is_some();
        }
        AwardEvent::AwardRevoked { .. } => s.revoked = true,
    }
    s
}

/// Decides an award command. `GrantAward` needs the SKP states of its basis evaluations in
/// `ctx.basis_plans`.
pub fn decide(
    s: &AwardState,
    cmd: &AwardCommand,
    ctx: &AwardContext<'_>,
) -> Result<Vec<AwardEvent>, DomainError> {
    match cmd {
        AwardCommand::GrantAward {
            award_id,
            nip,
            kind,
            ground,
            basis,
            override_reason,
        } => {
            if s.granted {
                return Err(DomainError::AwardAlreadyGranted);
            }
            if let AwardGround::Lainnya(note) = ground {
                required_text("dasar penghargaan", note, 2000)?;
            }
            let resolved = resolve_basis(ctx.basis_plans, nip, basis)?;
            let findings = check(ctx.config, *kind, ground, &resolved);
            let override_reason = override_reason
                .as_deref()
                .filter(|r| !r.trim().is_empty())
                .map(|r| required_text("alasan pengecualian", r, 2000))
                .transpose()?;
            if !findings.is_empty() && override_reason.is_none() {
                return Err(DomainError::AwardBasisInsufficient {
                    reason: findings.join("; "),
                });
            }
            Ok(vec![AwardEvent::AwardGranted {
                award_id: *award_id,
                nip: nip.clone(),
                kind: *kind,
                ground: ground.clone(),
                basis: resolved.iter().map(|(b, _)| *b).collect(),
                overridden_findings: if override_reason.is_some() {
                    findings
                } else {
                    Vec::new()
                },
                override_reason,
                by: ctx.actor.id.clone(),
                at: ctx.at,
            }])
        }
        AwardCommand::RevokeAward { reason } => {
            if !s.granted {
                return Err(DomainError::AwardNotGranted);
            }
            if s.revoked {
                return Err(DomainError::AwardRevoked);
            }
            Ok(vec![AwardEvent::AwardRevoked {
                reason: required_text("alasan pencabutan", reason, 2000)?,
                by: ctx.actor.id.clone(),
                at: ctx.at,
            }])
        }
    }
}

fn resolve_basis<'a>(
    plans: &[&'a PlanState],
    nip: &Nip,
    basis: &[EvaluationRef],
) -> Result<Vec<(BasisEvaluation, &'a PlanState)>, DomainError> {
    let missing = DomainError::NotFound {
        what: "penilaian dasar penghargaan",
    };
    let mut out = Vec::with_capacity(basis.len());
    for r in basis {
        let plan = plans
            .iter()
            .find(|p| p.nip.as_ref() == Some(nip) && p.year == Some(r.year) && p.seq == r.seq)
            .ok_or_else(|| missing.clone())?;
        let ev = plan
            .evaluations
            .get(&r.period)
            .ok_or_else(|| missing.clone())?;
        let b = BasisEvaluation {
            evaluation: *r,
            hasil_kerja: ev.hasil_kerja,
            predikat: ev.predikat,
        };
        out.push((b, *plan));
    }
    Ok(out)
}

/// The reasons (in Bahasa Indonesia) the basis does not support the award; empty when it does.
fn check(
    config: &DomainConfig,
    kind: AwardKind,
    ground: &AwardGround,
    basis: &[(BasisEvaluation, &PlanState)],
) -> Vec<String> {
    let mut findings = Vec::new();
    if basis.is_empty() {
        findings.push("tidak ada penilaian yang menjadi dasar".to_owned());
        return findings;
    }
    if *ground == AwardGround::MelampauiTarget {
        for (b, plan) in basis {
            let label = b.evaluation.period.label();
            if b.hasil_kerja != Rating::DiAtas {
                findings.push(format!(
                    "rating hasil kerja {label} {} bukan Di Atas Ekspektasi",
                    b.evaluation.year
                ));
            }
            if config.award.require_realisations_exceed_targets
                && !exceeds_targets(plan, b.evaluation.period)
            {
                findings.push(format!(
                    "realisasi {label} {} tidak melampaui target",
                    b.evaluation.year
                ));
            }
        }
    }
    let needs_sb = matches!(kind, AwardKind::KpIstimewa | AwardKind::PrioritasBangkom)
        || *ground == AwardGround::PredikatSangatBaik;
    if needs_sb {
        let years: BTreeSet<Year> = basis
            .iter()
            .filter(|(b, _)| {
                b.evaluation.period == Period::Tahunan && b.predikat == PredikatPegawai::SangatBaik
            })
            .map(|(b, _)| b.evaluation.year)
            .collect();
        let need = config.award.sangat_baik_years_required.max(1);
        if u32::try_from(years.len()).unwrap_or(u32::MAX) < need {
            findings.push(format!(
                "predikat tahunan Sangat Baik kurang dari {need} tahun"
            ));
        }
    }
    findings
}

/// Every UTAMA indicator with a target has a realisation for `period` in the same unit that
/// reaches it, and at least one exceeds it.
pub fn exceeds_targets(plan: &PlanState, period: Period) -> bool {
    let mut any_above = false;
    for r in plan.results.values().filter(|r| r.jenis == JenisRhk::Utama) {
        for i in &r.indicators {
            let Some(target) = &i.target else { continue };
            let Some(real) = plan.realisation(i.id, period) else {
                return false;
            };
            if !real.same_unit(target) || real.value < target.value {
                return false;
            }
            any_above |= real.value > target.value;
        }
    }
    any_above
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::officer::tests::{BOSS, ME, nip, post};
    use crate::domain::plan::{Indicator, PlanEvent, ResultPlan};
    use crate::domain::testing::given;
    use crate::domain::values::{Aspek, Milli, Pendekatan, PositionKind, Quantity, Role};

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }
    fn y() -> Year {
        Year::new(2025).unwrap()
    }
    fn qty(v: i64) -> Quantity {
        Quantity::new(Milli::whole(v).unwrap(), "Aplikasi").unwrap()
    }

    /// An SKP with one UTAMA indicator (target 4), a TW4 report of `realised` and an annual
    /// evaluation with `hk` × `pk`.
    fn plan(realised: i64, hk: Rating, pk: Rating) -> PlanState {
        let ind = Uuid::from_u128(2);
        PlanEvent::fold(&[
            PlanEvent::PlanDrafted {
                nip: nip(ME),
                year: y(),
                seq: 1,
                approach: Pendekatan::Kuantitatif,
                post: post("DISKOMINFO", PositionKind::Pelaksana),
                by: ActorId::Nip(nip(ME)),
                at: t("2025-01-05T00:00:00Z"),
            },
            PlanEvent::ResultPlanned {
                result: ResultPlan {
                    id: Uuid::from_u128(1),
                    jenis: JenisRhk::Utama,
                    text: "Aplikasi".into(),
                    superior_result: Some("x".into()),
                    perspektif: None,
                    indicators: vec![Indicator {
                        id: ind,
                        text: "Jumlah aplikasi".into(),
                        aspek: Some(Aspek::Kuantitas),
                        target: Some(qty(4)),
                    }],
                },
                at: t("2025-01-05T00:00:00Z"),
            },
            PlanEvent::PlanSubmitted {
                at: t("2025-01-06T00:00:00Z"),
            },
            PlanEvent::PlanApproved {
                by: ActorId::Nip(nip(BOSS)),
                late: false,
                at: t("2025-01-07T00:00:00Z"),
            },
            PlanEvent::ReportFiled {
                report_id: Uuid::from_u128(3),
                indicator_id: ind,
                period: Period::Tw4,
                value: qty(realised),
                evidence: vec![],
                note: None,
                client_time: None,
                late: false,
                at: t("2025-12-20T00:00:00Z"),
            },
            PlanEvent::EvaluationRecorded {
                period: Period::Tahunan,
                hasil_kerja: hk,
                perilaku: pk,
                predikat: crate::domain::rules::predikat(hk, pk),
                suggested_hasil_kerja: None,
                result_ratings: vec![],
                behaviour_feedback: vec![],
                note: None,
                by: ActorId::Nip(nip(BOSS)),
                at: t("2026-01-10T00:00:00Z"),
            },
        ])
    }

    fn grant(kind: AwardKind, ground: AwardGround, over: Option<&str>) -> AwardCommand {
        AwardCommand::GrantAward {
            award_id: Uuid::from_u128(42),
            nip: nip(ME),
            kind,
            ground,
            basis: vec![EvaluationRef {
                year: y(),
                seq: 1,
                period: Period::Tahunan,
            }],
            override_reason: over.map(str::to_owned),
        }
    }

    fn run(
        s: &AwardState,
        cmd: AwardCommand,
        p: &PlanState,
    ) -> Result<Vec<AwardEvent>, DomainError> {
        let cfg = DomainConfig::default();
        let actor = Actor::staff("bkpsdm", Role::PengelolaKinerja);
        let plans = [p];
        let ctx = AwardContext {
            config: &cfg,
            at: t("2026-02-01T00:00:00Z"),
            actor: &actor,
            basis_plans: &plans,
        };
        decide(s, &cmd, &ctx)
    }

    #[test]
    fn an_award_for_exceeding_targets_rests_on_di_atas_and_realisations_above_target() {
        let p = plan(5, Rating::DiAtas, Rating::DiAtas);
        let events = given::<AwardEvent>([])
            .when(|s| {
                run(
                    s,
                    grant(AwardKind::AcaraResmi, AwardGround::MelampauiTarget, None),
                    &p,
                )
            })
            .then_ok();
        assert!(
            matches!(&events[0], AwardEvent::AwardGranted { override_reason: None, basis, .. } if basis.len() == 1)
        );
    }

    #[test]
    fn an_award_for_exceeding_targets_without_di_atas_is_refused() {
        let p = plan(5, Rating::Sesuai, Rating::DiAtas);
        given::<AwardEvent>([])
            .when(|s| {
                run(
                    s,
                    grant(AwardKind::AcaraResmi, AwardGround::MelampauiTarget, None),
                    &p,
                )
            })
            .then_err("AWARD_BASIS_INSUFFICIENT");
    }

    #[test]
    fn an_award_for_exceeding_targets_when_realisation_only_meets_target_is_refused() {
        let p = plan(4, Rating::DiAtas, Rating::DiAtas);
        given::<AwardEvent>([])
            .when(|s| {
                run(
                    s,
                    grant(AwardKind::AcaraResmi, AwardGround::MelampauiTarget, None),
                    &p,
                )
            })
            .then_err("AWARD_BASIS_INSUFFICIENT");
    }

    #[test]
    fn an_override_with_a_reason_is_recorded() {
        let p = plan(4, Rating::Sesuai, Rating::Sesuai);
        let events = given::<AwardEvent>([])
            .when(|s| {
                run(
                    s,
                    grant(
                        AwardKind::AcaraResmi,
                        AwardGround::MelampauiTarget,
                        Some("Keputusan Wali Kota"),
                    ),
                    &p,
                )
            })
            .then_ok();
        let AwardEvent::AwardGranted {
            overridden_findings,
            override_reason,
            ..
        } = &events[0]
        else {
            panic!("wrong event")
        };
        assert_eq!(overridden_findings.len(), 2);
        assert_eq!(override_reason.as_deref(), Some("Keputusan Wali Kota"));
    }

    #[test]
    fn kp_istimewa_needs_a_sangat_baik_annual_predikat() {
        let baik = plan(5, Rating::DiAtas, Rating::Sesuai);
        given::<AwardEvent>([])
            .when(|s| {
                run(
                    s,
                    grant(AwardKind::KpIstimewa, AwardGround::PredikatSangatBaik, None),
                    &baik,
                )
            })
            .then_err("AWARD_BASIS_INSUFFICIENT");
        let sb = plan(5, Rating::DiAtas, Rating::DiAtas);
        given::<AwardEvent>([])
            .when(|s| {
                run(
                    s,
                    grant(AwardKind::KpIstimewa, AwardGround::PredikatSangatBaik, None),
                    &sb,
                )
            })
            .then_ok();
    }

    #[test]
    fn a_missing_basis_evaluation_is_reported() {
        let p = PlanState::default();
        given::<AwardEvent>([])
            .when(|s| {
                run(
                    s,
                    grant(AwardKind::AcaraResmi, AwardGround::MelampauiTarget, None),
                    &p,
                )
            })
            .then_err("NOT_FOUND");
    }

    #[test]
    fn an_award_is_revoked_once() {
        let p = plan(5, Rating::DiAtas, Rating::DiAtas);
        let granted = run(
            &AwardState::default(),
            grant(AwardKind::AcaraResmi, AwardGround::MelampauiTarget, None),
            &p,
        )
        .unwrap();
        let revoke = AwardCommand::RevokeAward {
            reason: "Hukuman disiplin".into(),
        };
        let mut h = granted.clone();
        h.extend(
            given(granted)
                .when(|s| run(s, revoke.clone(), &p))
                .then_ok(),
        );
        given(h)
            .when(|s| run(s, revoke.clone(), &p))
            .then_err("AWARD_REVOKED");
        given::<AwardEvent>([])
            .when(|s| run(s, revoke, &p))
            .then_err("AWARD_NOT_GRANTED");
    }

    #[test]
    fn golden_json_of_award_granted_decodes() {
        let json = r#"{"award_id":"00000000-0000-0000-0000-00000000002a","nip":"198503142010011002",
          "kind":"KP_ISTIMEWA","ground":{"ground":"PREDIKAT_SANGAT_BAIK"},
          "basis":[{"year":2025,"seq":1,"period":"TAHUNAN","hasil_kerja":"DI_ATAS","predikat":"SANGAT_BAIK"}],
          "overridden_findings":[],"override_reason":null,"by":{"staff":"bkpsdm"},"at":"2026-02-01T00:00:00Z"}"#;
        let data: serde_json::Value = serde_json::from_str(json).unwrap();
        let e = AwardEvent::from_data("AwardGranted", 1, &data).unwrap();
        assert_eq!(e.to_data(), data);
        assert_eq!(
            stream_id(Uuid::from_u128(42)),
            "award-00000000-0000-0000-0000-00000000002a"
        );
    }
}

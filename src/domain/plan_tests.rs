//! Given/when/then tests of the SKP decider.

use super::*;
use crate::domain::officer::tests::{BIG_BOSS, BOSS, ME, NEW_BOSS, date, nip, officer_state, post};
use crate::domain::testing::given;
use crate::domain::unit::UnitEvent;
use crate::domain::values::{Milli, PredikatOrganisasi, UnitCode};

fn t(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}
fn y() -> Year {
    Year::new(2025).unwrap()
}
fn id(n: u128) -> Uuid {
    Uuid::from_u128(n)
}
const RESULT: u128 = 1;
const IND: u128 = 2;
const REPORT: u128 = 3;

fn me() -> Actor {
    Actor::officer(nip(ME), Role::Pegawai)
}
fn boss() -> Actor {
    Actor::officer(nip(BOSS), Role::Penilai)
}
fn new_boss() -> Actor {
    Actor::officer(nip(NEW_BOSS), Role::Penilai)
}
fn big_boss() -> Actor {
    Actor::officer(nip(BIG_BOSS), Role::AtasanPenilai)
}

fn qty(v: i64, unit: &str) -> Quantity {
    Quantity::new(Milli::whole(v).unwrap(), unit).unwrap()
}

fn result() -> ResultPlan {
    ResultPlan {
        id: id(RESULT),
        jenis: JenisRhk::Utama,
        text: "Tersedianya layanan aplikasi".into(),
        superior_result: Some("Meningkatnya layanan digital".into()),
        perspektif: None,
        indicators: vec![Indicator {
            id: id(IND),
            text: "Jumlah aplikasi yang dikembangkan".into(),
            aspek: Some(Aspek::Kuantitas),
            target: Some(qty(4, "Aplikasi")),
        }],
    }
}

fn drafted() -> PlanEvent {
    PlanEvent::PlanDrafted {
        nip: nip(ME),
        year: y(),
        seq: 1,
        approach: Pendekatan::Kuantitatif,
        post: post("DISKOMINFO", PositionKind::Pelaksana),
        by: me().id,
        at: t("2025-01-05T02:00:00Z"),
    }
}

fn approved_history() -> Vec<PlanEvent> {
    vec![
        drafted(),
        PlanEvent::ResultPlanned {
            result: result(),
            at: t("2025-01-05T03:00:00Z"),
        },
        PlanEvent::PlanSubmitted {
            at: t("2025-01-06T02:00:00Z"),
        },
        PlanEvent::PlanApproved {
            by: boss().id,
            late: false,
            at: t("2025-01-07T02:00:00Z"),
        },
    ]
}

fn run(
    s: &PlanState,
    cmd: PlanCommand,
    actor: &Actor,
    at: &str,
) -> Result<Vec<PlanEvent>, DomainError> {
    let cfg = DomainConfig::default();
    let officer = officer_state();
    let ctx = PlanContext {
        config: &cfg,
        at: t(at),
        actor,
        officer: &officer,
        unit: None,
    };
    decide(s, &cmd, &ctx)
}

fn report(value: i64, unit: &str) -> Realisation {
    Realisation {
        value: qty(value, unit),
        evidence: vec![
            Evidence::new("https://files/x.pdf", &"ab".repeat(32), "application/pdf").unwrap(),
        ],
        note: None,
    }
}

fn file(period: Period, value: i64) -> PlanCommand {
    PlanCommand::FileReport {
        report_id: id(REPORT),
        indicator_id: id(IND),
        period,
        realisation: report(value, "Aplikasi"),
        client_time: None,
    }
}

fn evaluate(period: Period, hk: Rating, pk: Rating) -> PlanCommand {
    PlanCommand::RecordEvaluation {
        period,
        hasil_kerja: hk,
        perilaku: pk,
        result_ratings: vec![],
        behaviour_feedback: vec![],
        note: None,
    }
}

fn evaluated(period: Period, at: &str) -> PlanEvent {
    PlanEvent::EvaluationRecorded {
        period,
        hasil_kerja: Rating::Sesuai,
        perilaku: Rating::Sesuai,
        predikat: PredikatPegawai::Baik,
        suggested_hasil_kerja: None,
        result_ratings: vec![],
        behaviour_feedback: vec![],
        note: None,
        by: boss().id,
        at: t(at),
    }
}

// --- planning ------------------------------------------------------------------------------

#[test]
fn an_officer_drafts_their_own_plan_with_all_seven_values() {
    let s = given::<PlanEvent>([])
        .when(|s| {
            let cmd = PlanCommand::DraftPlan {
                nip: nip(ME),
                year: y(),
                seq: 1,
                approach: Pendekatan::Kuantitatif,
            };
            run(s, cmd, &me(), "2025-01-05T02:00:00Z")
        })
        .then([drafted()]);
    assert_eq!(s.behaviours.len(), 7);
}

#[test]
fn somebody_else_cannot_draft_an_officers_plan() {
    given::<PlanEvent>([])
        .when(|s| {
            let cmd = PlanCommand::DraftPlan {
                nip: nip(ME),
                year: y(),
                seq: 1,
                approach: Pendekatan::Kuantitatif,
            };
            run(s, cmd, &boss(), "2025-01-05T02:00:00Z")
        })
        .then_err("NOT_OWN_RECORD");
}

#[test]
fn an_officer_on_study_assignment_is_exempt_from_planning() {
    use crate::domain::officer::{OfficerEvent, OfficerStatus};
    let officer = OfficerEvent::evolve(
        officer_state(),
        &OfficerEvent::OfficerStatusChanged {
            status: OfficerStatus::TugasBelajar,
            effective: date("2025-01-02"),
            reason: "SK".into(),
            at: t("2025-01-02T00:00:00Z"),
        },
    );
    let cfg = DomainConfig::default();
    let actor = me();
    let ctx = PlanContext {
        config: &cfg,
        at: t("2025-01-05T02:00:00Z"),
        actor: &actor,
        officer: &officer,
        unit: None,
    };
    let cmd = PlanCommand::DraftPlan {
        nip: nip(ME),
        year: y(),
        seq: 1,
        approach: Pendekatan::Kuantitatif,
    };
    given::<PlanEvent>([])
        .when(|s| decide(s, &cmd, &ctx))
        .then_err("OFFICER_EXEMPT");
}

#[test]
fn a_result_needs_an_indicator_and_a_quantitative_target() {
    let mut no_ind = result();
    no_ind.indicators.clear();
    given([drafted()])
        .when(|s| {
            run(
                s,
                PlanCommand::PlanResult { result: no_ind },
                &me(),
                "2025-01-05T03:00:00Z",
            )
        })
        .then_err("RESULT_WITHOUT_INDICATOR");
    let mut no_target = result();
    no_target.indicators[0].target = None;
    given([drafted()])
        .when(|s| {
            run(
                s,
                PlanCommand::PlanResult { result: no_target },
                &me(),
                "2025-01-05T03:00:00Z",
            )
        })
        .then_err("INDICATOR_NEEDS_TARGET");
    let mut no_superior = result();
    no_superior.superior_result = None;
    given([drafted()])
        .when(|s| {
            run(
                s,
                PlanCommand::PlanResult {
                    result: no_superior,
                },
                &me(),
                "2025-01-05T03:00:00Z",
            )
        })
        .then_err("MISSING_SUPERIOR_RESULT");
}

#[test]
fn the_plan_goes_from_draft_to_submitted_to_approved() {
    let h = approved_history();
    given(h[..2].to_vec())
        .when(|s| run(s, PlanCommand::SubmitPlan, &me(), "2025-01-06T02:00:00Z"))
        .then([h[2].clone()]);
    let s = given(h[..3].to_vec())
        .when(|s| run(s, PlanCommand::ApprovePlan, &boss(), "2025-01-07T02:00:00Z"))
        .then([h[3].clone()]);
    assert_eq!(s.status, PlanStatus::Approved);
}

#[test]
fn an_approval_after_31_january_is_marked_late() {
    let h = approved_history();
    let events = given(h[..3].to_vec())
        .when(|s| run(s, PlanCommand::ApprovePlan, &boss(), "2025-02-01T02:00:00Z"))
        .then_ok();
    assert!(matches!(
        &events[0],
        PlanEvent::PlanApproved { late: true, .. }
    ));
}

#[test]
fn the_pengelola_kinerja_approves_only_a_plan_they_drafted_on_behalf() {
    let pengelola = Actor::staff("bkpsdm", Role::PengelolaKinerja);
    let h = approved_history();
    given(h[..3].to_vec())
        .when(|s| {
            run(
                s,
                PlanCommand::ApprovePlan,
                &pengelola,
                "2025-01-20T02:00:00Z",
            )
        })
        .then_err("NOT_ASSIGNED_APPRAISER");
    let mut on_behalf = h[..3].to_vec();
    if let PlanEvent::PlanDrafted { by, .. } = &mut on_behalf[0] {
        *by = pengelola.id.clone();
    }
    given(on_behalf)
        .when(|s| {
            run(
                s,
                PlanCommand::ApprovePlan,
                &pengelola,
                "2025-01-20T02:00:00Z",
            )
        })
        .then([PlanEvent::PlanApproved {
            by: pengelola.id.clone(),
            late: false,
            at: t("2025-01-20T02:00:00Z"),
        }]);
}

#[test]
fn a_plan_without_a_main_result_cannot_be_submitted() {
    given([drafted()])
        .when(|s| run(s, PlanCommand::SubmitPlan, &me(), "2025-01-06T02:00:00Z"))
        .then_err("PLAN_HAS_NO_MAIN_RESULT");
}

#[test]
fn only_the_assigned_appraiser_approves_or_returns() {
    let h = approved_history();
    given(h[..3].to_vec())
        .when(|s| {
            run(
                s,
                PlanCommand::ApprovePlan,
                &new_boss(),
                "2025-01-07T02:00:00Z",
            )
        })
        .then_err("NOT_ASSIGNED_APPRAISER");
    let s = given(h[..3].to_vec())
        .when(|s| {
            run(
                s,
                PlanCommand::ReturnPlan {
                    reason: "Target terlalu rendah".into(),
                },
                &boss(),
                "2025-01-07T02:00:00Z",
            )
        })
        .then([PlanEvent::PlanReturned {
            reason: "Target terlalu rendah".into(),
            by: boss().id,
            at: t("2025-01-07T02:00:00Z"),
        }]);
    assert_eq!(s.status, PlanStatus::Draft);
}

#[test]
fn an_approved_plan_is_changed_only_after_a_revision() {
    given(approved_history())
        .when(|s| {
            run(
                s,
                PlanCommand::PlanResult { result: result() },
                &me(),
                "2025-02-01T02:00:00Z",
            )
        })
        .then_err("PLAN_NOT_EDITABLE");
    let s = given(approved_history())
        .when(|s| {
            run(
                s,
                PlanCommand::RevisePlan {
                    reason: "Tugas baru".into(),
                },
                &me(),
                "2025-02-01T02:00:00Z",
            )
        })
        .then([PlanEvent::PlanRevised {
            reason: "Tugas baru".into(),
            by: me().id,
            at: t("2025-02-01T02:00:00Z"),
        }]);
    assert_eq!(s.status, PlanStatus::Draft);
}

#[test]
fn the_appraiser_sets_a_behaviour_expectation() {
    let cmd = PlanCommand::SetBehaviourExpectation {
        value: BerAkhlak::Kolaboratif,
        expectation: "Aktif membantu tim lain".into(),
    };
    given([drafted()])
        .when(|s| run(s, cmd.clone(), &boss(), "2025-01-05T04:00:00Z"))
        .then([PlanEvent::BehaviourExpectationSet {
            value: BerAkhlak::Kolaboratif,
            expectation: "Aktif membantu tim lain".into(),
            at: t("2025-01-05T04:00:00Z"),
        }]);
    given([drafted()])
        .when(|s| run(s, cmd, &me(), "2025-01-05T04:00:00Z"))
        .then_err("NOT_ASSIGNED_APPRAISER");
}

// --- reports -------------------------------------------------------------------------------

#[test]
fn an_officer_files_a_report_on_time() {
    let events = given(approved_history())
        .when(|s| run(s, file(Period::Tw1, 1), &me(), "2025-03-20T02:00:00Z"))
        .then_ok();
    assert!(matches!(
        &events[0],
        PlanEvent::ReportFiled { late: false, .. }
    ));
}

#[test]
fn a_report_after_the_deadline_is_accepted_and_marked_late() {
    let events = given(approved_history())
        .when(|s| run(s, file(Period::Tw1, 1), &me(), "2025-04-11T02:00:00Z"))
        .then_ok();
    assert!(matches!(
        &events[0],
        PlanEvent::ReportFiled { late: true, .. }
    ));
    let events = given(approved_history())
        .when(|s| run(s, file(Period::Tw1, 1), &me(), "2025-04-10T02:00:00Z"))
        .then_ok();
    assert!(matches!(
        &events[0],
        PlanEvent::ReportFiled { late: false, .. }
    ));
}

#[test]
fn officers_file_only_their_own_reports() {
    given(approved_history())
        .when(|s| run(s, file(Period::Tw1, 1), &boss(), "2025-03-20T02:00:00Z"))
        .then_err("NOT_OWN_RECORD");
}

#[test]
fn nothing_is_reported_against_an_unapproved_plan() {
    let h = approved_history();
    given(h[..3].to_vec())
        .when(|s| run(s, file(Period::Tw1, 1), &me(), "2025-03-20T02:00:00Z"))
        .then_err("PLAN_NOT_APPROVED");
}

#[test]
fn nothing_is_reported_against_a_closed_period_or_plan() {
    let mut h = approved_history();
    h.push(evaluated(Period::Tw1, "2025-04-05T02:00:00Z"));
    given(h.clone())
        .when(|s| run(s, file(Period::Tw1, 1), &me(), "2025-04-06T02:00:00Z"))
        .then_err("PERIOD_CLOSED");
    h.push(PlanEvent::PlanClosed {
        reason: CloseReason::Transfer,
        effective: date("2025-05-01"),
        at: t("2025-05-01T02:00:00Z"),
    });
    given(h)
        .when(|s| run(s, file(Period::Tw2, 1), &me(), "2025-05-02T02:00:00Z"))
        .then_err("PLAN_CLOSED");
}

#[test]
fn a_period_that_has_not_started_cannot_be_reported() {
    given(approved_history())
        .when(|s| run(s, file(Period::Tw3, 1), &me(), "2025-03-20T02:00:00Z"))
        .then_err("PERIOD_NOT_STARTED");
}

#[test]
fn the_realisation_unit_must_match_the_target_unit() {
    let cmd = PlanCommand::FileReport {
        report_id: id(REPORT),
        indicator_id: id(IND),
        period: Period::Tw1,
        realisation: report(1, "Dokumen"),
        client_time: None,
    };
    given(approved_history())
        .when(|s| run(s, cmd, &me(), "2025-03-20T02:00:00Z"))
        .then_err("UNIT_MISMATCH");
}

#[test]
fn a_device_time_in_the_future_is_rejected_beyond_the_skew() {
    let cmd = |ct: &str| PlanCommand::FileReport {
        report_id: id(REPORT),
        indicator_id: id(IND),
        period: Period::Tw1,
        realisation: report(1, "Aplikasi"),
        client_time: Some(t(ct)),
    };
    given(approved_history())
        .when(|s| {
            run(
                s,
                cmd("2025-03-20T02:10:00Z"),
                &me(),
                "2025-03-20T02:00:00Z",
            )
        })
        .then_err("DATE_IN_FUTURE");
    given(approved_history())
        .when(|s| {
            run(
                s,
                cmd("2025-03-20T02:04:00Z"),
                &me(),
                "2025-03-20T02:00:00Z",
            )
        })
        .then_ok();
}

#[test]
fn reports_are_corrected_and_withdrawn_with_a_reason() {
    let mut h = approved_history();
    h.extend(
        run(
            &PlanEvent::fold(&h),
            file(Period::Tw1, 1),
            &me(),
            "2025-03-20T02:00:00Z",
        )
        .unwrap(),
    );
    let s = given(h.clone())
        .when(|s| {
            let cmd = PlanCommand::CorrectReport {
                report_id: id(REPORT),
                realisation: report(2, "Aplikasi"),
                reason: "Salah ketik".into(),
            };
            run(s, cmd, &me(), "2025-03-21T02:00:00Z")
        })
        .then([PlanEvent::ReportCorrected {
            report_id: id(REPORT),
            value: qty(2, "Aplikasi"),
            evidence: report(2, "Aplikasi").evidence,
            note: None,
            reason: "Salah ketik".into(),
            at: t("2025-03-21T02:00:00Z"),
        }]);
    assert_eq!(
        s.realisation(id(IND), Period::Tw1),
        Some(&qty(2, "Aplikasi"))
    );
    h.push(PlanEvent::ReportWithdrawn {
        report_id: id(REPORT),
        reason: "Duplikat".into(),
        at: t("2025-03-22T02:00:00Z"),
    });
    given(h)
        .when(|s| {
            run(
                s,
                PlanCommand::WithdrawReport {
                    report_id: id(REPORT),
                    reason: "lagi".into(),
                },
                &me(),
                "2025-03-23T02:00:00Z",
            )
        })
        .then_err("REPORT_WITHDRAWN");
}

#[test]
fn the_appraiser_gives_feedback_on_an_indicator() {
    let cmd = PlanCommand::GiveFeedback {
        feedback_id: id(9),
        about: FeedbackTarget::Indicator(id(IND)),
        period: Some(Period::Tw1),
        text: "Pimpinan: menurut saya, sudah baik".into(),
    };
    given(approved_history())
        .when(|s| run(s, cmd.clone(), &boss(), "2025-02-10T02:00:00Z"))
        .then([PlanEvent::FeedbackGiven {
            feedback_id: id(9),
            about: FeedbackTarget::Indicator(id(IND)),
            period: Some(Period::Tw1),
            text: "Pimpinan: menurut saya, sudah baik".into(),
            by: boss().id,
            at: t("2025-02-10T02:00:00Z"),
        }]);
    given(approved_history())
        .when(|s| run(s, cmd, &me(), "2025-02-10T02:00:00Z"))
        .then_err("NOT_ASSIGNED_APPRAISER");
}

#[test]
fn a_dialogue_cannot_be_dated_in_the_future() {
    let cmd = PlanCommand::HoldDialogue {
        dialogue_id: id(8),
        held_on: date("2025-02-12"),
        participants: vec![me().id, boss().id],
        summary: "Klarifikasi ekspektasi".into(),
    };
    given(approved_history())
        .when(|s| run(s, cmd, &me(), "2025-02-10T02:00:00Z"))
        .then_err("DATE_IN_FUTURE");
}

// --- evaluation ----------------------------------------------------------------------------

#[test]
fn the_appraiser_assigned_at_the_period_end_evaluates() {
    let events = given(approved_history())
        .when(|s| {
            run(
                s,
                evaluate(Period::Tw1, Rating::DiAtas, Rating::DiAtas),
                &boss(),
                "2025-07-03T02:00:00Z",
            )
        })
        .then_ok();
    assert!(matches!(
        &events[0],
        PlanEvent::EvaluationRecorded {
            predikat: PredikatPegawai::SangatBaik,
            ..
        }
    ));
    given(approved_history())
        .when(|s| {
            run(
                s,
                evaluate(Period::Tw1, Rating::DiAtas, Rating::DiAtas),
                &new_boss(),
                "2025-07-03T02:00:00Z",
            )
        })
        .then_err("NOT_ASSIGNED_APPRAISER");
    given(approved_history())
        .when(|s| {
            run(
                s,
                evaluate(Period::Tw3, Rating::Sesuai, Rating::Sesuai),
                &boss(),
                "2025-10-03T02:00:00Z",
            )
        })
        .then_err("NOT_ASSIGNED_APPRAISER");
    given(approved_history())
        .when(|s| {
            run(
                s,
                evaluate(Period::Tw3, Rating::Sesuai, Rating::Sesuai),
                &new_boss(),
                "2025-10-03T02:00:00Z",
            )
        })
        .then_ok();
}

#[test]
fn the_suggested_rating_is_stored_beside_the_appraisers() {
    let cmd = PlanCommand::RecordEvaluation {
        period: Period::Tw1,
        hasil_kerja: Rating::Sesuai,
        perilaku: Rating::Sesuai,
        result_ratings: vec![ResultRating {
            result_id: id(RESULT),
            rating: Rating::DiAtas,
        }],
        behaviour_feedback: vec![],
        note: None,
    };
    let events = given(approved_history())
        .when(|s| run(s, cmd, &boss(), "2025-04-03T02:00:00Z"))
        .then_ok();
    assert!(matches!(
        &events[0],
        PlanEvent::EvaluationRecorded {
            hasil_kerja: Rating::Sesuai,
            suggested_hasil_kerja: Some(Rating::DiAtas),
            ..
        }
    ));
}

#[test]
fn a_period_is_evaluated_once_and_then_amended_with_a_reason() {
    let mut h = approved_history();
    h.push(evaluated(Period::Tw1, "2025-04-05T02:00:00Z"));
    given(h.clone())
        .when(|s| {
            run(
                s,
                evaluate(Period::Tw1, Rating::DiAtas, Rating::DiAtas),
                &boss(),
                "2025-04-06T02:00:00Z",
            )
        })
        .then_err("EVALUATION_EXISTS");
    let cmd = PlanCommand::AmendEvaluation {
        period: Period::Tw1,
        hasil_kerja: Rating::DiAtas,
        perilaku: Rating::Sesuai,
        reason: "Bukti baru".into(),
    };
    given(h)
        .when(|s| run(s, cmd, &boss(), "2025-04-06T02:00:00Z"))
        .then([PlanEvent::EvaluationAmended {
            period: Period::Tw1,
            hasil_kerja: Rating::DiAtas,
            perilaku: Rating::Sesuai,
            predikat: PredikatPegawai::Baik,
            reason: "Bukti baru".into(),
            by: boss().id,
            at: t("2025-04-06T02:00:00Z"),
        }]);
}

#[test]
fn annual_only_granularity_refuses_quarterly_evaluations() {
    let cfg = DomainConfig {
        evaluation_granularity: EvaluationGranularity::AnnualOnly,
        ..DomainConfig::default()
    };
    let officer = officer_state();
    let actor = boss();
    let ctx = PlanContext {
        config: &cfg,
        at: t("2025-04-03T02:00:00Z"),
        actor: &actor,
        officer: &officer,
        unit: None,
    };
    given(approved_history())
        .when(|s| {
            decide(
                s,
                &evaluate(Period::Tw1, Rating::Sesuai, Rating::Sesuai),
                &ctx,
            )
        })
        .then_err("PERIOD_NOT_EVALUATED");
}

#[test]
fn a_unit_heads_rating_follows_the_organisation_predikat() {
    let unit = UnitEvent::fold(&[
        UnitEvent::UnitRegistered {
            code: UnitCode::parse("DISKOMINFO").unwrap(),
            name: "Dinas Kominfo".into(),
            kind: crate::domain::unit::UnitKind::Dinas,
            parent: None,
            at: t("2025-01-01T00:00:00Z"),
        },
        UnitEvent::UnitHeadAssigned {
            head: nip(ME),
            effective_from: date("2025-01-01"),
            at: t("2025-01-01T00:00:00Z"),
        },
        UnitEvent::OrganisationPredikatSet {
            year: y(),
            period: Period::Tw1,
            predikat: PredikatOrganisasi::Istimewa,
            decree_ref: "x".into(),
            set_by: nip(BIG_BOSS),
            at: t("2025-04-01T00:00:00Z"),
        },
    ]);
    let cfg = DomainConfig::default();
    let officer = officer_state();
    let actor = boss();
    let ctx = PlanContext {
        config: &cfg,
        at: t("2025-04-03T02:00:00Z"),
        actor: &actor,
        officer: &officer,
        unit: Some(&unit),
    };
    given(approved_history())
        .when(|s| {
            decide(
                s,
                &evaluate(Period::Tw1, Rating::Sesuai, Rating::Sesuai),
                &ctx,
            )
        })
        .then_err("UNIT_HEAD_RATING_MISMATCH");
    given(approved_history())
        .when(|s| {
            decide(
                s,
                &evaluate(Period::Tw1, Rating::DiAtas, Rating::Sesuai),
                &ctx,
            )
        })
        .then_ok();
    given(approved_history())
        .when(|s| {
            decide(
                s,
                &evaluate(Period::Tw2, Rating::DiAtas, Rating::Sesuai),
                &PlanContext {
                    at: t("2025-07-03T02:00:00Z"),
                    ..ctx
                },
            )
        })
        .then_err("ORGANISATION_PREDIKAT_MISSING");
}

#[test]
fn a_plan_closed_before_approval_cannot_be_evaluated() {
    let h = vec![
        drafted(),
        PlanEvent::PlanClosed {
            reason: CloseReason::Transfer,
            effective: date("2025-02-01"),
            at: t("2025-02-01T02:00:00Z"),
        },
    ];
    given(h)
        .when(|s| {
            run(
                s,
                evaluate(Period::Tw1, Rating::Sesuai, Rating::Sesuai),
                &boss(),
                "2025-04-03T02:00:00Z",
            )
        })
        .then_err("PLAN_NOT_APPROVED");
}

#[test]
fn a_plan_closed_by_a_transfer_is_evaluated_by_the_appraiser_at_the_closing_date() {
    let mut h = approved_history();
    h.push(PlanEvent::PlanClosed {
        reason: CloseReason::Transfer,
        effective: date("2025-05-15"),
        at: t("2025-05-15T02:00:00Z"),
    });
    given(h.clone())
        .when(|s| {
            run(
                s,
                evaluate(Period::Tw2, Rating::Sesuai, Rating::Sesuai),
                &boss(),
                "2025-07-05T02:00:00Z",
            )
        })
        .then_ok();
    given(h)
        .when(|s| {
            run(
                s,
                evaluate(Period::Tw2, Rating::Sesuai, Rating::Sesuai),
                &new_boss(),
                "2025-07-05T02:00:00Z",
            )
        })
        .then_err("NOT_ASSIGNED_APPRAISER");
}

// --- objections ----------------------------------------------------------------------------

fn objection_history() -> Vec<PlanEvent> {
    let mut h = approved_history();
    h.push(evaluated(Period::Tw1, "2025-04-05T02:00:00Z"));
    h
}

#[test]
fn an_objection_within_14_days_goes_to_the_atasan() {
    given(objection_history())
        .when(|s| {
            run(
                s,
                PlanCommand::FileObjection {
                    period: Period::Tw1,
                    reason: "Bukti belum dinilai".into(),
                },
                &me(),
                "2025-04-19T02:00:00Z",
            )
        })
        .then([PlanEvent::ObjectionFiled {
            period: Period::Tw1,
            reason: "Bukti belum dinilai".into(),
            addressed_to: big_boss().id,
            at: t("2025-04-19T02:00:00Z"),
        }]);
}

#[test]
fn an_objection_after_14_days_is_rejected() {
    given(objection_history())
        .when(|s| {
            run(
                s,
                PlanCommand::FileObjection {
                    period: Period::Tw1,
                    reason: "x".into(),
                },
                &me(),
                "2025-04-19T02:00:01Z",
            )
        })
        .then_err("OBJECTION_WINDOW_CLOSED");
}

#[test]
fn only_the_atasan_decides_and_the_decision_is_final() {
    let mut h = objection_history();
    h.push(PlanEvent::ObjectionFiled {
        period: Period::Tw1,
        reason: "x".into(),
        addressed_to: big_boss().id,
        at: t("2025-04-10T02:00:00Z"),
    });
    let decide_cmd = PlanCommand::DecideObjection {
        period: Period::Tw1,
        outcome: ObjectionOutcome::UpheldChanged {
            hasil_kerja: Rating::DiAtas,
            perilaku: Rating::DiAtas,
        },
        reason: "Bukti mendukung".into(),
    };
    given(h.clone())
        .when(|s| run(s, decide_cmd.clone(), &boss(), "2025-04-12T02:00:00Z"))
        .then_err("NOT_ATASAN_PENILAI");
    let s = given(h.clone())
        .when(|s| run(s, decide_cmd.clone(), &big_boss(), "2025-04-12T02:00:00Z"))
        .then([PlanEvent::ObjectionDecided {
            period: Period::Tw1,
            outcome: ObjectionOutcome::UpheldChanged {
                hasil_kerja: Rating::DiAtas,
                perilaku: Rating::DiAtas,
            },
            predikat: PredikatPegawai::SangatBaik,
            reason: "Bukti mendukung".into(),
            by: big_boss().id,
            at: t("2025-04-12T02:00:00Z"),
        }]);
    assert_eq!(
        s.evaluations[&Period::Tw1].predikat,
        PredikatPegawai::SangatBaik
    );
    h.extend(
        run(
            &PlanEvent::fold(&h),
            decide_cmd,
            &big_boss(),
            "2025-04-12T02:00:00Z",
        )
        .unwrap(),
    );
    given(h.clone())
        .when(|s| {
            run(
                s,
                PlanCommand::FileObjection {
                    period: Period::Tw1,
                    reason: "lagi".into(),
                },
                &me(),
                "2025-04-13T02:00:00Z",
            )
        })
        .then_err("OBJECTION_FINAL");
    given(h)
        .when(|s| {
            let cmd = PlanCommand::AmendEvaluation {
                period: Period::Tw1,
                hasil_kerja: Rating::Sesuai,
                perilaku: Rating::Sesuai,
                reason: "x".into(),
            };
            run(s, cmd, &boss(), "2025-04-13T02:00:00Z")
        })
        .then_err("OBJECTION_FINAL");
}

// --- serialisation -------------------------------------------------------------------------

#[test]
fn golden_json_of_report_filed_decodes() {
    let json = r#"{
        "report_id": "00000000-0000-0000-0000-000000000003",
        "indicator_id": "00000000-0000-0000-0000-000000000002",
        "period": "TW1",
        "value": {"value": 2500, "unit": "Aplikasi"},
        "evidence": [{"uri": "https://files/x.pdf", "sha256": "abababababababababababababababababababababababababababababababab", "media_type": "application/pdf"}],
        "note": null,
        "client_time": "2025-03-20T01:59:00Z",
        "late": false,
        "at": "2025-03-20T02:00:00Z"
    }"#;
    let data: serde_json::Value = serde_json::from_str(json).unwrap();
    let e = PlanEvent::from_data("ReportFiled", 1, &data).unwrap();
    let PlanEvent::ReportFiled { value, period, .. } = &e else {
        panic!("wrong variant")
    };
    assert_eq!((value.value.get(), *period), (2500, Period::Tw1));
    assert_eq!(e.to_data(), data);
    let negative = json.replace("2500", "-1");
    let data: serde_json::Value = serde_json::from_str(&negative).unwrap();
    assert!(PlanEvent::from_data("ReportFiled", 1, &data).is_err());
    // From the stored text: the same event, and the same refusals.
    assert_eq!(PlanEvent::from_stored("ReportFiled", 1, json), Ok(e));
    assert!(PlanEvent::from_stored("ReportFiled", 1, &negative).is_err());
    let unknown = PlanEvent::from_stored("Nope", 1, json).unwrap_err();
    assert_eq!(unknown.code(), "UNKNOWN_EVENT_TYPE");
    let future = PlanEvent::from_stored("ReportFiled", 9, json).unwrap_err();
    assert_eq!(future.code(), "UNSUPPORTED_SCHEMA_VERSION");
}

#[test]
fn stream_id_names_officer_year_and_sequence() {
    assert_eq!(stream_id(&nip(ME), y(), 1), "skp-198503142010011002_2025_1");
}

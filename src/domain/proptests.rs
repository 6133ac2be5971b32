//! Property tests: for random command sequences (valid or not), deciding and folding never
//! panics, is deterministic, the incremental state equals a fold from scratch, and every event
//! round-trips through its JSON form. Random reorderings of real events also fold without panic.

use chrono::{DateTime, TimeDelta, Utc};
use proptest::prelude::*;
use uuid::Uuid;

use super::codec::DomainEvent;
use super::config::DomainConfig;
use super::officer::tests::{BIG_BOSS, BOSS, ME, NEW_BOSS, nip, officer_state};
use super::plan::{
    self, Indicator, ObjectionOutcome, PlanCommand, PlanContext, PlanEvent, Realisation, ResultPlan,
};
use super::survey::{self, SurveyCommand, SurveyEvent};
use super::values::{
    Actor, Aspek, Evidence, JenisRhk, Milli, Pendekatan, Period, Quantity, Rating, Role, UnitCode,
    Year,
};

fn start() -> DateTime<Utc> {
    "2025-01-02T02:00:00Z".parse().unwrap_or_default()
}

fn actors() -> [Actor; 4] {
    [
        Actor::officer(nip(ME), Role::Pegawai),
        Actor::officer(nip(BOSS), Role::Penilai),
        Actor::officer(nip(NEW_BOSS), Role::Penilai),
        Actor::officer(nip(BIG_BOSS), Role::AtasanPenilai),
    ]
}

fn rating(i: u8) -> Rating {
    [Rating::DiAtas, Rating::Sesuai, Rating::DiBawah][usize::from(i % 3)]
}

fn period(i: u8) -> Period {
    Period::ALL[usize::from(i % 5)]
}

fn qty(v: u16, unit: &str) -> Quantity {
    Quantity {
        value: Milli::new(i64::from(v) * 250).unwrap_or(Milli::ZERO),
        unit: unit.to_owned(),
    }
}

/// One step: (operation, actor, small parameter a, small parameter b, days to advance).
type Step = (u8, u8, u8, u16, u8);

fn plan_command(op: u8, a: u8, b: u16) -> PlanCommand {
    let id = |n: u8| Uuid::from_u128(u128::from(n % 4) + 1);
    let unit = if b.is_multiple_of(7) {
        "Dokumen"
    } else {
        "Aplikasi"
    };
    match op % 16 {
        0 => PlanCommand::DraftPlan {
            nip: nip(ME),
            year: Year::new(2025).unwrap_or_else(|_| unreachable!()),
            seq: 1,
            approach: if a.is_multiple_of(2) {
                Pendekatan::Kuantitatif
            } else {
                Pendekatan::Kualitatif
            },
        },
        1 => PlanCommand::PlanResult {
            result: ResultPlan {
                id: id(a),
                jenis: if a.is_multiple_of(3) {
                    JenisRhk::Tambahan
                } else {
                    JenisRhk::Utama
                },
                text: "RHK".into(),
                superior_result: (!b.is_multiple_of(5)).then(|| "RHK atasan".into()),
                perspektif: None,
                indicators: vec![Indicator {
                    id: Uuid::from_u128(100 + u128::from(a % 4)),
                    text: "IKI".into(),
                    aspek: Some(Aspek::Kuantitas),
                    target: (!b.is_multiple_of(11)).then(|| qty(b % 40, "Aplikasi")),
                }],
            },
        },
        2 => PlanCommand::SubmitPlan,
        3 => PlanCommand::ApprovePlan,
        4 => PlanCommand::ReturnPlan {
            reason: "perbaiki".into(),
        },
        5 => PlanCommand::RevisePlan {
            reason: "revisi".into(),
        },
        6 if b.is_multiple_of(6) => PlanCommand::ClosePlan {
            reason: plan::CloseReason::Transfer,
            effective: (start() + TimeDelta::days(i64::from(b % 200))).date_naive(),
        },
        6..=8 => PlanCommand::FileReport {
            report_id: Uuid::from_u128(200 + u128::from(b % 8)),
            indicator_id: Uuid::from_u128(100 + u128::from(a % 4)),
            period: period(a),
            realisation: Realisation {
                value: qty(b % 50, unit),
                evidence: Evidence::new("https://f/x", &"a".repeat(64), "image/png")
                    .into_iter()
                    .collect(),
                note: None,
            },
            client_time: None,
        },
        9 => PlanCommand::CorrectReport {
            report_id: Uuid::from_u128(200 + u128::from(b % 8)),
            realisation: Realisation {
                value: qty(b % 50, unit),
                evidence: vec![],
                note: Some("koreksi".into()),
            },
            reason: "salah".into(),
        },
        10 => PlanCommand::WithdrawReport {
            report_id: Uuid::from_u128(200 + u128::from(b % 8)),
            reason: "tarik".into(),
        },
        11 => PlanCommand::GiveFeedback {
            feedback_id: Uuid::from_u128(300 + u128::from(b)),
            about: plan::FeedbackTarget::Indicator(Uuid::from_u128(100 + u128::from(a % 4))),
            period: None,
            text: "bagus".into(),
        },
        12 => PlanCommand::RecordEvaluation {
            period: period(a),
            hasil_kerja: rating(a / 5),
            perilaku: rating(u8::try_from(b % 3).unwrap_or(0)),
            result_ratings: vec![plan::ResultRating {
                result_id: id(a),
                rating: rating(a),
            }],
            behaviour_feedback: vec![],
            note: None,
        },
        13 => PlanCommand::AmendEvaluation {
            period: period(a),
            hasil_kerja: rating(a),
            perilaku: rating(a / 3),
            reason: "ubah".into(),
        },
        14 => PlanCommand::FileObjection {
            period: period(a),
            reason: "keberatan".into(),
        },
        _ => PlanCommand::DecideObjection {
            period: period(a),
            outcome: if b.is_multiple_of(2) {
                ObjectionOutcome::Rejected
            } else {
                ObjectionOutcome::UpheldChanged {
                    hasil_kerja: rating(a),
                    perilaku: rating(a / 3),
                }
            },
            reason: "putus".into(),
        },
    }
}

fn natural_actor(op: u8, now: DateTime<Utc>) -> &'static Actor {
    use std::sync::OnceLock;
    static ACTORS: OnceLock<[Actor; 4]> = OnceLock::new();
    let a = ACTORS.get_or_init(actors);
    let appraiser = if now.date_naive() < "2025-07-01".parse().unwrap_or_default() {
        &a[1]
    } else {
        &a[2]
    };
    match op % 16 {
        3 | 4 | 11..=13 => appraiser,
        15 => &a[3],
        _ => &a[0],
    }
}

/// Runs the steps; returns the final state, all events and the rejection codes.
fn run_plan(steps: &[Step]) -> (plan::PlanState, Vec<PlanEvent>, Vec<&'static str>) {
    let cfg = DomainConfig::default();
    let officer = officer_state();
    let actors = actors();
    let (mut state, mut events, mut codes) = (plan::PlanState::default(), Vec::new(), Vec::new());
    let mut now = start();
    // Most runs start with a draft, or with an approved SKP with four results, so that they
    // reach the later stages; a quarter start from nothing.
    let approved: [Step; 7] = [
        (0, 0, 0, 0, 0),
        (1, 0, 1, 8, 0),
        (1, 0, 2, 8, 0),
        (1, 0, 4, 8, 0),
        (1, 0, 7, 8, 0),
        (2, 0, 0, 0, 1),
        (3, 0, 0, 0, 1),
    ];
    let prefix: &[Step] = match steps.first().map(|s| s.1) {
        Some(0 | 1) => &approved,
        Some(2) => &approved[..1],
        _ => &[],
    };
    for &(op, who, a, b, days) in prefix.iter().chain(steps) {
        now += TimeDelta::days(i64::from(days % 8));
        // Three times in four the natural actor acts, so that runs reach the later stages;
        // otherwise a random one (mostly rejected).
        let actor = if who < 3 {
            natural_actor(op, now)
        } else {
            &actors[usize::from(a % 4)]
        };
        let ctx = PlanContext {
            config: &cfg,
            at: now,
            actor,
            officer: &officer,
            unit: None,
        };
        match plan::decide(&state, &plan_command(op, a, b), &ctx) {
            Ok(new) => {
                for e in new {
                    state = plan::evolve(state, &e);
                    events.push(e);
                }
            }
            Err(e) => codes.push(e.code()),
        }
    }
    (state, events, codes)
}

fn roundtrips<E: DomainEvent>(events: &[E]) -> bool {
    events.iter().all(|e| {
        E::from_data(e.event_type(), e.schema_version(), &e.to_data()).as_ref() == Ok(e)
            && E::from_stored(e.event_type(), e.schema_version(), &e.to_data().to_string()).as_ref()
                == Ok(e)
            && e.to_data().is_object()
    })
}

fn step() -> impl Strategy<Value = Step> {
    (0u8..16, 0u8..4, any::<u8>(), any::<u16>(), 0u8..8)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn skp_command_sequences_fold_deterministically(steps in proptest::collection::vec(step(), 0..80)) {
        let (s1, e1, c1) = run_plan(&steps);
        let (s2, e2, c2) = run_plan(&steps);
        prop_assert_eq!(&s1, &s2);
        prop_assert_eq!(&e1, &e2);
        prop_assert_eq!(c1, c2);
        prop_assert_eq!(PlanEvent::fold(&e1), s1);
        prop_assert!(roundtrips(&e1));
    }

    #[test]
    fn skp_events_in_any_order_fold_without_panic(
        steps in proptest::collection::vec(step(), 0..60),
        seed in any::<u64>(),
    ) {
        let (_, mut events, _) = run_plan(&steps);
        // A deterministic shuffle driven by the seed.
        let mut x = seed | 1;
        for i in (1..events.len()).rev() {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let j = usize::try_from(x % u64::try_from(i + 1).unwrap_or(1)).unwrap_or(0);
            events.swap(i, j);
        }
        let a = PlanEvent::fold(&events);
        let b = PlanEvent::fold(&events);
        prop_assert_eq!(a, b);
    }

    #[test]
    fn survey_command_sequences_fold_deterministically(
        steps in proptest::collection::vec((0u8..5, any::<u8>(), proptest::collection::vec(0u8..6, 9)), 0..60)
    ) {
        let run = || {
            let cfg = DomainConfig::default();
            let unit = UnitCode::parse("DISDUKCAPIL").unwrap_or_else(|_| unreachable!());
            let (mut s, mut evs) = (survey::SurveyState::default(), Vec::new());
            for (op, a, answers) in &steps {
                let cmd = match op {
                    0 => SurveyCommand::IssueSurveyCodes {
                        batch_id: Uuid::from_u128(u128::from(*a)),
                        unit: unit.clone(),
                        year: Year::new(2025).unwrap_or_else(|_| unreachable!()),
                        period: period(*a),
                        service: "KTP".into(),
                        code_digests: vec![format!("c{}", a % 16), format!("d{}", a % 16)],
                    },
                    1 | 2 => SurveyCommand::AnswerSurvey {
                        code_digest: format!("{}{}", if a % 2 == 0 { "c" } else { "d" }, a % 16),
                        answers: answers.clone(),
                        comment: None,
                    },
                    3 => SurveyCommand::OpenImprovementAction {
                        action_id: Uuid::from_u128(u128::from(a % 4)),
                        period: period(*a),
                        plan: "perbaiki".into(),
                    },
                    _ => SurveyCommand::CloseImprovementAction {
                        action_id: Uuid::from_u128(u128::from(a % 4)),
                        outcome: "selesai".into(),
                    },
                };
                if let Ok(new) = survey::decide(&s, &cmd, &cfg, start()) {
                    for e in new {
                        s = survey::evolve(s, &e);
                        evs.push(e);
                    }
                }
            }
            (s, evs)
        };
        let (s1, e1) = run();
        let (s2, _) = run();
        prop_assert_eq!(&s1, &s2);
        prop_assert_eq!(SurveyEvent::fold(&e1), s1.clone());
        prop_assert!(roundtrips(&e1));
        for p in Period::ALL {
            if let Ok(ikm) = s1.ikm(p, &DomainConfig::default()) {
                prop_assert!((25.0..=100.0).contains(&ikm.konversi));
            }
        }
    }
}

#[test]
fn a_long_valid_run_reaches_an_evaluation() {
    // draft, result (utama with target), submit, approve by BOSS, report, evaluate TW1 by BOSS.
    let steps: Vec<Step> = vec![
        (0, 3, 0, 1, 0),
        (1, 0, 4, 8, 0),
        (2, 0, 0, 0, 1),
        (3, 1, 0, 0, 1),
        (7, 0, 0, 8, 60),
        (12, 1, 0, 1, 40),
    ];
    let (s, events, codes) = run_plan(&steps);
    assert!(codes.is_empty(), "{codes:?}");
    assert_eq!(events.len(), 6);
    assert!(s.evaluations.contains_key(&Period::Tw1));
}

mod odd_sequences {
    //! Any selection and order of events of the other streams folds without panic and
    //! deterministically.

    use chrono::NaiveDate;
    use proptest::prelude::*;
    use uuid::Uuid;

    use super::super::award::{AwardEvent, AwardGround, AwardKind};
    use super::super::codec::DomainEvent;
    use super::super::officer::tests::{BOSS, ME, nip, post};
    use super::super::officer::{AppraiserAssignment, OfficerEvent, OfficerStatus};
    use super::super::training::{CompetenceType, Programme, Route, TrainingEvent};
    use super::super::unit::{PredikatCounts, UnitEvent, UnitKind};
    use super::super::values::{
        ActorId, Certificate, EmploymentType, Period, PositionKind, PredikatOrganisasi, UnitCode,
        Year,
    };
    use super::start;

    fn day() -> NaiveDate {
        start().date_naive()
    }
    fn y() -> Year {
        Year::new(2025).unwrap_or_else(|_| unreachable!())
    }
    fn code(c: &str) -> UnitCode {
        UnitCode::parse(c).unwrap_or_else(|_| unreachable!())
    }

    fn unit_pool() -> Vec<UnitEvent> {
        vec![
            UnitEvent::UnitRegistered {
                code: code("DINKES"),
                name: "Dinkes".into(),
                kind: UnitKind::Dinas,
                parent: Some(code("PEMKO")),
                at: start(),
            },
            UnitEvent::UnitRenamed {
                name: "Dinas Kesehatan".into(),
                at: start(),
            },
            UnitEvent::UnitMoved {
                parent: None,
                at: start(),
            },
            UnitEvent::UnitHeadAssigned {
                head: nip(ME),
                effective_from: day(),
                at: start(),
            },
            UnitEvent::OrganisationPredikatSet {
                year: y(),
                period: Period::Tw1,
                predikat: PredikatOrganisasi::Baik,
                decree_ref: "x".into(),
                set_by: nip(BOSS),
                at: start(),
            },
            UnitEvent::PredikatFinalised {
                year: y(),
                period: Period::Tw1,
                organisation: PredikatOrganisasi::Baik,
                counts: PredikatCounts::default(),
                at: start(),
            },
        ]
    }

    fn officer_pool() -> Vec<OfficerEvent> {
        vec![
            OfficerEvent::OfficerRegistered {
                nip: nip(ME),
                name: "A".into(),
                golongan: "III/c".into(),
                employment: EmploymentType::Pppk,
                post: post("DINKES", PositionKind::Jpt),
                at: start(),
            },
            OfficerEvent::OfficerTransferred {
                post: post("DISDIK", PositionKind::Pelaksana),
                effective: day(),
                at: start(),
            },
            OfficerEvent::AppraiserAssigned {
                assignment: AppraiserAssignment {
                    penilai: ActorId::Nip(nip(BOSS)),
                    atasan: ActorId::Staff("walikota".into()),
                    from: day(),
                    until: None,
                },
                reason: None,
                at: start(),
            },
            OfficerEvent::OfficerStatusChanged {
                status: OfficerStatus::Cltn,
                effective: day(),
                reason: "x".into(),
                at: start(),
            },
        ]
    }

    fn training_pool() -> Vec<TrainingEvent> {
        vec![
            TrainingEvent::TrainingProgramAnnounced {
                program_id: Uuid::from_u128(1),
                programme: Programme {
                    title: "T".into(),
                    competence: CompetenceType::Manajerial,
                    route: Route::Nonklasikal,
                    jp: 10,
                    start: day(),
                    end: day(),
                    provider: "P".into(),
                },
                at: start(),
            },
            TrainingEvent::OfficerEnrolled {
                nip: nip(ME),
                at: start(),
            },
            TrainingEvent::TrainingCompleted {
                nip: nip(ME),
                jp: 10,
                completed_on: day(),
                certificate: Certificate::new("https://c", &"e".repeat(64))
                    .unwrap_or_else(|_| unreachable!()),
                at: start(),
            },
            TrainingEvent::TrainingCancelled {
                reason: "x".into(),
                at: start(),
            },
        ]
    }

    fn award_pool() -> Vec<AwardEvent> {
        vec![
            AwardEvent::AwardGranted {
                award_id: Uuid::from_u128(1),
                nip: nip(ME),
                kind: AwardKind::TandaKehormatan,
                ground: AwardGround::Lainnya("masa kerja".into()),
                basis: vec![],
                overridden_findings: vec![],
                override_reason: None,
                by: ActorId::Staff("bkpsdm".into()),
                at: start(),
            },
            AwardEvent::AwardRevoked {
                reason: "x".into(),
                by: ActorId::Staff("bkpsdm".into()),
                at: start(),
            },
        ]
    }

    fn pick<E: Clone>(pool: &[E], idx: &[usize]) -> Vec<E> {
        idx.iter()
            .filter_map(|i| pool.get(i % pool.len().max(1)).cloned())
            .collect()
    }

    fn check<E: DomainEvent>(pool: &[E], idx: &[usize]) -> bool
    where
        E::State: PartialEq,
    {
        let events = pick(pool, idx);
        E::fold(&events) == E::fold(&events)
    }

    proptest! {
        #[test]
        fn other_streams_fold_any_sequence(idx in proptest::collection::vec(0usize..64, 0..40)) {
            prop_assert!(check(&unit_pool(), &idx));
            prop_assert!(check(&officer_pool(), &idx));
            prop_assert!(check(&training_pool(), &idx));
            prop_assert!(check(&award_pool(), &idx));
        }
    }
}

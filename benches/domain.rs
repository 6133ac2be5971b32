//! Decider benchmarks, each beside its baseline in the same run: what a command costs without
//! any I/O. The app loads a stream, folds it into the aggregate's state, decides, and appends;
//! here the stream is already in memory, so the figures are the domain's own share.
//!
//! - `deciders/plan_fold` (the baseline): an SKP's 16 stored events (draft, two results with two
//!   indicators each, submission, approval, and three quarters of two reports and an
//!   evaluation), typed, folded into its state;
//! - `deciders/plan_decide_file_report`: `plan::decide` of a realisation report on that state;
//! - `deciders/plan_fold_and_decide`: both, as a command does after reading its stream;
//! - `deciders/plan_decode_fold_and_decide`: the same from the events' stored JSON text, decoded
//!   first (`DomainEvent::from_stored`), as the app reads them from the log.
//!
//! Run with `cargo bench --bench domain`.

mod common;

use chrono::{DateTime, NaiveDate, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use kinerja::domain::officer::{AppraiserAssignment, OfficerState, Post};
use kinerja::domain::plan::{self, PlanCommand, PlanContext, PlanState, Realisation};
use kinerja::domain::values::{
    Actor, ActorId, EmploymentType, Evidence, Milli, Nip, Pendekatan, Period, PositionKind,
    Quantity, Rating, Role, UnitCode, Year,
};
use kinerja::domain::{DomainConfig, DomainEvent, OfficerEvent, PlanEvent, rules};
use uuid::Uuid;

const ME: &str = "199001012015011001";
const BOSS: &str = "198001012005011002";

fn t(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}
fn nip(s: &str) -> Nip {
    Nip::parse(s).unwrap()
}
fn qty(v: i64) -> Quantity {
    Quantity::new(Milli::whole(v).unwrap(), "Dokumen").unwrap()
}
fn indicator(r: u32, k: u32) -> Uuid {
    Uuid::from_u128(u128::from(100 + r * 10 + k))
}
fn evidence() -> Vec<Evidence> {
    vec![
        Evidence::new(
            "https://arsip/bukti.pdf",
            &"ab".repeat(32),
            "application/pdf",
        )
        .unwrap(),
    ]
}

/// The officer's folded stream: registered in a unit, with an appraiser.
fn officer() -> OfficerState {
    let post = Post {
        unit: UnitCode::parse("DISKOMINFO").unwrap(),
        position: "Analis Kebijakan".into(),
        kind: PositionKind::Pelaksana,
    };
    OfficerEvent::fold(&[
        OfficerEvent::OfficerRegistered {
            nip: nip(ME),
            name: "Teuku Ahmad".into(),
            golongan: "III/b".into(),
            employment: EmploymentType::Pns,
            post,
            at: t("2025-01-02T02:00:00Z"),
        },
        OfficerEvent::AppraiserAssigned {
            assignment: AppraiserAssignment {
                penilai: ActorId::Nip(nip(BOSS)),
                atasan: ActorId::Nip(nip(BOSS)),
                from: NaiveDate::from_ymd_opt(2025, 1, 2).unwrap(),
                until: None,
            },
            reason: None,
            at: t("2025-01-02T02:00:00Z"),
        },
    ])
}

/// An approved SKP of 2025 with three quarters of reports and evaluations: 16 events.
fn plan_stream(officer: &OfficerState) -> Vec<PlanEvent> {
    let mut out = vec![PlanEvent::PlanDrafted {
        nip: nip(ME),
        year: Year::new(2025).unwrap(),
        seq: 1,
        approach: Pendekatan::Kuantitatif,
        post: officer.post.clone().unwrap(),
        by: ActorId::Nip(nip(ME)),
        at: t("2025-01-05T02:00:00Z"),
    }];
    for r in 0..2 {
        out.push(PlanEvent::ResultPlanned {
            result: common::result_plan(Uuid::from_u128(u128::from(r) + 1), r, indicator),
            at: t("2025-01-05T03:00:00Z"),
        });
    }
    out.push(PlanEvent::PlanSubmitted {
        at: t("2025-01-06T02:00:00Z"),
    });
    out.push(PlanEvent::PlanApproved {
        by: ActorId::Nip(nip(BOSS)),
        late: false,
        at: t("2025-01-07T02:00:00Z"),
    });
    let quarters = [
        (Period::Tw1, "2025-03-28T02:00:00Z", "2025-04-03T02:00:00Z"),
        (Period::Tw2, "2025-06-27T02:00:00Z", "2025-07-03T02:00:00Z"),
        (Period::Tw3, "2025-09-26T02:00:00Z", "2025-10-03T02:00:00Z"),
    ];
    for (q, (period, filed, evaluated)) in (0u32..).zip(quarters) {
        for k in 0..2 {
            out.push(PlanEvent::ReportFiled {
                report_id: Uuid::from_u128(u128::from(1000 + q * 10 + k)),
                indicator_id: indicator(0, k),
                period,
                value: qty(i64::from(q + 1)),
                evidence: evidence(),
                note: Some("Laporan realisasi triwulan".into()),
                client_time: Some(t(filed)),
                late: false,
                at: t(filed),
            });
        }
        out.push(PlanEvent::EvaluationRecorded {
            period,
            hasil_kerja: Rating::Sesuai,
            perilaku: Rating::Sesuai,
            predikat: rules::predikat(Rating::Sesuai, Rating::Sesuai),
            suggested_hasil_kerja: Some(Rating::Sesuai),
            result_ratings: vec![],
            behaviour_feedback: vec![],
            note: None,
            by: ActorId::Nip(nip(BOSS)),
            at: t(evaluated),
        });
    }
    out
}

/// The fourth quarter's first report.
fn file_report() -> PlanCommand {
    PlanCommand::FileReport {
        report_id: Uuid::from_u128(2000),
        indicator_id: indicator(0, 0),
        period: Period::Tw4,
        realisation: Realisation {
            value: qty(4),
            evidence: evidence(),
            note: Some("Laporan realisasi triwulan IV".into()),
        },
        client_time: Some(t("2025-12-19T02:00:00Z")),
    }
}

fn deciders(c: &mut Criterion) {
    let config = DomainConfig::default();
    let officer = officer();
    let events = plan_stream(&officer);
    let stored: Vec<(&'static str, u32, String)> = events
        .iter()
        .map(|e| (e.event_type(), e.schema_version(), e.to_data().to_string()))
        .collect();
    let actor = Actor::officer(nip(ME), Role::Pegawai);
    let ctx = PlanContext {
        config: &config,
        at: t("2025-12-20T02:00:00Z"),
        actor: &actor,
        officer: &officer,
        unit: None,
    };
    let cmd = file_report();
    let state: PlanState = PlanEvent::fold(&events);
    // The bench measures a decision that succeeds: a refusal would be cheaper and mislead.
    let decided = plan::decide(&state, &cmd, &ctx).expect("the report is accepted");
    assert!(matches!(
        decided.as_slice(),
        [PlanEvent::ReportFiled { .. }]
    ));

    let mut g = c.benchmark_group("deciders");
    g.bench_function("plan_fold", |b| {
        b.iter(|| std::hint::black_box(PlanEvent::fold(std::hint::black_box(&events))))
    });
    g.bench_function("plan_decide_file_report", |b| {
        b.iter(|| std::hint::black_box(plan::decide(std::hint::black_box(&state), &cmd, &ctx)))
    });
    g.bench_function("plan_fold_and_decide", |b| {
        b.iter(|| {
            let s = PlanEvent::fold(std::hint::black_box(&events));
            std::hint::black_box(plan::decide(&s, &cmd, &ctx))
        })
    });
    g.bench_function("plan_decode_fold_and_decide", |b| {
        b.iter(|| {
            let typed: Vec<PlanEvent> = std::hint::black_box(&stored)
                .iter()
                .map(|(ty, v, data)| PlanEvent::from_stored(ty, *v, data).unwrap())
                .collect();
            let s = PlanEvent::fold(&typed);
            std::hint::black_box(plan::decide(&s, &cmd, &ctx))
        })
    });
    g.finish();
}

criterion_group!(benches, deciders);
criterion_main!(benches);

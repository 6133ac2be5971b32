//! Builders of valid event histories appended through the store: units, officers with appraiser
//! assignments, SKPs with reports, feedback, evaluations, amendments and objections, awards,
//! training and surveys. Events are the domain's own enums serialised with `to_data`.

use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use kinerja::domain::award::{AwardGround, AwardKind, BasisEvaluation, EvaluationRef};
use kinerja::domain::officer::{AppraiserAssignment, Post};
use kinerja::domain::plan::{FeedbackTarget, Indicator, ObjectionOutcome, ResultPlan};
use kinerja::domain::rules;
use kinerja::domain::training::{CompetenceType, Programme, Route};
use kinerja::domain::unit::UnitKind;
use kinerja::domain::values::{
    ActorId, Aspek, Certificate, EmploymentType, Evidence, JenisRhk, Milli, Nip, Pendekatan,
    Period, PositionKind, Quantity, Rating, UnitCode, Year,
};
use kinerja::domain::{
    AwardEvent, DomainEvent, OfficerEvent, PlanEvent, SurveyEvent, TrainingEvent, UnitEvent,
};
use kinerja::store::{EventStore, ExpectedRevision, NewEvent, Position, StreamId};
use serde_json::json;
use uuid::Uuid;

pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    pub fn rating(&mut self) -> Rating {
        [Rating::DiAtas, Rating::Sesuai, Rating::DiBawah][usize::try_from(self.below(3)).unwrap()]
    }
}

pub fn t(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}
pub fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}
pub fn year() -> Year {
    Year::new(2025).unwrap()
}
pub fn nip(i: u32) -> Nip {
    // birth 1985-01-01 + i days (mod 28), appointed 2010-01, male, sequence i.
    let day = 1 + (i % 28);
    Nip::parse(&format!("198501{day:02}2010011{:03}", i % 1000)).unwrap()
}
pub fn boss() -> Nip {
    Nip::parse("197501012000031001").unwrap()
}
pub fn other_boss() -> Nip {
    Nip::parse("197801012003121004").unwrap()
}
pub fn qty(v: i64, unit: &str) -> Quantity {
    Quantity::new(Milli::whole(v).unwrap(), unit).unwrap()
}
pub fn unit(code: &str) -> UnitCode {
    UnitCode::parse(code).unwrap()
}
pub fn post(u: &str) -> Post {
    Post {
        unit: unit(u),
        position: "Analis".into(),
        kind: PositionKind::Pelaksana,
    }
}
fn evidence() -> Vec<Evidence> {
    vec![Evidence::new("https://files/x.pdf", &"ab".repeat(32), "application/pdf").unwrap()]
}
pub fn ind_id(n: &Nip) -> Uuid {
    Uuid::from_u128(u128::from(n.as_str()[15..].parse::<u32>().unwrap()) + 1_000_000)
}
pub fn plan_stream(n: &Nip) -> String {
    kinerja::domain::plan::stream_id(n, year(), 1)
}

/// Appends events and remembers the last position.
pub struct Writer {
    pub store: Arc<dyn EventStore>,
    pub last: Position,
}

impl Writer {
    pub fn new(store: Arc<dyn EventStore>) -> Self {
        Self { store, last: 0 }
    }

    pub async fn emit<E: DomainEvent>(&mut self, stream: &str, e: E, meta: serde_json::Value) {
        let ev = NewEvent::new(e.event_type(), e.to_data()).with_metadata(meta);
        let r = self
            .store
            .append(
                &StreamId::parse(stream).unwrap(),
                ExpectedRevision::Any,
                vec![ev],
            )
            .await
            .unwrap();
        self.last = r.position;
    }
}

pub fn meta(actor: &Nip, role: &str) -> serde_json::Value {
    json!({"actor": actor.as_str(), "role": role, "request_id": Uuid::new_v4().to_string()})
}

pub async fn units(w: &mut Writer) {
    for (code, parent) in [
        ("PEMKO", None),
        ("DISKOMINFO", Some("PEMKO")),
        ("DINKES", Some("PEMKO")),
        ("PKM-BANDA", Some("DINKES")),
    ] {
        w.emit(
            &format!("unit-{code}"),
            UnitEvent::UnitRegistered {
                code: unit(code),
                name: format!("Unit {code}"),
                kind: UnitKind::Dinas,
                parent: parent.map(unit),
                at: t("2025-01-01T01:00:00Z"),
            },
            json!({"actor": "staff:bkpsdm", "role": "ADMIN"}),
        )
        .await;
    }
}

pub async fn officer(w: &mut Writer, n: &Nip, u: &str, penilai: &Nip) {
    let stream = format!("officer-{n}");
    w.emit(
        &stream,
        OfficerEvent::OfficerRegistered {
            nip: n.clone(),
            name: format!("Pegawai {n}"),
            golongan: "III/a".into(),
            employment: EmploymentType::Pns,
            post: post(u),
            at: t("2025-01-01T02:00:00Z"),
        },
        json!({"actor": "staff:bkpsdm", "role": "ADMIN"}),
    )
    .await;
    w.emit(
        &stream,
        OfficerEvent::AppraiserAssigned {
            assignment: AppraiserAssignment {
                penilai: ActorId::Nip(penilai.clone()),
                atasan: ActorId::Nip(other_boss()),
                from: d("2025-01-01"),
                until: None,
            },
            reason: None,
            at: t("2025-01-01T03:00:00Z"),
        },
        json!({"actor": "staff:bkpsdm", "role": "ADMIN", "reason": "penetapan awal"}),
    )
    .await;
}

/// Draft, plan one result with one indicator (target 4 Dokumen), submit, approve.
pub async fn approved_plan(w: &mut Writer, n: &Nip, u: &str, approved_at: &str, late: bool) {
    let s = plan_stream(n);
    let me = meta(n, "PEGAWAI");
    w.emit(
        &s,
        PlanEvent::PlanDrafted {
            nip: n.clone(),
            year: year(),
            seq: 1,
            approach: Pendekatan::Kuantitatif,
            post: post(u),
            by: ActorId::Nip(n.clone()),
            at: t("2025-01-05T02:00:00Z"),
        },
        me.clone(),
    )
    .await;
    w.emit(
        &s,
        PlanEvent::ResultPlanned {
            result: ResultPlan {
                id: Uuid::from_u128(7),
                jenis: JenisRhk::Utama,
                text: "Tersedianya dokumen".into(),
                superior_result: Some("Meningkatnya layanan".into()),
                perspektif: None,
                indicators: vec![Indicator {
                    id: ind_id(n),
                    text: "Jumlah dokumen".into(),
                    aspek: Some(Aspek::Kuantitas),
                    target: Some(qty(4, "Dokumen")),
                }],
            },
            at: t("2025-01-05T03:00:00Z"),
        },
        me.clone(),
    )
    .await;
    w.emit(
        &s,
        PlanEvent::PlanSubmitted {
            at: t("2025-01-06T02:00:00Z"),
        },
        me,
    )
    .await;
    w.emit(
        &s,
        PlanEvent::PlanApproved {
            by: ActorId::Nip(boss()),
            late,
            at: t(approved_at),
        },
        meta(&boss(), "PENILAI"),
    )
    .await;
}

#[allow(clippy::too_many_arguments)]
pub async fn report(
    w: &mut Writer,
    n: &Nip,
    report_id: Uuid,
    period: Period,
    value: i64,
    at: DateTime<Utc>,
    client_time: Option<DateTime<Utc>>,
    late: bool,
) {
    let mut m = meta(n, "PEGAWAI");
    if let Some(c) = client_time {
        m["client_time"] = json!(c.to_rfc3339());
    }
    w.emit(
        &plan_stream(n),
        PlanEvent::ReportFiled {
            report_id,
            indicator_id: ind_id(n),
            period,
            value: qty(value, "Dokumen"),
            evidence: evidence(),
            note: None,
            client_time,
            late,
            at,
        },
        m,
    )
    .await;
}

pub async fn evaluate(
    w: &mut Writer,
    n: &Nip,
    by: &Nip,
    period: Period,
    hk: Rating,
    pk: Rating,
    at: DateTime<Utc>,
) {
    w.emit(
        &plan_stream(n),
        PlanEvent::EvaluationRecorded {
            period,
            hasil_kerja: hk,
            perilaku: pk,
            predikat: rules::predikat(hk, pk),
            suggested_hasil_kerja: None,
            result_ratings: vec![],
            behaviour_feedback: vec![],
            note: None,
            by: ActorId::Nip(by.clone()),
            at,
        },
        meta(by, "PENILAI"),
    )
    .await;
}

pub async fn amend(
    w: &mut Writer,
    n: &Nip,
    period: Period,
    hk: Rating,
    pk: Rating,
    at: DateTime<Utc>,
) {
    w.emit(
        &plan_stream(n),
        PlanEvent::EvaluationAmended {
            period,
            hasil_kerja: hk,
            perilaku: pk,
            predikat: rules::predikat(hk, pk),
            reason: "salah input".into(),
            by: ActorId::Nip(boss()),
            at,
        },
        json!({"actor": boss().as_str(), "role": "PENILAI", "reason": "salah input"}),
    )
    .await;
}

pub async fn feedback(w: &mut Writer, n: &Nip, period: Period, at: DateTime<Utc>) {
    w.emit(
        &plan_stream(n),
        PlanEvent::FeedbackGiven {
            feedback_id: Uuid::new_v4(),
            about: FeedbackTarget::Indicator(ind_id(n)),
            period: Some(period),
            text: "Pertahankan".into(),
            by: ActorId::Nip(boss()),
            at,
        },
        meta(&boss(), "PENILAI"),
    )
    .await;
}

pub async fn objection(w: &mut Writer, n: &Nip, period: Period, at: DateTime<Utc>, decide: bool) {
    w.emit(
        &plan_stream(n),
        PlanEvent::ObjectionFiled {
            period,
            reason: "tidak sesuai".into(),
            addressed_to: ActorId::Nip(other_boss()),
            at,
        },
        meta(n, "PEGAWAI"),
    )
    .await;
    if decide {
        w.emit(
            &plan_stream(n),
            PlanEvent::ObjectionDecided {
                period,
                outcome: ObjectionOutcome::Rejected,
                predikat: kinerja::domain::PredikatPegawai::Baik,
                reason: "tetap".into(),
                by: ActorId::Nip(other_boss()),
                at: at + Duration::days(3),
            },
            meta(&other_boss(), "ATASAN_PENILAI"),
        )
        .await;
    }
}

#[allow(clippy::too_many_arguments)]
pub async fn award(
    w: &mut Writer,
    award_id: Uuid,
    n: &Nip,
    hk: Rating,
    predikat: kinerja::domain::PredikatPegawai,
    overridden: bool,
    at: DateTime<Utc>,
) {
    w.emit(
        &kinerja::domain::award::stream_id(award_id),
        AwardEvent::AwardGranted {
            award_id,
            nip: n.clone(),
            kind: AwardKind::AcaraResmi,
            ground: AwardGround::MelampauiTarget,
            basis: vec![BasisEvaluation {
                evaluation: EvaluationRef {
                    year: year(),
                    seq: 1,
                    period: Period::Tw1,
                },
                hasil_kerja: hk,
                predikat,
            }],
            overridden_findings: if overridden {
                vec!["realisasi tidak melampaui target".into()]
            } else {
                vec![]
            },
            override_reason: overridden.then(|| "kebijakan pimpinan".into()),
            by: ActorId::Staff("bkpsdm".into()),
            at,
        },
        json!({"actor": "staff:bkpsdm", "role": "PENGELOLA_KINERJA"}),
    )
    .await;
}

pub async fn revoke_award(w: &mut Writer, award_id: Uuid, at: DateTime<Utc>) {
    w.emit(
        &kinerja::domain::award::stream_id(award_id),
        AwardEvent::AwardRevoked {
            reason: "dasar berubah".into(),
            by: ActorId::Staff("bkpsdm".into()),
            at,
        },
        json!({"actor": "staff:bkpsdm", "role": "PENGELOLA_KINERJA", "reason": "dasar berubah"}),
    )
    .await;
}

pub async fn training(w: &mut Writer, program: Uuid, jp: u32, officers: &[(Nip, bool)]) {
    let s = kinerja::domain::training::stream_id(program);
    let admin = json!({"actor": "staff:bkpsdm", "role": "PENGELOLA_KINERJA"});
    w.emit(
        &s,
        TrainingEvent::TrainingProgramAnnounced {
            program_id: program,
            programme: Programme {
                title: format!("Pelatihan {jp} JP"),
                competence: CompetenceType::Teknis,
                route: Route::Klasikal,
                jp,
                start: d("2025-03-01"),
                end: d("2025-03-05"),
                provider: "BPSDM Aceh".into(),
            },
            at: t("2025-02-01T01:00:00Z"),
        },
        admin.clone(),
    )
    .await;
    for (n, completes) in officers {
        w.emit(
            &s,
            TrainingEvent::OfficerEnrolled {
                nip: n.clone(),
                at: t("2025-02-10T01:00:00Z"),
            },
            admin.clone(),
        )
        .await;
        if *completes {
            w.emit(
                &s,
                TrainingEvent::TrainingCompleted {
                    nip: n.clone(),
                    jp,
                    completed_on: d("2025-03-05"),
                    certificate: Certificate::new("https://files/c.pdf", &"cd".repeat(32)).unwrap(),
                    at: t("2025-03-06T01:00:00Z"),
                },
                admin.clone(),
            )
            .await;
        }
    }
}

/// A survey batch of `codes` codes for (unit, TW1, service) and `answers` answers with the given
/// value for every element.
pub async fn survey(w: &mut Writer, u: &str, service: &str, codes: usize, answers: &[u8]) {
    let s = kinerja::domain::survey::stream_id(&unit(u), year());
    let digests: Vec<String> = (0..codes)
        .map(|i| {
            format!(
                "{:064x}",
                u128::from_le_bytes(*Uuid::new_v4().as_bytes()) ^ i as u128
            )
        })
        .collect();
    w.emit(
        &s,
        SurveyEvent::SurveyCodesIssued {
            batch_id: Uuid::new_v4(),
            unit: unit(u),
            year: year(),
            period: Period::Tw1,
            service: service.into(),
            code_digests: digests.clone(),
            at: t("2025-02-01T01:00:00Z"),
        },
        json!({"actor": "staff:bkpsdm", "role": "ADMIN"}),
    )
    .await;
    for (i, v) in answers.iter().enumerate() {
        w.emit(
            &s,
            SurveyEvent::SurveyAnswered {
                code_digest: digests[i].clone(),
                answers: vec![*v; 9],
                comment: None,
                at: t("2025-02-02T01:00:00Z"),
            },
            json!({}),
        )
        .await;
    }
}

/// A random history of `n` officers: plans, reports, feedback, evaluations, amendments,
/// objections, awards and training.
pub async fn random_history(w: &mut Writer, rng: &mut Rng, n: u32) {
    units(w).await;
    officer(w, &boss(), "PEMKO", &other_boss()).await;
    let units = ["DISKOMINFO", "DINKES", "PKM-BANDA"];
    for i in 1..=n {
        let who = nip(i);
        let u = units[usize::try_from(rng.below(3)).unwrap()];
        officer(w, &who, u, &boss()).await;
        if rng.chance(15) {
            continue;
        }
        let late = rng.chance(20);
        approved_plan(
            w,
            &who,
            u,
            if late {
                "2025-02-10T01:00:00Z"
            } else {
                "2025-01-20T01:00:00Z"
            },
            late,
        )
        .await;
        for (pi, period) in [Period::Tw1, Period::Tw2].into_iter().enumerate() {
            let base = t("2025-04-03T01:00:00Z") + Duration::days(91 * i64::try_from(pi).unwrap());
            if rng.chance(80) {
                let rid = Uuid::from_u128(u128::from(i) * 10 + u128::try_from(pi).unwrap());
                let skew = rng.chance(10).then(|| base - Duration::days(5));
                report(
                    w,
                    &who,
                    rid,
                    period,
                    i64::try_from(rng.below(8)).unwrap(),
                    base,
                    skew,
                    rng.chance(15),
                )
                .await;
                if rng.chance(30) {
                    feedback(w, &who, period, base + Duration::hours(2)).await;
                }
            }
            if rng.chance(70) {
                let at = base + Duration::days(5);
                evaluate(w, &who, &boss(), period, rng.rating(), rng.rating(), at).await;
                if rng.chance(15) {
                    amend(
                        w,
                        &who,
                        period,
                        rng.rating(),
                        rng.rating(),
                        at + Duration::days(rng.below(30).try_into().unwrap()),
                    )
                    .await;
                }
                if rng.chance(10) {
                    objection(w, &who, period, at + Duration::days(2), rng.chance(50)).await;
                }
            }
        }
        if rng.chance(10) {
            let id = Uuid::from_u128(9_000_000 + u128::from(i));
            award(
                w,
                id,
                &who,
                Rating::DiAtas,
                kinerja::domain::PredikatPegawai::SangatBaik,
                rng.chance(50),
                t("2025-05-01T01:00:00Z"),
            )
            .await;
            if rng.chance(30) {
                revoke_award(w, id, t("2025-05-20T01:00:00Z")).await;
            }
        }
    }
    let mut trainees: Vec<(Nip, bool)> = Vec::new();
    for i in 1..=n {
        if rng.chance(40) {
            trainees.push((nip(i), rng.chance(80)));
        }
    }
    training(w, Uuid::from_u128(42), 24, &trainees).await;
    survey(w, "DINKES", "Rawat Jalan", 20, &[4, 3, 3, 2, 4]).await;
}

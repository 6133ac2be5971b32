//! Read-side benchmarks, each beside its baseline in the same run (benches/PROJECTIONS.md):
//!
//! - `rebuild`: every projection dropped and rebuilt from the domain log (`{backend}/projector`)
//!   vs a plain read of the same log (`{backend}/read_log`) and the same events folded in memory
//!   without I/O on one thread (`fold_in_memory`), split into the decode and each projection's
//!   own fold (`fold_in_memory/{name}`), and the same pages' row changes committed without any
//!   fold (`{backend}/commit_only`, the write floor): medians of a few runs, printed as
//!   `rebuild …` lines (criterion's ten samples minimum is too long for a million events);
//! - `scorecard/{backend}/query` (the scorecard of a random one of 6,000 officers from the read
//!   model) vs `scorecard/{backend}/pk_lookup` (one `rm_officer` row by primary key). Criterion
//!   reports medians; the p50 and p99 of 20,000 single calls of each are printed
//!   (`latency …` lines), and those of a unit's dashboard from the read model (`uncached`) and
//!   from the dashboard cache (`cached`);
//! - `live`: reports filed over HTTP at 200 per second against the service in process, an admin
//!   following the live feed: the command's round trip and the time from its acknowledgement to
//!   the read models' commit of its position (the baselines), and to the live-feed event carrying
//!   its position, p50/p95/p99 (`latency …`); and per feed event the time from the commit of its
//!   position to its arrival (the feed's own part). The clients run on a runtime and a thread of
//!   their own.
//!
//! The log: 6,000 officers in 41 units, each year an SKP per officer (draft, two results with
//! two indicators, submission, approval, two reports, one piece of feedback and one evaluation
//! per quarter, the annual evaluation), training programmes with enrolments and completions,
//! the survey of every unit (codes and answers), organisation predikat — years from 2016 on until
//! the log holds `KINERJA_BENCH_EVENTS` (default 100,000; the figures are for 1,000,000) events.
//! Appended through `EventStore::append` (a stream's year per call, 16 callers at a time so group
//! commit batches them) and cached under `CARGO_TARGET_TMPDIR` (SQLite) or in the database
//! `kinerja_bench_domain_{tag}{n}` (PostgreSQL, skipped when unreachable; the tag is
//! `KINERJA_BENCH_PG_TAG`, empty by default).
//!
//! Run with `cargo bench --bench projections`; `KINERJA_BENCH_EVENTS=1000000` for the full log,
//! `KINERJA_BENCH_LIVE_SECS=30` for the live-feed figures.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use kinerja::domain::award::{AwardGround, AwardKind, BasisEvaluation, EvaluationRef};
use kinerja::domain::officer::{AppraiserAssignment, Post};
use kinerja::domain::plan::FeedbackTarget;
use kinerja::domain::training::{CompetenceType, Programme, Route};
use kinerja::domain::unit::UnitKind;
use kinerja::domain::values::{
    ActorId, Certificate, EmploymentType, Evidence, Milli, Nip, Pendekatan, Period, PositionKind,
    PredikatOrganisasi, Quantity, Rating, UnitCode, Year,
};
use kinerja::domain::{
    AwardEvent, DomainConfig, DomainEvent, OfficerEvent, PlanEvent, SurveyEvent, TrainingEvent,
    UnitEvent, rules,
};
use kinerja::projections::dashboard::{self, cache::DashboardCache};
use kinerja::projections::{Changes, Envelope, Projection, Projector, ReadDb, Val, scorecard};
use kinerja::store::writer::WriterOptions;
use kinerja::store::{
    EventStore, ExpectedRevision, NewEvent, RecordedEvent, StreamId, postgres::PostgresStore,
    sqlite::SqliteStore,
};
use uuid::Uuid;

const OFFICERS: u32 = 6_000;
const UNITS: u32 = 40;
const CALLERS: usize = 16;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// Whether a part of this bench runs: `KINERJA_BENCH_ONLY` is a comma-separated list of
/// `rebuild`, `scorecard`, `live` (all when unset).
fn part_wanted(part: &str) -> bool {
    std::env::var("KINERJA_BENCH_ONLY")
        .map_or(true, |only| only.split(',').any(|p| p.trim() == part))
}

fn events_wanted() -> u64 {
    std::env::var("KINERJA_BENCH_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000)
}

// ------------------------------------------------------------------------------------------------
// The domain log
// ------------------------------------------------------------------------------------------------

fn nip(i: u32) -> Nip {
    // Born 1960+i/1000-03-15, appointed 1990-01, male, sequence i%1000: unique for i < 30 000.
    Nip::parse(&format!(
        "{}0315199001{}{:03}",
        1960 + i / 1000,
        1,
        i % 1000
    ))
    .unwrap()
}
fn unit_code(u: u32) -> String {
    if u == 0 {
        "PEMKO".into()
    } else {
        format!("OPD-{u:02}")
    }
}
fn unit_of(i: u32) -> u32 {
    1 + i % UNITS
}
/// Each unit's first officer appraises the others of the unit; PEMKO's head appraises them.
fn appraiser_of(i: u32) -> u32 {
    if i < UNITS { OFFICERS } else { i % UNITS }
}
fn t(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    NaiveDate::from_ymd_opt(y, m, d)
        .unwrap()
        .and_hms_opt(2, 0, 0)
        .unwrap()
        .and_utc()
}
fn qty(v: i64) -> Quantity {
    Quantity::new(Milli::whole(v).unwrap(), "Dokumen").unwrap()
}
fn ev<E: DomainEvent>(e: E, actor: &str, role: &str) -> NewEvent {
    NewEvent::new(e.event_type(), e.to_data())
        .with_metadata(serde_json::json!({"actor": actor, "role": role}))
}
fn post(u: u32) -> Post {
    Post {
        unit: UnitCode::parse(&unit_code(u)).unwrap(),
        position: "Analis Kebijakan".into(),
        kind: PositionKind::Pelaksana,
    }
}
fn rating(x: u32) -> Rating {
    [
        Rating::Sesuai,
        Rating::DiAtas,
        Rating::Sesuai,
        Rating::DiBawah,
    ][(x % 4) as usize]
}

type Batch = (String, Vec<NewEvent>);

fn unit_batches() -> Vec<Batch> {
    (0..=UNITS)
        .map(|u| {
            let e = UnitEvent::UnitRegistered {
                code: UnitCode::parse(&unit_code(u)).unwrap(),
                name: format!("Perangkat Daerah {u}"),
                kind: UnitKind::Dinas,
                parent: (u > 0).then(|| UnitCode::parse("PEMKO").unwrap()),
                at: t(2016, 1, 2),
            };
            let head = UnitEvent::UnitHeadAssigned {
                head: nip(if u == 0 { OFFICERS } else { u % UNITS }),
                effective_from: NaiveDate::from_ymd_opt(2016, 1, 2).unwrap(),
                at: t(2016, 1, 2),
            };
            (
                format!("unit-{}", unit_code(u)),
                vec![
                    ev(e, "staff:bkpsdm", "ADMIN"),
                    ev(head, "staff:bkpsdm", "ADMIN"),
                ],
            )
        })
        .collect()
}

fn officer_batches() -> Vec<Batch> {
    (0..=OFFICERS)
        .map(|i| {
            let u = if i == OFFICERS { 0 } else { unit_of(i) };
            let reg = OfficerEvent::OfficerRegistered {
                nip: nip(i),
                name: format!("Pegawai {i}"),
                golongan: "III/b".into(),
                employment: if i % 5 == 0 {
                    EmploymentType::Pppk
                } else {
                    EmploymentType::Pns
                },
                post: post(u),
                at: t(2016, 1, 3),
            };
            let assign = OfficerEvent::AppraiserAssigned {
                assignment: AppraiserAssignment {
                    penilai: ActorId::Nip(nip(appraiser_of(i))),
                    atasan: ActorId::Nip(nip(OFFICERS)),
                    from: NaiveDate::from_ymd_opt(2016, 1, 3).unwrap(),
                    until: None,
                },
                reason: None,
                at: t(2016, 1, 3),
            };
            (
                format!("officer-{}", nip(i)),
                vec![
                    ev(reg, "staff:bkpsdm", "ADMIN"),
                    ev(assign, "staff:bkpsdm", "ADMIN"),
                ],
            )
        })
        .collect()
}

/// One officer's SKP of a year: 22 events.
fn plan_batch(i: u32, year: i32) -> Batch {
    let n = nip(i);
    let me = n.as_str().to_string();
    let boss = nip(appraiser_of(i)).as_str().to_string();
    let y = Year::new(year).unwrap();
    let mut out = vec![ev(
        PlanEvent::PlanDrafted {
            nip: n.clone(),
            year: y,
            seq: 1,
            approach: Pendekatan::Kuantitatif,
            post: post(unit_of(i)),
            by: ActorId::Nip(n.clone()),
            at: t(year, 1, 5),
        },
        &me,
        "PEGAWAI",
    )];
    let ind = |r: u32, k: u32| Uuid::from_u128((u128::from(i) << 32) | u128::from(r * 2 + k));
    for r in 0..2 {
        out.push(ev(
            PlanEvent::ResultPlanned {
                result: common::result_plan(
                    Uuid::from_u128((u128::from(i) << 32) | (1 << 20) | u128::from(r)),
                    r,
                    ind,
                ),
                at: t(year, 1, 5),
            },
            &me,
            "PEGAWAI",
        ));
    }
    out.push(ev(
        PlanEvent::PlanSubmitted { at: t(year, 1, 6) },
        &me,
        "PEGAWAI",
    ));
    out.push(ev(
        PlanEvent::PlanApproved {
            by: ActorId::Nip(nip(appraiser_of(i))),
            late: false,
            at: t(year, 1, 20),
        },
        &boss,
        "PENILAI",
    ));
    let evidence = vec![
        Evidence::new(
            "https://arsip/bukti.pdf",
            &"ab".repeat(32),
            "application/pdf",
        )
        .unwrap(),
    ];
    for (q, period) in [Period::Tw1, Period::Tw2, Period::Tw3, Period::Tw4]
        .into_iter()
        .enumerate()
    {
        let q = u32::try_from(q).unwrap();
        let at = t(year, 3 * q + 3, 28);
        for k in 0..2 {
            out.push(ev(
                PlanEvent::ReportFiled {
                    report_id: Uuid::from_u128(
                        (u128::from(i) << 64)
                            | (u128::from(year as u32) << 8)
                            | u128::from(q * 2 + k),
                    ),
                    indicator_id: ind(0, k),
                    period,
                    value: qty(i64::from((i + q + k) % 6)),
                    evidence: evidence.clone(),
                    note: Some("Laporan realisasi triwulan".into()),
                    client_time: Some(at),
                    late: false,
                    at,
                },
                &me,
                "PEGAWAI",
            ));
        }
        out.push(ev(
            PlanEvent::FeedbackGiven {
                feedback_id: Uuid::from_u128((u128::from(i) << 64) | (1 << 40) | u128::from(q)),
                about: FeedbackTarget::Indicator(ind(0, 0)),
                period: Some(period),
                text: "Pertahankan capaian".into(),
                by: ActorId::Nip(nip(appraiser_of(i))),
                at: at + TimeDelta::days(2),
            },
            &boss,
            "PENILAI",
        ));
        let (hk, pk) = (rating(i + q), rating(i / 3 + q));
        out.push(ev(
            PlanEvent::EvaluationRecorded {
                period,
                hasil_kerja: hk,
                perilaku: pk,
                predikat: rules::predikat(hk, pk),
                suggested_hasil_kerja: Some(hk),
                result_ratings: vec![],
                behaviour_feedback: vec![],
                note: None,
                by: ActorId::Nip(nip(appraiser_of(i))),
                at: at + TimeDelta::days(5),
            },
            &boss,
            "PENILAI",
        ));
    }
    let (hk, pk) = (rating(i), rating(i / 3));
    out.push(ev(
        PlanEvent::EvaluationRecorded {
            period: Period::Tahunan,
            hasil_kerja: hk,
            perilaku: pk,
            predikat: rules::predikat(hk, pk),
            suggested_hasil_kerja: Some(hk),
            result_ratings: vec![],
            behaviour_feedback: vec![],
            note: None,
            by: ActorId::Nip(nip(appraiser_of(i))),
            at: t(year, 12, 30),
        },
        &boss,
        "PENILAI",
    ));
    (kinerja::domain::plan::stream_id(&n, y, 1), out)
}

/// The year's training programmes (20 × 30 officers), surveys (every unit: 200 codes, 150
/// answers), organisation predikat and a few awards.
fn year_batches(year: i32) -> Vec<Batch> {
    let y = Year::new(year).unwrap();
    let admin = ("staff:bkpsdm", "PENGELOLA_KINERJA");
    let mut out = Vec::new();
    for p in 0..20u32 {
        let id = Uuid::from_u128((u128::from(year as u32) << 32) | u128::from(p));
        let mut es = vec![ev(
            TrainingEvent::TrainingProgramAnnounced {
                program_id: id,
                programme: Programme {
                    title: format!("Pelatihan {p} tahun {year}"),
                    competence: CompetenceType::Teknis,
                    route: Route::Klasikal,
                    jp: 12 + p % 3 * 4,
                    start: NaiveDate::from_ymd_opt(year, 3, 1).unwrap(),
                    end: NaiveDate::from_ymd_opt(year, 3, 5).unwrap(),
                    provider: "BPSDM Aceh".into(),
                },
                at: t(year, 2, 1),
            },
            admin.0,
            admin.1,
        )];
        for k in 0..30u32 {
            let n = nip((p * 300 + k * 7 + year as u32) % OFFICERS);
            es.push(ev(
                TrainingEvent::OfficerEnrolled {
                    nip: n.clone(),
                    at: t(year, 2, 10),
                },
                admin.0,
                admin.1,
            ));
            if k % 6 != 0 {
                es.push(ev(
                    TrainingEvent::TrainingCompleted {
                        nip: n,
                        jp: 12 + p % 3 * 4,
                        completed_on: NaiveDate::from_ymd_opt(year, 3, 5).unwrap(),
                        certificate: Certificate::new("https://arsip/s.pdf", &"cd".repeat(32))
                            .unwrap(),
                        at: t(year, 3, 6),
                    },
                    admin.0,
                    admin.1,
                ));
            }
        }
        out.push((kinerja::domain::training::stream_id(id), es));
    }
    for u in 1..=UNITS {
        let code = UnitCode::parse(&unit_code(u)).unwrap();
        let digests: Vec<String> = (0..200u32)
            .map(|c| {
                format!(
                    "{:064x}",
                    (u128::from(year as u32) << 64) | (u128::from(u) << 32) | u128::from(c)
                )
            })
            .collect();
        let mut es = vec![ev(
            SurveyEvent::SurveyCodesIssued {
                batch_id: Uuid::from_u128((u128::from(year as u32) << 32) | u128::from(u)),
                unit: code.clone(),
                year: y,
                period: Period::Tw2,
                service: format!("Layanan {u}"),
                code_digests: digests.clone(),
                at: t(year, 4, 1),
            },
            "staff:bkpsdm",
            "ADMIN",
        )];
        for (c, d) in digests.iter().take(150).enumerate() {
            let c = u8::try_from(c % 4).unwrap();
            es.push(NewEvent::new(
                "SurveyAnswered",
                SurveyEvent::SurveyAnswered {
                    code_digest: d.clone(),
                    answers: (0..9).map(|k| 1 + (c + k) % 4).collect(),
                    comment: None,
                    at: t(year, 4, 2),
                }
                .to_data(),
            ));
        }
        out.push((kinerja::domain::survey::stream_id(&code, y), es));
        out.push((
            format!("unit-{code}"),
            vec![ev(
                UnitEvent::OrganisationPredikatSet {
                    year: y,
                    period: Period::Tahunan,
                    predikat: PredikatOrganisasi::Baik,
                    decree_ref: format!("800/{u}/{year}"),
                    set_by: nip(OFFICERS),
                    at: t(year, 12, 20),
                },
                nip(OFFICERS).as_str(),
                "ATASAN_PENILAI",
            )],
        ));
    }
    for a in 0..10u32 {
        let i = (a * 577 + year as u32) % OFFICERS;
        let id = Uuid::from_u128((u128::from(year as u32) << 40) | u128::from(a));
        out.push((
            kinerja::domain::award::stream_id(id),
            vec![ev(
                AwardEvent::AwardGranted {
                    award_id: id,
                    nip: nip(i),
                    kind: AwardKind::AcaraResmi,
                    ground: AwardGround::MelampauiTarget,
                    basis: vec![BasisEvaluation {
                        evaluation: EvaluationRef {
                            year: y,
                            seq: 1,
                            period: Period::Tahunan,
                        },
                        hasil_kerja: Rating::DiAtas,
                        predikat: kinerja::domain::PredikatPegawai::SangatBaik,
                    }],
                    overridden_findings: vec![],
                    override_reason: None,
                    by: ActorId::Staff("bkpsdm".into()),
                    at: t(year + 1, 1, 10),
                },
                admin.0,
                admin.1,
            )],
        ));
    }
    out
}

/// Append batches with `CALLERS` concurrent callers; the number of events appended.
async fn append_all(store: &Arc<dyn EventStore>, batches: Vec<Batch>) -> u64 {
    let total: u64 = batches.iter().map(|(_, e)| e.len() as u64).sum();
    let batches = Arc::new(tokio::sync::Mutex::new(batches));
    let mut tasks = Vec::new();
    for _ in 0..CALLERS {
        let (store, batches) = (store.clone(), batches.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let Some((stream, events)) = batches.lock().await.pop() else {
                    return;
                };
                store
                    .append(
                        &StreamId::parse(stream).unwrap(),
                        ExpectedRevision::Any,
                        events,
                    )
                    .await
                    .unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    total
}

/// Fill `store` with the domain log until it holds at least `n` events.
async fn fill_domain(store: Arc<dyn EventStore>, n: u64) {
    let mut have = append_all(&store, unit_batches()).await;
    have += append_all(&store, officer_batches()).await;
    let mut year = 2016;
    while have < n {
        let mut batches = year_batches(year);
        // Officers' SKPs in reverse so that `pop` appends them in NIP order.
        let mut plans: Vec<Batch> = (0..=OFFICERS).rev().map(|i| plan_batch(i, year)).collect();
        let need = n - have;
        let mut count: u64 = batches.iter().map(|(_, e)| e.len() as u64).sum();
        while count < need {
            let Some(b) = plans.pop() else { break };
            count += b.1.len() as u64;
            batches.push(b);
        }
        batches.reverse();
        have += append_all(&store, batches).await;
        eprintln!("  domain log: {have} events (year {year})");
        year += 1;
    }
}

async fn sqlite_domain_log(n: u64) -> String {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("bench-data");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("domain-{n}.db"));
    let url = format!("sqlite://{}", path.display());
    let ok = std::fs::exists(dir.join(format!("domain-{n}.done"))).unwrap_or(false);
    if !ok {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
        let store: Arc<dyn EventStore> = Arc::new(
            SqliteStore::open(&url, WriterOptions::default())
                .await
                .unwrap(),
        );
        eprintln!("building the SQLite domain log of {n} events (cached)");
        fill_domain(store.clone(), n).await;
        store.shutdown().await;
        std::fs::write(dir.join(format!("domain-{n}.done")), b"").unwrap();
    }
    url
}

async fn postgres_domain_log(n: u64) -> Option<String> {
    // `KINERJA_BENCH_PG_TAG=q_` gives `kinerja_bench_domain_q_{n}`: a database of one's own on a
    // shared server.
    let tag = std::env::var("KINERJA_BENCH_PG_TAG").unwrap_or_default();
    let db = format!("kinerja_bench_domain_{tag}{n}");
    if !common::pg_database(&db, false).await {
        return None;
    }
    let url = common::pg_url(&db);
    let store: Arc<dyn EventStore> = Arc::new(
        PostgresStore::open(&url, WriterOptions::default())
            .await
            .unwrap(),
    );
    let head = store.head().await.unwrap().position;
    if head < n {
        store.shutdown().await;
        common::pg_database(&db, true).await;
        let store: Arc<dyn EventStore> = Arc::new(
            PostgresStore::open(&url, WriterOptions::default())
                .await
                .unwrap(),
        );
        eprintln!("building the PostgreSQL domain log of {n} events (cached)");
        fill_domain(store.clone(), n).await;
        store.shutdown().await;
    } else {
        store.shutdown().await;
    }
    Some(url)
}

async fn open(url: &str) -> (Arc<dyn EventStore>, ReadDb) {
    let store = kinerja::store::open(url, WriterOptions::default())
        .await
        .unwrap();
    (store, ReadDb::open(url).await.unwrap())
}

async fn read_everything(store: &dyn EventStore) -> Vec<RecordedEvent> {
    let mut out = Vec::new();
    let mut after = 0;
    loop {
        let page = store.read_all(after, 20_000).await.unwrap();
        let Some(last) = page.last().map(|e| e.position) else {
            return out;
        };
        after = last;
        out.extend(page);
    }
}

// ------------------------------------------------------------------------------------------------
// Benches
// ------------------------------------------------------------------------------------------------

/// One page of events decoded and folded by every projection of `all`: the row changes they
/// flush.
fn fold_page(all: &mut [Box<dyn Projection>], page: &[RecordedEvent]) -> Changes {
    let mut changes = Changes::default();
    let mut topics = Vec::new();
    for e in page {
        let env = Envelope::new(e.clone());
        for p in all.iter_mut() {
            p.apply(&env);
        }
    }
    for p in all.iter_mut() {
        p.flush(&mut changes, &mut topics);
    }
    changes
}

/// Time `f` `runs` times; the median.
fn median_of(runs: usize, mut f: impl FnMut() -> Duration) -> Duration {
    let mut times: Vec<Duration> = (0..runs.max(1)).map(|_| f()).collect();
    times.sort();
    times[times.len() / 2]
}

fn report_rebuild(name: &str, median: Duration, events: u64, baseline: Option<Duration>) {
    #[allow(clippy::cast_precision_loss)]
    let rate = events as f64 / median.as_secs_f64();
    let ratio = baseline.map_or(String::new(), |b| {
        format!(", {:.2}× the read", median.as_secs_f64() / b.as_secs_f64())
    });
    println!(
        "rebuild {name}: median {:.2} s, {:.0} events/s ({events} events{ratio})",
        median.as_secs_f64(),
        rate
    );
}

/// The rebuild of every projection from the log (`KINERJA_BENCH_EVENTS`, default 100,000;
/// 1,000,000 for the figures of PROJECTIONS.md), median of `KINERJA_BENCH_RUNS` (default 3) runs
/// of each, printed as `rebuild …` lines: the baseline `read_log` (every page of `$all` read,
/// nothing else), `fold_in_memory` (the same events decoded and folded by the same projections
/// into row changes, one page at a time, without I/O; then the decode alone and each projection
/// alone over decoded events), `{backend}/commit_only` (the same pages' row changes, folded
/// beforehand, committed into fresh tables: the write floor) and `{backend}/projector`
/// (`Projector::rebuild(None)`: tables dropped, pages of 20,000 read, folded and committed with
/// their checkpoints). Criterion's minimum of ten samples would make the 1M run take an hour.
fn rebuild(_c: &mut Criterion) {
    // `KINERJA_BENCH_ONLY=projector`: the baseline and the projector's rebuild only, one run
    // unless `KINERJA_BENCH_RUNS` says otherwise (for a profile of the rebuild itself).
    let full = part_wanted("rebuild");
    if !full && !part_wanted("projector") {
        return;
    }
    let rt = runtime();
    let n = events_wanted();
    let runs: usize = std::env::var("KINERJA_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if full { 3 } else { 1 });
    let sqlite = rt.block_on(sqlite_domain_log(n));
    let mut backends = vec![("sqlite", sqlite.clone())];
    if let Some(pg) = rt.block_on(postgres_domain_log(n)) {
        backends.push(("postgres", pg));
    }
    for (name, url) in &backends {
        let (store, db) = rt.block_on(open(url));
        let total = rt.block_on(read_everything(store.as_ref())).len() as u64;
        let read = median_of(runs, || {
            let start = Instant::now();
            std::hint::black_box(rt.block_on(read_everything(store.as_ref())).len());
            start.elapsed()
        });
        report_rebuild(&format!("{name}/read_log"), read, total, None);
        if *name == "sqlite" && full {
            let events = rt.block_on(read_everything(store.as_ref()));
            let fold = median_of(runs, || {
                let mut all = kinerja::projections::all();
                let start = Instant::now();
                for chunk in events.chunks(20_000) {
                    std::hint::black_box(fold_page(&mut all, chunk).rows.len());
                }
                start.elapsed()
            });
            report_rebuild("fold_in_memory (one thread)", fold, total, Some(read));
            // Where the fold's time goes: the decode alone, then each projection alone over
            // envelopes decoded beforehand (the projector folds them side by side, so the
            // slowest one bounds its fold stage).
            let decode = median_of(runs, || {
                let start = Instant::now();
                for e in &events {
                    std::hint::black_box(Envelope::new(e.clone()));
                }
                start.elapsed()
            });
            report_rebuild(
                "fold_in_memory/decode (one thread)",
                decode,
                total,
                Some(read),
            );
            let envs: Vec<Envelope> = events.iter().cloned().map(Envelope::new).collect();
            for name in kinerja::projections::names() {
                let folded = median_of(runs, || {
                    let mut all = kinerja::projections::all();
                    all.retain(|p| p.name() == name);
                    let start = Instant::now();
                    for chunk in envs.chunks(20_000) {
                        let mut changes = Changes::default();
                        let mut topics = Vec::new();
                        for env in chunk {
                            all[0].apply(env);
                        }
                        all[0].flush(&mut changes, &mut topics);
                        std::hint::black_box(changes.rows.len());
                    }
                    start.elapsed()
                });
                report_rebuild(
                    &format!("fold_in_memory/{name} (one thread, decoded beforehand)"),
                    folded,
                    total,
                    Some(read),
                );
            }
        }
        if full {
            // The write floor: the same pages' row changes, folded beforehand, committed one
            // transaction a page into fresh tables, nothing else running.
            let pages: Vec<Changes> = {
                let events = rt.block_on(read_everything(store.as_ref()));
                let mut all = kinerja::projections::all();
                events
                    .chunks(20_000)
                    .map(|chunk| fold_page(&mut all, chunk))
                    .collect()
            };
            let tables: std::collections::HashMap<
                &'static str,
                &'static kinerja::projections::TableDef,
            > = kinerja::projections::all()
                .iter()
                .flat_map(|p| p.tables().iter())
                .map(|t| (t.name, t))
                .collect();
            let commit = median_of(runs, || {
                rt.block_on(async {
                    for p in kinerja::projections::all() {
                        db.reinstall(p.as_ref()).await.unwrap();
                    }
                });
                let pages = pages.clone();
                let start = Instant::now();
                rt.block_on(async {
                    for changes in pages {
                        assert!(db.commit(&tables, changes, &[]).await.unwrap());
                    }
                });
                start.elapsed()
            });
            report_rebuild(&format!("{name}/commit_only"), commit, total, Some(read));
            drop(pages);
        }
        let mut projector = rt.block_on(Projector::new(db, store.clone())).unwrap();
        projector.page = 20_000;
        let rebuilt = median_of(runs, || {
            let start = Instant::now();
            rt.block_on(projector.rebuild(None, |_| {})).unwrap();
            start.elapsed()
        });
        report_rebuild(&format!("{name}/projector"), rebuilt, total, Some(read));
        rt.block_on(store.shutdown());
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn scorecard_query(c: &mut Criterion) {
    if !part_wanted("scorecard") {
        return;
    }
    let rt = runtime();
    let n = events_wanted();
    let mut backends = vec![("sqlite", rt.block_on(sqlite_domain_log(n)))];
    if let Some(pg) = rt.block_on(postgres_domain_log(n)) {
        backends.push(("postgres", pg));
    }
    let config = DomainConfig::default();
    let mut g = c.benchmark_group("scorecard");
    for (name, url) in &backends {
        let (store, db) = rt.block_on(open(url));
        let projector = Arc::new(
            rt.block_on(Projector::new(db.clone(), store.clone()))
                .unwrap(),
        );
        rt.block_on(projector.catch_up(|_| {})).unwrap();
        let year = 2016;
        let mut i = 0u32;
        let mut next = move || {
            i = (i + 2_654_435_761u32.wrapping_mul(7)) % OFFICERS;
            nip(i).as_str().to_string()
        };
        let pk = "select doc from rm_officer where k = $1";
        g.bench_function(format!("{name}/query"), |b| {
            b.iter(|| {
                let who = next();
                rt.block_on(scorecard::scorecard(&db, &config, &who, year, Period::Tw2))
                    .unwrap()
                    .unwrap()
            });
        });
        g.bench_function(format!("{name}/pk_lookup"), |b| {
            b.iter(|| {
                let who = next();
                rt.block_on(db.docs(pk, &[Val::Text(Some(who))])).unwrap()
            });
        });
        // Latency distribution of single calls.
        for what in ["query", "pk_lookup"] {
            let mut lat = Vec::with_capacity(20_000);
            for _ in 0..20_000 {
                let who = next();
                let start = Instant::now();
                if what == "query" {
                    rt.block_on(scorecard::scorecard(&db, &config, &who, year, Period::Tw2))
                        .unwrap();
                } else {
                    rt.block_on(db.docs(pk, &[Val::Text(Some(who))])).unwrap();
                }
                lat.push(start.elapsed());
            }
            lat.sort();
            println!(
                "latency scorecard/{name}/{what}: p50 {:?} p99 {:?} max {:?} (20000 calls)",
                percentile(&lat, 0.50),
                percentile(&lat, 0.99),
                lat[lat.len() - 1]
            );
        }
        // The dashboard of a unit (150 officers): from the read model (every SKP document
        // parsed) vs from the cache that the HTTP layer serves it from.
        let cache = DashboardCache::new(projector.clone());
        let at = projector.position();
        let unit = unit_code(7);
        for (what, calls) in [("uncached", 200), ("cached", 2_000)] {
            let mut lat = Vec::with_capacity(calls);
            for _ in 0..calls {
                let start = Instant::now();
                let d = if what == "cached" {
                    rt.block_on(cache.dashboard(&config, at, &unit, year, Period::Tw2, Utc::now()))
                } else {
                    rt.block_on(dashboard::dashboard(
                        &db,
                        &config,
                        &unit,
                        year,
                        Period::Tw2,
                        Utc::now(),
                    ))
                };
                assert!(d.unwrap().is_some());
                lat.push(start.elapsed());
            }
            lat.sort();
            println!(
                "latency dashboard/{name}/{what}: p50 {:?} p99 {:?} max {:?} ({calls} calls)",
                percentile(&lat, 0.50),
                percentile(&lat, 0.99),
                lat[lat.len() - 1]
            );
        }
        rt.block_on(store.shutdown());
    }
    g.finish();
}

// ------------------------------------------------------------------------------------------------
// Live feed: command acknowledged → live-feed event received
// ------------------------------------------------------------------------------------------------

/// Officers who file reports in the live-feed bench (each gets a token).
const LIVE_OFFICERS: u32 = 200;

/// One HTTP/1.1 request on a fresh loopback connection: (status, JSON body).
async fn http(
    port: u16,
    method: &str,
    path: &str,
    token: &str,
    body: &str,
) -> (u16, serde_json::Value) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    s.set_nodelay(true).unwrap();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nhost: localhost\r\nauthorization: Bearer {token}\r\n\
         content-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(request.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.unwrap();
    let text = String::from_utf8_lossy(&out);
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let json = text
        .split_once("\r\n\r\n")
        .and_then(|(_, b)| serde_json::from_str(b).ok())
        .unwrap_or(serde_json::Value::Null);
    (status, json)
}

/// Follow the live feed: the arrival time and event id (the committed position) of every event.
async fn follow_live(
    port: u16,
    path: String,
    token: String,
    seen: Arc<std::sync::Mutex<Vec<(Instant, u64)>>>,
    ready: tokio::sync::oneshot::Sender<()>,
) {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    s.set_nodelay(true).unwrap();
    let request = format!(
        "GET {path} HTTP/1.1\r\nhost: localhost\r\nauthorization: Bearer {token}\r\n\
         accept: text/event-stream\r\n\r\n"
    );
    s.write_all(request.as_bytes()).await.unwrap();
    let mut lines = tokio::io::BufReader::new(s).lines();
    let mut ready = Some(ready);
    // Chunk-size lines of the chunked body are skipped with everything else that is not an id.
    while let Ok(Some(line)) = lines.next_line().await {
        if let Some(id) = line.strip_prefix("id:") {
            let at = Instant::now();
            if let Ok(p) = id.trim().parse() {
                seen.lock().unwrap().push((at, p));
            }
            if let Some(r) = ready.take() {
                let _ = r.send(());
            }
        }
    }
}

/// The clients of [`live_feed`]: an admin following the feed from `feed_path`, and
/// `rate × secs` reports filed open loop by the officers in turn; (start, acknowledged,
/// position) of each command, once the feed has had 2 s more.
#[allow(clippy::too_many_arguments)]
async fn file_reports(
    port: u16,
    feed_path: String,
    admin: String,
    officers: Vec<(u32, String)>,
    seen: Arc<std::sync::Mutex<Vec<(Instant, u64)>>>,
    rate: u64,
    secs: u64,
    year: i32,
    period: Period,
) -> Vec<(Instant, Instant, u64)> {
    let (ready, is_ready) = tokio::sync::oneshot::channel();
    let feed = tokio::spawn(follow_live(port, feed_path, admin, seen, ready));
    is_ready.await.unwrap();
    let mut tick = tokio::time::interval(Duration::from_nanos(1_000_000_000 / rate.max(1)));
    let mut sent = Vec::new();
    for k in 0..rate * secs {
        tick.tick().await;
        let (i, token) = officers[(k % u64::from(LIVE_OFFICERS)) as usize].clone();
        let body = serde_json::json!({
            "indicator_id": Uuid::from_u128(u128::from(i) << 32),
            "period": period_code(period),
            "realised": {"value": k % 7, "unit": "Dokumen"},
            "evidence": [{"uri": "https://arsip/bukti.pdf", "sha256": "ab".repeat(32),
                          "media_type": "application/pdf"}],
        })
        .to_string();
        let path = format!("/api/v1/officers/{}/plans/{year}/reports", nip(i));
        sent.push(tokio::spawn(async move {
            let start = Instant::now();
            let (status, answer) = http(port, "POST", &path, &token, &body).await;
            let acked = Instant::now();
            assert!(
                (200..300).contains(&status),
                "filing a report: {status} {answer}"
            );
            (start, acked, answer["position"].as_u64().unwrap())
        }));
    }
    let mut acks = Vec::new();
    for s in sent {
        acks.push(s.await.unwrap());
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    feed.abort();
    acks
}

fn print_latencies(what: &str, mut lat: Vec<Duration>) {
    lat.sort();
    if lat.is_empty() {
        println!("latency {what}: no samples");
        return;
    }
    println!(
        "latency {what}: p50 {:?} p95 {:?} p99 {:?} max {:?} ({} samples)",
        percentile(&lat, 0.50),
        percentile(&lat, 0.95),
        percentile(&lat, 0.99),
        lat[lat.len() - 1],
        lat.len()
    );
}

/// Reports filed over HTTP at `KINERJA_BENCH_LIVE_RATE` (default 200) per second for
/// `KINERJA_BENCH_LIVE_SECS` (default 10) seconds against the service in process (SQLite, 6,001
/// officers with an approved SKP of this year), an admin following `GET /api/v1/live`. Printed:
/// the command's own round trip (the baseline) and the time from its acknowledgement to the
/// first live-feed event at or after its position.
fn live_feed(_c: &mut Criterion) {
    use chrono::Datelike;
    if !part_wanted("live") {
        return;
    }
    let rt = runtime();
    let rate: u64 = std::env::var("KINERJA_BENCH_LIVE_RATE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let secs: u64 = std::env::var("KINERJA_BENCH_LIVE_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10);
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/live.db", dir.path().display());
    let now = Utc::now();
    let year = now.year();
    let period = [Period::Tw1, Period::Tw2, Period::Tw3, Period::Tw4][(now.month0() / 3) as usize];
    rt.block_on(async {
        let store: Arc<dyn EventStore> = Arc::new(
            SqliteStore::open(&url, WriterOptions::default())
                .await
                .unwrap(),
        );
        let mut batches = unit_batches();
        batches.extend(officer_batches());
        let mut base = append_all(&store, batches).await;
        let plans = (0..=OFFICERS)
            .map(|i| {
                let (stream, mut events) = plan_batch(i, year);
                events.truncate(5); // drafted, two results, submitted, approved
                (stream, events)
            })
            .collect();
        base += append_all(&store, plans).await;
        let app = kinerja::app::App::new(store.clone());
        let staff = kinerja::domain::access::Subject::Staff {
            role: kinerja::domain::access::StaffRole::Admin,
            name: "bkpsdm".into(),
        };
        let meta = kinerja::app::Meta::default();
        let (admin, ..) = app.issue_token(staff, &meta).await.unwrap();
        let officers: Vec<(u32, String)> = futures::future::join_all((0..LIVE_OFFICERS).map(|k| {
            let (app, meta) = (app.clone(), meta.clone());
            async move {
                let i = k * (OFFICERS / LIVE_OFFICERS);
                let subject = kinerja::domain::access::Subject::Officer { nip: nip(i) };
                (i, app.issue_token(subject, &meta).await.unwrap().0)
            }
        }))
        .await;
        // The read models caught up before the service starts (it restores them).
        let projector = Projector::new(ReadDb::open(&url).await.unwrap(), store.clone())
            .await
            .unwrap();
        projector.catch_up(|_| {}).await.unwrap();
        drop(projector);
        eprintln!(
            "live feed: {base} events, {LIVE_OFFICERS} officers filing at {rate}/s for {secs} s"
        );
        let service = kinerja::http::Application::with_store(
            store.clone(),
            kinerja::http::ServeOptions {
                listen: "127.0.0.1:0".parse().unwrap(),
                database_url: url.clone(),
                read_database_url: None,
                signing_key: None,
                signer: Default::default(),
            },
        )
        .await
        .unwrap();
        let port = service.port();
        // When the read models committed each position (the projector's part of the latency).
        let committed = Arc::new(std::sync::Mutex::new(Vec::new()));
        let watcher = {
            let mut watch = service.state().projector.clone().unwrap().committed();
            let committed = committed.clone();
            tokio::spawn(async move {
                while watch.changed().await.is_ok() {
                    let p = *watch.borrow_and_update();
                    committed.lock().unwrap().push((Instant::now(), p));
                }
            })
        };
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let serving = tokio::spawn(service.run_until(async {
            let _ = stopped.await;
        }));
        // The clients (the feed's follower and the officers filing) run on a runtime of their
        // own, on a thread of their own, as a browser would in a process of its own: an event
        // is timed when it reaches the client, not when the service's busy workers get round
        // to the client's task.
        let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
        let client = {
            let seen = seen.clone();
            let feed_path = format!("/api/v1/live?year={year}&period={}", period_code(period));
            std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                rt.block_on(file_reports(
                    port, feed_path, admin, officers, seen, rate, secs, year, period,
                ))
            })
        };
        let acks = tokio::task::spawn_blocking(move || client.join().unwrap())
            .await
            .unwrap();
        let _ = stop.send(());
        let _ = serving.await;
        watcher.abort();
        let seen = seen.lock().unwrap().clone();
        let committed = committed.lock().unwrap().clone();
        let mut round_trip = Vec::new();
        let mut to_commit = Vec::new();
        let mut to_feed = Vec::new();
        let mut missed = 0;
        for (start, acked, position) in acks {
            round_trip.push(acked - start);
            if let Some((at, _)) = committed.iter().find(|(_, p)| *p >= position) {
                to_commit.push(at.saturating_duration_since(acked));
            }
            match seen.iter().find(|(_, p)| *p >= position) {
                Some((at, _)) => to_feed.push(at.saturating_duration_since(acked)),
                None => missed += 1,
            }
        }
        print_latencies(&format!("live/command_round_trip ({rate}/s)"), round_trip);
        print_latencies(
            &format!("live/ack_to_read_model_commit ({rate}/s)"),
            to_commit,
        );
        print_latencies(&format!("live/ack_to_feed_event ({rate}/s)"), to_feed);
        // The feed's own part: from the commit of a feed event's position to its arrival.
        let commit_to_feed: Vec<Duration> = seen
            .iter()
            .filter_map(|(at, p)| {
                let (c, _) = committed.iter().find(|(_, c)| *c >= *p)?;
                Some(at.saturating_duration_since(*c))
            })
            .collect();
        print_latencies(
            &format!("live/commit_to_feed_event, per feed event ({rate}/s)"),
            commit_to_feed,
        );
        println!(
            "live feed: {} events received, {missed} commands never seen",
            seen.len()
        );
    });
}

fn period_code(p: Period) -> &'static str {
    kinerja::projections::docs::period_code(p)
}

criterion_group!(benches, rebuild, scorecard_query, live_feed);
criterion_main!(benches);

//! A deterministic demo city (`kinerja seed --demo`): units, officers, appraisers and a full SKP
//! cycle per officer, written through the application layer ([`App`]) exactly as the API would:
//! every command is decided by the domain and appended with its expected revision. Nothing here
//! writes rows directly.
//!
//! Content is a pure function of the options (the seed): each officer's details come from an RNG
//! seeded with `(seed, index)`, so running officers concurrently changes only the interleaving in
//! the global log, never a stream's contents. With `concurrency: 1` the global order is fixed too.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};
use futures::StreamExt;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use uuid::Uuid;

use crate::app::plans::PlanRef;
use crate::app::{App, Meta, stream};
use crate::domain::officer::OfficerCommand;
use crate::domain::plan::{
    BehaviourFeedback, FeedbackTarget, Indicator, PlanCommand, Realisation, ResultPlan,
    ResultRating,
};
use crate::domain::unit::{self, UnitCommand, UnitContext, UnitKind};
use crate::domain::values::{
    Aspek, BerAkhlak, EmploymentType, Evidence, FunctionalLevel, JenisRhk, Milli, Pendekatan,
    PositionKind, Quantity, Rating,
};
use crate::domain::{Actor, ActorId, Nip, Period, Role, UnitCode, UnitEvent, Year};

pub mod names;

/// What to seed.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// Number of officers.
    pub officers: usize,
    /// Number of plan years, ending with the current year − 1.
    pub years: u32,
    /// RNG seed.
    pub seed: u64,
    /// Officers processed concurrently.
    pub concurrency: usize,
    /// Show a progress bar on stderr.
    pub progress: bool,
    /// The current year (the last plan year is this − 1).
    pub current_year: i32,
}

impl Default for DemoOptions {
    fn default() -> Self {
        Self {
            officers: 6_500,
            years: 1,
            seed: 2026,
            concurrency: 32,
            progress: false,
            current_year: Utc::now().year(),
        }
    }
}

/// What was seeded.
#[derive(Debug, Clone)]
pub struct DemoSummary {
    pub units: usize,
    pub officers: usize,
    pub plans: usize,
    pub events: u64,
    pub elapsed: Duration,
    /// A sample of officers (NIP) and their appraisers, for tokens.
    pub sample: Vec<(Nip, Option<Nip>)>,
    /// Plan years.
    pub years: Vec<Year>,
}

/// One unit of the demo city.
#[derive(Debug, Clone)]
pub struct DemoUnit {
    pub code: &'static str,
    pub name: &'static str,
    pub kind: UnitKind,
    pub parent: Option<&'static str>,
    /// Relative share of officers.
    pub weight: u32,
}

const fn u(
    code: &'static str,
    name: &'static str,
    kind: UnitKind,
    parent: Option<&'static str>,
    weight: u32,
) -> DemoUnit {
    DemoUnit {
        code,
        name,
        kind,
        parent,
        weight,
    }
}

/// About 40 units under PEMKO, parents before children.
pub fn units() -> Vec<DemoUnit> {
    use UnitKind as K;
    let p = Some("PEMKO");
    vec![
        u("PEMKO", "Pemerintah Kota Lhokseumawe", K::Pemko, None, 0),
        u(
            "SETDA",
            "Sekretariat Daerah Kota Lhokseumawe",
            K::Sekretariat,
            p,
            6,
        ),
        u(
            "SETDPRK",
            "Sekretariat DPRK Lhokseumawe",
            K::Sekretariat,
            p,
            3,
        ),
        u(
            "INSPEKTORAT",
            "Inspektorat Kota Lhokseumawe",
            K::Inspektorat,
            p,
            3,
        ),
        u(
            "BKPSDM",
            "Badan Kepegawaian dan Pengembangan Sumber Daya Manusia",
            K::Badan,
            p,
            3,
        ),
        u(
            "BAPPEDA",
            "Badan Perencanaan Pembangunan Daerah",
            K::Badan,
            p,
            3,
        ),
        u("BPKD", "Badan Pengelolaan Keuangan Daerah", K::Badan, p, 4),
        u(
            "BPBD",
            "Badan Penanggulangan Bencana Daerah",
            K::Badan,
            p,
            2,
        ),
        u(
            "DISDIKBUD",
            "Dinas Pendidikan dan Kebudayaan",
            K::Dinas,
            p,
            4,
        ),
        u("DINKES", "Dinas Kesehatan", K::Dinas, p, 4),
        u(
            "DISKOMINFO",
            "Dinas Komunikasi, Informatika dan Persandian",
            K::Dinas,
            p,
            2,
        ),
        u(
            "DISDUKCAPIL",
            "Dinas Kependudukan dan Pencatatan Sipil",
            K::Dinas,
            p,
            3,
        ),
        u(
            "DPMPTSP",
            "Dinas Penanaman Modal dan Pelayanan Terpadu Satu Pintu",
            K::Dinas,
            p,
            2,
        ),
        u(
            "DPUPR",
            "Dinas Pekerjaan Umum dan Penataan Ruang",
            K::Dinas,
            p,
            3,
        ),
        u("DISHUB", "Dinas Perhubungan", K::Dinas, p, 2),
        u(
            "DLHK",
            "Dinas Lingkungan Hidup dan Kebersihan",
            K::Dinas,
            p,
            3,
        ),
        u("DINSOS", "Dinas Sosial", K::Dinas, p, 2),
        u(
            "DKPP",
            "Dinas Kelautan, Perikanan dan Pertanian",
            K::Dinas,
            p,
            2,
        ),
        u(
            "DISPERINDAG",
            "Dinas Perindustrian dan Perdagangan",
            K::Dinas,
            p,
            2,
        ),
        u(
            "SATPOLPP-WH",
            "Satuan Polisi Pamong Praja dan Wilayatul Hisbah",
            K::Kantor,
            p,
            4,
        ),
        u("DSI", "Dinas Syariat Islam", K::Dinas, p, 2),
        u(
            "KEC.BANDA-SAKTI",
            "Kecamatan Banda Sakti",
            K::Kecamatan,
            p,
            3,
        ),
        u("KEC.MUARA-DUA", "Kecamatan Muara Dua", K::Kecamatan, p, 3),
        u("KEC.MUARA-SATU", "Kecamatan Muara Satu", K::Kecamatan, p, 3),
        u(
            "KEC.BLANG-MANGAT",
            "Kecamatan Blang Mangat",
            K::Kecamatan,
            p,
            3,
        ),
        u("RSUD-CUT-MUTIA", "RSUD Cut Meutia", K::RumahSakit, p, 12),
        u(
            "PKM.BANDA-SAKTI",
            "Puskesmas Banda Sakti",
            K::Puskesmas,
            Some("DINKES"),
            5,
        ),
        u(
            "PKM.MUARA-DUA",
            "Puskesmas Muara Dua",
            K::Puskesmas,
            Some("DINKES"),
            5,
        ),
        u(
            "PKM.MUARA-SATU",
            "Puskesmas Muara Satu",
            K::Puskesmas,
            Some("DINKES"),
            4,
        ),
        u(
            "PKM.BLANG-MANGAT",
            "Puskesmas Blang Mangat",
            K::Puskesmas,
            Some("DINKES"),
            4,
        ),
        u(
            "PKM.MON-GEUDONG",
            "Puskesmas Mon Geudong",
            K::Puskesmas,
            Some("DINKES"),
            4,
        ),
        u(
            "PKM.BLANG-CUT",
            "Puskesmas Blang Cut",
            K::Puskesmas,
            Some("DINKES"),
            3,
        ),
        u(
            "SMPN-1",
            "SMP Negeri 1 Lhokseumawe",
            K::Sekolah,
            Some("DISDIKBUD"),
            5,
        ),
        u(
            "SMPN-2",
            "SMP Negeri 2 Lhokseumawe",
            K::Sekolah,
            Some("DISDIKBUD"),
            5,
        ),
        u(
            "SMPN-3",
            "SMP Negeri 3 Lhokseumawe",
            K::Sekolah,
            Some("DISDIKBUD"),
            4,
        ),
        u(
            "SMPN-4",
            "SMP Negeri 4 Lhokseumawe",
            K::Sekolah,
            Some("DISDIKBUD"),
            4,
        ),
        u(
            "SDN-1",
            "SD Negeri 1 Banda Sakti",
            K::Sekolah,
            Some("DISDIKBUD"),
            3,
        ),
        u(
            "SDN-2",
            "SD Negeri 2 Muara Dua",
            K::Sekolah,
            Some("DISDIKBUD"),
            3,
        ),
        u(
            "SDN-3",
            "SD Negeri 3 Blang Mangat",
            K::Sekolah,
            Some("DISDIKBUD"),
            3,
        ),
        u(
            "SDN-4",
            "SD Negeri 4 Muara Satu",
            K::Sekolah,
            Some("DISDIKBUD"),
            3,
        ),
        u(
            "UPTD-PASAR",
            "UPTD Pasar Inpres Lhokseumawe",
            K::Uptd,
            Some("DISPERINDAG"),
            2,
        ),
    ]
}

/// One generated officer.
#[derive(Debug, Clone)]
pub struct DemoOfficer {
    pub index: usize,
    pub nip: Nip,
    pub name: String,
    pub golongan: String,
    pub employment: EmploymentType,
    pub unit: usize,
    pub position: String,
    pub kind: PositionKind,
    /// Index of the pejabat penilai (None: a staff account, the Wali Kota).
    pub penilai: Option<usize>,
}

/// The generated city: units and officers.
pub struct City {
    pub units: Vec<DemoUnit>,
    pub officers: Vec<DemoOfficer>,
}

fn officer_rng(seed: u64, index: usize) -> StdRng {
    StdRng::seed_from_u64(seed ^ (index as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15))
}

fn uuid_from(rng: &mut StdRng) -> Uuid {
    uuid::Builder::from_random_bytes(rng.r#gen()).into_uuid()
}

/// Generate the city for `opts` (pure).
pub fn city(opts: &DemoOptions) -> City {
    let units = units();
    let total_w: u32 = units.iter().map(|u| u.weight).sum();
    // Officers per unit: proportional to weight, at least one where the weight is positive
    // (when there are enough officers); the remainder to the largest unit.
    let n = opts.officers.max(1);
    let mut counts: Vec<usize> = units
        .iter()
        .map(|u| n * u.weight as usize / total_w as usize)
        .collect();
    if n >= units.len() {
        for (c, unit) in counts.iter_mut().zip(&units) {
            if unit.weight > 0 && *c == 0 {
                *c = 1;
            }
        }
    }
    counts[1] = counts[1].max(1); // SETDA holds the Sekda
    let mut sum: usize = counts.iter().sum();
    let biggest = (0..units.len())
        .max_by_key(|&i| units[i].weight)
        .unwrap_or(1);
    while sum > n {
        let i = (0..units.len())
            .max_by_key(|&i| counts[i])
            .unwrap_or(biggest);
        counts[i] -= 1;
        sum -= 1;
    }
    counts[biggest] += n - sum;

    let mut officers = Vec::with_capacity(n);
    let mut nips = HashSet::new();
    let mut heads: Vec<Option<usize>> = vec![None; units.len()];
    let sekda = 0usize;
    for (ui, &count) in counts.iter().enumerate() {
        let pengawas = if count >= 3 { (count / 15).max(1) } else { 0 };
        let first = officers.len();
        for j in 0..count {
            let index = officers.len();
            let mut rng = officer_rng(opts.seed, index);
            let unit = &units[ui];
            let (kind, position, penilai) = if j == 0 {
                let kind = match unit.kind {
                    UnitKind::Sekretariat
                    | UnitKind::Dinas
                    | UnitKind::Badan
                    | UnitKind::Inspektorat
                    | UnitKind::RumahSakit => PositionKind::Jpt,
                    UnitKind::Kecamatan | UnitKind::Kantor => PositionKind::Administrator,
                    _ => PositionKind::Pengawas,
                };
                let title = match unit.kind {
                    UnitKind::Sekretariat if ui == 1 => "Sekretaris Daerah".to_string(),
                    UnitKind::Sekretariat => "Sekretaris DPRK".to_string(),
                    UnitKind::Kecamatan => format!("Camat {}", &unit.name[10..]),
                    UnitKind::Puskesmas => format!("Kepala {}", unit.name),
                    UnitKind::Sekolah => format!("Kepala {}", unit.name),
                    UnitKind::Inspektorat => "Inspektur".to_string(),
                    _ => format!("Kepala {}", unit.name),
                };
                let penilai = if index == sekda {
                    None
                } else {
                    // Units under a dinas answer to its head; the others to the Sekda.
                    unit.parent
                        .and_then(|p| units.iter().position(|x| x.code == p))
                        .and_then(|pi| heads[pi])
                        .or(Some(sekda))
                };
                (kind, title, penilai)
            } else if j <= pengawas {
                let title = names::PENGAWAS[rng.gen_range(0..names::PENGAWAS.len())];
                (PositionKind::Pengawas, title.to_string(), Some(first))
            } else {
                let sup = if pengawas == 0 {
                    first
                } else {
                    first + 1 + (j % pengawas)
                };
                let (kind, title) = staff_post(unit.kind, &mut rng);
                (kind, title, Some(sup))
            };
            let employment = if matches!(kind, PositionKind::Fungsional(_)) && rng.gen_bool(0.35)
                || (kind == PositionKind::Pelaksana && rng.gen_bool(0.2))
            {
                EmploymentType::Pppk
            } else {
                EmploymentType::Pns
            };
            let female = rng.gen_bool(0.5);
            let nip = loop {
                let candidate = gen_nip(&mut rng, kind, employment, female);
                if nips.insert(candidate.clone()) {
                    break candidate;
                }
            };
            let name = names::person(&mut rng, female, kind);
            let golongan = names::golongan(&mut rng, kind, employment);
            officers.push(DemoOfficer {
                index,
                nip,
                name,
                golongan,
                employment,
                unit: ui,
                position,
                kind,
                penilai,
            });
        }
        if count > 0 {
            heads[ui] = Some(first);
        }
    }
    City { units, officers }
}

fn staff_post(kind: UnitKind, rng: &mut StdRng) -> (PositionKind, String) {
    use FunctionalLevel as L;
    let f = |l, t: &str| (PositionKind::Fungsional(l), t.to_string());
    let pick = rng.gen_range(0..10);
    match kind {
        UnitKind::Sekolah => match pick {
            0..=2 => f(L::AhliMuda, "Guru Ahli Muda"),
            3..=6 => f(L::AhliPertama, "Guru Ahli Pertama"),
            7 => f(L::AhliMadya, "Guru Ahli Madya"),
            _ => (PositionKind::Pelaksana, "Pengadministrasi Sekolah".into()),
        },
        UnitKind::Puskesmas | UnitKind::RumahSakit => match pick {
            0..=2 => f(L::Terampil, "Perawat Terampil"),
            3 => f(L::Mahir, "Perawat Mahir"),
            4 => f(L::Penyelia, "Bidan Penyelia"),
            5 => f(L::AhliPertama, "Dokter Ahli Pertama"),
            6 => f(L::AhliMuda, "Dokter Ahli Muda"),
            7 => f(L::Pemula, "Pranata Laboratorium Kesehatan Pemula"),
            _ => (PositionKind::Pelaksana, "Pengadministrasi Umum".into()),
        },
        _ => match pick {
            0 => f(L::AhliMuda, "Analis Kebijakan Ahli Muda"),
            1 => f(L::AhliPertama, "Pranata Komputer Ahli Pertama"),
            2 => f(L::AhliUtama, "Auditor Ahli Utama"),
            3 => f(L::Mahir, "Arsiparis Mahir"),
            _ => (
                PositionKind::Pelaksana,
                names::PELAKSANA[rng.gen_range(0..names::PELAKSANA.len())].into(),
            ),
        },
    }
}

fn gen_nip(rng: &mut StdRng, kind: PositionKind, employment: EmploymentType, female: bool) -> Nip {
    let (lo, hi) = match kind {
        PositionKind::Jpt => (1966, 1976),
        PositionKind::Administrator => (1970, 1982),
        PositionKind::Pengawas => (1972, 1988),
        _ => (1975, 1999),
    };
    loop {
        let by = rng.gen_range(lo..=hi);
        let bm = rng.gen_range(1..=12);
        let bd = rng.gen_range(1..=28);
        let ay = if employment == EmploymentType::Pppk {
            rng.gen_range(2021..=2024)
        } else {
            (by + rng.gen_range(22..=30)).min(2023)
        };
        let am = if employment == EmploymentType::Pppk {
            rng.gen_range(1..=12)
        } else {
            [1, 3, 4, 12][rng.gen_range(0..4)]
        };
        let s = format!(
            "{by:04}{bm:02}{bd:02}{ay:04}{am:02}{}{:03}",
            if female { 2 } else { 1 },
            rng.gen_range(1..=999)
        );
        if let Ok(nip) = Nip::parse(&s) {
            return nip;
        }
    }
}

/// The text of an officer's main RHK (also what subordinates cascade from).
fn rhk_text(city: &City, o: &DemoOfficer) -> String {
    let unit = &city.units[o.unit];
    match o.kind {
        PositionKind::Jpt => format!("Meningkatnya kinerja layanan {}", unit.name),
        PositionKind::Administrator | PositionKind::Pengawas => {
            format!("Terlaksananya program {} pada {}", o.position, unit.name)
        }
        _ => format!("Tersusunnya laporan pelaksanaan tugas {}", o.position),
    }
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or(NaiveDate::MIN)
}

fn at(date: NaiveDate, hour: u32) -> DateTime<Utc> {
    Utc.from_utc_datetime(&date.and_hms_opt(hour, 0, 0).unwrap_or_default())
}

fn meta(actor: &Actor) -> Meta {
    Meta {
        actor: Some(actor.clone()),
        request_id: Some("seed-demo".into()),
        ..Meta::default()
    }
}

fn staff(name: &str, role: Role) -> Actor {
    Actor::staff(name, role)
}

fn actor_id(city: &City, i: Option<usize>) -> ActorId {
    match i {
        Some(i) => ActorId::Nip(city.officers[i].nip.clone()),
        None => ActorId::Staff("walikota-lhokseumawe".into()),
    }
}

/// Seed the demo city into `app`'s store.
pub async fn seed(app: &App, opts: &DemoOptions) -> anyhow::Result<DemoSummary> {
    let started = Instant::now();
    let before = app.store.head().await?.position;
    let city = city(opts);
    let admin = staff("seed:bkpsdm", Role::Admin);
    let first_year = opts.current_year - i32::try_from(opts.years.max(1)).unwrap_or(1);
    let years: Vec<Year> = (first_year..opts.current_year)
        .map(Year::new)
        .collect::<Result<_, _>>()?;
    let t0 = at(day(first_year, 1, 2), 8);

    // 1. Units, parents first.
    for unit in &city.units {
        let code = UnitCode::parse(unit.code)?;
        let parent = unit.parent.map(UnitCode::parse).transpose()?;
        let command = UnitCommand::RegisterUnit {
            code: code.clone(),
            name: unit.name.to_string(),
            kind: unit.kind,
            parent,
        };
        let config = app.config.clone();
        app.execute::<UnitEvent>(&stream(unit::stream_id(&code))?, &meta(&admin), t0, |s| {
            let ctx = UnitContext {
                config: &config,
                at: t0,
                actor: &admin,
                parent: None,
                employee_predikat: &[],
            };
            unit::decide(s, &command, &ctx)
        })
        .await
        .with_context(|| format!("unit {}", unit.code))?;
    }

    let bar = if opts.progress {
        let bar = indicatif::ProgressBar::new((city.officers.len() * (1 + years.len())) as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{msg:12} [{elapsed_precise}] {wide_bar} {pos}/{len} ({per_sec}, eta {eta})",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    } else {
        indicatif::ProgressBar::hidden()
    };

    // 2. Officers and their appraisers.
    bar.set_message("pegawai");
    let conc = opts.concurrency.max(1);
    let city_ref = &city;
    let admin_ref = &admin;
    let bar_ref = &bar;
    let results: Vec<anyhow::Result<()>> = futures::stream::iter(city.officers.iter())
        .map(|o| async move {
            register(app, city_ref, o, admin_ref, t0).await?;
            bar_ref.inc(1);
            Ok(())
        })
        .buffer_unordered(conc)
        .collect()
        .await;
    results.into_iter().collect::<anyhow::Result<()>>()?;

    // 3. A full SKP cycle per officer and year.
    let mut plans = 0;
    for &year in &years {
        bar.set_message(format!("SKP {year}"));
        let results: Vec<anyhow::Result<()>> = futures::stream::iter(city.officers.iter())
            .map(|o| async move {
                cycle(app, city_ref, o, year, opts.seed).await?;
                bar_ref.inc(1);
                Ok(())
            })
            .buffer_unordered(conc)
            .collect()
            .await;
        results.into_iter().collect::<anyhow::Result<()>>()?;
        plans += city.officers.len();
    }
    bar.finish_and_clear();

    let after = app.store.head().await?.position;
    let sample = city
        .officers
        .iter()
        .step_by((city.officers.len() / 20).max(1))
        .map(|o| {
            (
                o.nip.clone(),
                o.penilai.map(|p| city.officers[p].nip.clone()),
            )
        })
        .collect();
    Ok(DemoSummary {
        units: city.units.len(),
        officers: city.officers.len(),
        plans,
        events: after - before,
        elapsed: started.elapsed(),
        sample,
        years,
    })
}

async fn register(
    app: &App,
    city: &City,
    o: &DemoOfficer,
    admin: &Actor,
    t0: DateTime<Utc>,
) -> anyhow::Result<()> {
    let unit = &city.units[o.unit];
    let input = crate::app::officers::NewOfficer {
        nip: o.nip.to_string(),
        name: o.name.clone(),
        golongan: o.golongan.clone(),
        employment: o.employment,
        unit: unit.code.to_string(),
        position: o.position.clone(),
        kind: o.kind,
    };
    let m = meta(admin);
    app.register_officer(&input, &m, t0)
        .await
        .with_context(|| format!("register {}", o.nip))?;
    let penilai = actor_id(city, o.penilai);
    let atasan = match o.penilai {
        Some(p) => match city.officers[p].penilai {
            Some(pp) => actor_id(city, Some(pp)),
            None => actor_id(city, None),
        },
        None => ActorId::Staff("gubernur-aceh".into()),
    };
    let command = OfficerCommand::AssignAppraiser {
        penilai,
        atasan,
        from: t0.date_naive().with_day(1).unwrap_or(t0.date_naive()),
        until: None,
        reason: Some("Penetapan pejabat penilai kinerja".into()),
    };
    app.officer_command(&o.nip, &command, &m, t0)
        .await
        .with_context(|| format!("assign {}", o.nip))?;
    Ok(())
}

fn evidence(rng: &mut StdRng, nip: &Nip, year: Year, q: usize) -> anyhow::Result<Evidence> {
    let hash: [u8; 32] = rng.r#gen();
    Ok(Evidence::new(
        &format!("https://arsip.lhokseumawekota.go.id/skp/{nip}/{year}/tw{q}.pdf"),
        &hex::encode(hash),
        "application/pdf",
    )?)
}

/// Draft, plan, submit, approve, report four quarters, feedback, evaluate.
async fn cycle(
    app: &App,
    city: &City,
    o: &DemoOfficer,
    year: Year,
    seed: u64,
) -> anyhow::Result<()> {
    let mut rng = officer_rng(seed ^ u64::try_from(year.get()).unwrap_or(0), o.index);
    let y = year.get();
    let me = Actor::officer(o.nip.clone(), Role::Pegawai);
    let appraiser = match o.penilai {
        Some(p) => Actor::officer(city.officers[p].nip.clone(), Role::Penilai),
        None => staff("walikota-lhokseumawe", Role::Penilai),
    };
    let r = PlanRef {
        nip: o.nip.clone(),
        year,
        seq: Some(1),
    };
    let ctx = |e: anyhow::Error, what: &str| e.context(format!("{what} {} {year}", o.nip));
    let run = |cmd: PlanCommand, actor: Actor, when: DateTime<Utc>| {
        let r = r.clone();
        async move {
            let m = meta(&actor);
            app.plan_command(&r, cmd, &actor, &m, when).await
        }
    };
    let t_draft = at(day(y, 1, 6 + rng.gen_range(0..5)), 9);
    run(
        PlanCommand::DraftPlan {
            nip: o.nip.clone(),
            year,
            seq: 1,
            approach: Pendekatan::Kuantitatif,
        },
        me.clone(),
        t_draft,
    )
    .await
    .map_err(|e| ctx(e.into(), "draft"))?;

    let superior = o.penilai.map(|p| rhk_text(city, &city.officers[p]));
    let units_of = ["dokumen", "laporan", "kegiatan", "orang"];
    let mut results = Vec::new();
    for (k, jenis) in [JenisRhk::Utama, JenisRhk::Tambahan]
        .into_iter()
        .enumerate()
    {
        let target = rng.gen_range(4..=24) * 4;
        let unit = units_of[rng.gen_range(0..units_of.len())];
        let result = ResultPlan {
            id: uuid_from(&mut rng),
            jenis,
            text: if k == 0 {
                rhk_text(city, o)
            } else {
                "Terlaksananya tugas tambahan dari pimpinan".to_string()
            },
            superior_result: if jenis == JenisRhk::Utama && o.kind != PositionKind::Jpt {
                superior.clone()
            } else {
                None
            },
            perspektif: (o.kind == PositionKind::Jpt).then(|| "Penerima Layanan".to_string()),
            indicators: vec![Indicator {
                id: uuid_from(&mut rng),
                text: format!("Jumlah {unit} yang diselesaikan tepat waktu"),
                aspek: Some(Aspek::Kuantitas),
                target: Some(Quantity::new(Milli::whole(target)?, unit)?),
            }],
        };
        results.push((result.clone(), target, unit));
        run(PlanCommand::PlanResult { result }, me.clone(), t_draft)
            .await
            .map_err(|e| ctx(e.into(), "result"))?;
    }
    let t_submit = at(day(y, 1, 14), 10);
    run(PlanCommand::SubmitPlan, me.clone(), t_submit)
        .await
        .map_err(|e| ctx(e.into(), "submit"))?;
    // Planted: a handful of approvals after the deadline.
    let late_approval = o.index % 997 == 5;
    let t_approve = at(day(y, if late_approval { 2 } else { 1 }, 20), 10);
    run(PlanCommand::ApprovePlan, appraiser.clone(), t_approve)
        .await
        .map_err(|e| ctx(e.into(), "approve"))?;

    // Performance tier drives ratings: most meet expectations.
    let tier: f64 = rng.r#gen();
    let quarters = [Period::Tw1, Period::Tw2, Period::Tw3, Period::Tw4];
    for (q, &period) in quarters.iter().enumerate() {
        let (_, end) = period.range(year);
        // Planted: a late report (past the deadline) and a backdated device clock.
        let late = o.index % 1009 == 7 && q == 1;
        let filed_on = end + chrono::TimeDelta::days(if late { 25 } else { rng.gen_range(1..=6) });
        let t_report = at(filed_on, 11);
        for (res, target, unit) in &results {
            let share = match tier {
                t if t < 0.15 => rng.gen_range(95..=110),
                t if t < 0.93 => rng.gen_range(80..=100),
                _ => rng.gen_range(40..=75),
            };
            let value = target * share / 400;
            let client_time = if o.index % 1013 == 11 && q == 2 {
                Some(t_report - chrono::TimeDelta::days(40))
            } else {
                Some(t_report - chrono::TimeDelta::minutes(rng.gen_range(0..30)))
            };
            let cmd = PlanCommand::FileReport {
                report_id: uuid_from(&mut rng),
                indicator_id: res.indicators[0].id,
                period,
                realisation: Realisation {
                    value: Quantity::new(Milli::whole(value)?, unit)?,
                    evidence: vec![evidence(&mut rng, &o.nip, year, q + 1)?],
                    note: None,
                },
                client_time,
            };
            run(cmd, me.clone(), t_report)
                .await
                .map_err(|e| ctx(e.into(), "report"))?;
        }
        let t_eval = at(end + chrono::TimeDelta::days(10), 14);
        if q == 1 {
            let cmd = PlanCommand::GiveFeedback {
                feedback_id: uuid_from(&mut rng),
                about: FeedbackTarget::Indicator(results[0].0.indicators[0].id),
                period: Some(period),
                text: "Capaian sudah baik; lengkapi bukti dukung tepat waktu.".into(),
            };
            run(cmd, appraiser.clone(), t_eval)
                .await
                .map_err(|e| ctx(e.into(), "feedback"))?;
        }
        evaluate(
            &run,
            &results,
            period,
            tier,
            &mut rng,
            appraiser.clone(),
            t_eval,
        )
        .await
        .map_err(|e| ctx(e, "evaluate"))?;
    }
    let t_annual = at(day(y + 1, 1, 10), 14);
    evaluate(
        &run,
        &results,
        Period::Tahunan,
        tier,
        &mut rng,
        appraiser.clone(),
        t_annual,
    )
    .await
    .map_err(|e| ctx(e, "annual"))?;
    // Planted: an amended annual evaluation.
    if o.index % 1019 == 13 {
        run(
            PlanCommand::AmendEvaluation {
                period: Period::Tahunan,
                hasil_kerja: Rating::Sesuai,
                perilaku: Rating::Sesuai,
                reason: "Koreksi atas kekeliruan input penilaian".into(),
            },
            appraiser,
            t_annual + chrono::TimeDelta::days(3),
        )
        .await
        .map_err(|e| ctx(e.into(), "amend"))?;
    }
    Ok(())
}

async fn evaluate<F, Fut>(
    run: &F,
    results: &[(ResultPlan, i64, &str)],
    period: Period,
    tier: f64,
    rng: &mut StdRng,
    appraiser: Actor,
    when: DateTime<Utc>,
) -> anyhow::Result<()>
where
    F: Fn(PlanCommand, Actor, DateTime<Utc>) -> Fut,
    Fut: std::future::Future<Output = Result<crate::app::Committed, crate::app::AppError>>,
{
    let jitter: f64 = rng.r#gen::<f64>() * 0.05;
    let (hk, pk) = match tier + jitter {
        t if t < 0.12 => (Rating::DiAtas, Rating::DiAtas),
        t if t < 0.20 => (Rating::DiAtas, Rating::Sesuai),
        t if t < 0.94 => (Rating::Sesuai, Rating::Sesuai),
        t if t < 0.98 => (Rating::DiBawah, Rating::Sesuai),
        _ => (Rating::DiBawah, Rating::DiBawah),
    };
    let cmd = PlanCommand::RecordEvaluation {
        period,
        hasil_kerja: hk,
        perilaku: pk,
        result_ratings: results
            .iter()
            .map(|(r, ..)| ResultRating {
                result_id: r.id,
                rating: hk,
            })
            .collect(),
        behaviour_feedback: if period == Period::Tahunan {
            vec![BehaviourFeedback {
                value: BerAkhlak::BerorientasiPelayanan,
                text: "Pelayanan kepada masyarakat ramah dan cepat.".into(),
            }]
        } else {
            Vec::new()
        },
        note: None,
    };
    run(cmd, appraiser, when).await?;
    Ok(())
}

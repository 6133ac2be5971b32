//! A deterministic demo city (`kinerja seed --demo`), written through the application layer
//! ([`App`]) exactly as the API would: every command is decided by the domain and appended with
//! its expected revision. Nothing here writes rows directly.
//!
//! What it holds: about 40 units with their heads; officers (PNS and PPPK, every position kind)
//! with appraisers; per plan year every officer's SKP cycle (two results, four quarters of
//! reports with evidence, feedback, quarterly and annual evaluations), the organisation predikat
//! of every unit and period (R7), the R5 finalisation, awards, training programmes with
//! enrolments and completions ([`programmes`]), SKM surveys of the service units with
//! improvement actions ([`surveys`]); and the current year's data for the load generator
//! ([`live`]). Planted for the accountability queries: a late plan approval, a late report, a
//! report from a device clock far behind, a Di Atas rating with a realisation below target, an
//! evaluation amended after the objection window, an award granted with an override and a unit
//! whose employee predikat does not fit its organisation predikat.
//!
//! Content is a pure function of the options (the seed): each officer's details come from an RNG
//! seeded with `(seed, index)`, so running officers concurrently changes only the interleaving in
//! the global log, never a stream's contents (event ids differ between runs, and so does the
//! time of the live survey codes, issued now).
//!
//! Speed: a command on a stream the seed is already writing is decided on the state the seed
//! holds and appended with the revision it knows ([`App::execute_tracked`]), instead of loading
//! the stream again before each command; many officers run concurrently so the store's writer
//! commits their appends in groups.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};
use futures::StreamExt;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use uuid::Uuid;

use crate::app::{App, AppError, Committed, Meta, Tracked, stream};
use crate::domain::officer::{self, OfficerCommand};
use crate::domain::plan::{
    self, BehaviourFeedback, FeedbackTarget, Indicator, PlanCommand, PlanContext, Realisation,
    ResultPlan, ResultRating,
};
use crate::domain::unit::{self, UnitCommand, UnitKind, UnitState};
use crate::domain::values::{
    Aspek, BerAkhlak, EmploymentType, Evidence, FunctionalLevel, JenisRhk, Milli, Pendekatan,
    PositionKind, PredikatOrganisasi, PredikatPegawai, Quantity, Rating,
};
use crate::domain::{
    Actor, ActorId, Nip, OfficerEvent, OfficerState, Period, PlanEvent, PlanState, Role, UnitCode,
    UnitEvent, Year,
};

pub mod live;
pub mod names;
pub mod organisation;
pub mod programmes;
pub mod surveys;

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
    /// Officers given a current-year SKP for the load generator to write to.
    pub live_officers: usize,
    /// Survey codes issued now for the load generator's public answers.
    pub live_codes: usize,
}

impl Default for DemoOptions {
    fn default() -> Self {
        Self {
            officers: 6_500,
            years: 1,
            seed: 2026,
            concurrency: 1024,
            progress: false,
            current_year: Utc::now().year(),
            live_officers: 200,
            live_codes: 4_000,
        }
    }
}

/// What was seeded.
#[derive(Debug, Clone)]
pub struct DemoSummary {
    pub units: usize,
    pub officers: usize,
    pub plans: usize,
    pub awards: usize,
    /// Training programmes announced.
    pub trainings: usize,
    pub survey_answers: usize,
    pub improvement_actions: usize,
    pub events: u64,
    pub elapsed: Duration,
    /// Plan years.
    pub years: Vec<Year>,
    /// The current year's data for the load generator.
    pub live: live::LiveData,
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
    /// The hasil-kerja rating the appraiser gives in every period (see [`rate_units`]).
    pub hasil_kerja: Rating,
    /// The behaviour rating the appraiser gives in every period.
    pub perilaku: Rating,
    /// Planted: rated Di Atas Ekspektasi with a TW2 realisation below target.
    pub plant_di_atas_below_target: bool,
    /// Planted: granted an award its evaluations do not support, with an override reason.
    pub plant_award_override: bool,
}

/// The generated city: units, officers, unit heads and organisation predikat.
pub struct City {
    pub units: Vec<DemoUnit>,
    pub officers: Vec<DemoOfficer>,
    /// The head of each unit (officer index): its first officer; PEMKO's is the Sekda.
    pub heads: Vec<Option<usize>>,
    /// The organisation predikat of each unit, every period (R7).
    pub org: Vec<PredikatOrganisasi>,
}

/// The unit whose employee predikat is planted not to fit its organisation predikat (R5).
pub const PLANTED_DISTRIBUTION_UNIT: &str = "RSUD-CUT-MUTIA";

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
                hasil_kerja: Rating::Sesuai,
                perilaku: Rating::Sesuai,
                plant_di_atas_below_target: false,
                plant_award_override: false,
            });
        }
        if count > 0 {
            heads[ui] = Some(first);
        }
    }
    if !officers.is_empty() {
        heads[0] = Some(sekda);
    }
    let org = rate_units(opts.seed, &units, &heads, &mut officers);
    plant(&mut officers, &heads);
    City {
        units,
        officers,
        heads,
        org,
    }
}

/// Each unit's organisation predikat and its officers' ratings, shaped to fit R5: small units
/// (and the Inspektorat) are ISTIMEWA, the others BAIK; within a unit officers are ranked by a
/// drawn score, the top fifth rated Di Atas Ekspektasi, about an eighth (at least one) below
/// expectations. The head's hasil-kerja rating follows the organisation predikat (R6). The
/// unit [`PLANTED_DISTRIBUTION_UNIT`] rates everyone alike, which R5 flags.
fn rate_units(
    seed: u64,
    units: &[DemoUnit],
    heads: &[Option<usize>],
    officers: &mut [DemoOfficer],
) -> Vec<PredikatOrganisasi> {
    use Rating::{DiAtas as A, DiBawah as B, Sesuai as S};
    let mut org = Vec::with_capacity(units.len());
    for (ui, unit) in units.iter().enumerate() {
        let head = heads[ui].filter(|&h| officers[h].unit == ui);
        let mut members: Vec<(f64, usize)> = officers
            .iter()
            .filter(|o| o.unit == ui && Some(o.index) != head)
            .map(|o| {
                (
                    officer_rng(seed ^ 0x005E_ED0F_4A7E, o.index).r#gen(),
                    o.index,
                )
            })
            .collect();
        members.sort_by(|a, b| b.0.total_cmp(&a.0));
        let n = members.len() + usize::from(head.is_some());
        let planted = unit.code == PLANTED_DISTRIBUTION_UNIT;
        let predikat = if planted || (n > 4 && unit.kind != UnitKind::Inspektorat) {
            PredikatOrganisasi::Baik
        } else {
            PredikatOrganisasi::Istimewa
        };
        org.push(predikat);
        if let Some(h) = head {
            let hk = if predikat == PredikatOrganisasi::Istimewa {
                A
            } else {
                S
            };
            (officers[h].hasil_kerja, officers[h].perilaku) = (hk, S);
        }
        let m = members.len();
        let (top, low) = match (planted, predikat) {
            (true, _) => (0, 0),
            (false, PredikatOrganisasi::Istimewa) => ((m * 3).div_ceil(10), m / 10),
            _ => (n.div_ceil(5), ((n * 12 + 50) / 100).max(1)),
        };
        for (rank, &(_, i)) in members.iter().enumerate() {
            let from_bottom = m - 1 - rank;
            (officers[i].hasil_kerja, officers[i].perilaku) = if rank < top {
                (A, A)
            } else if from_bottom < low {
                match from_bottom {
                    0 if low >= 3 => (B, B),
                    1 if low >= 4 => (S, B),
                    _ => (B, S),
                }
            } else if rank % 5 == 0 {
                (A, S)
            } else {
                (S, S)
            };
        }
    }
    org
}

/// Mark the planted officers that depend on ratings: in each block of 1,021 officers, the first
/// Di Atas staff member from the 17th on reports below target in TW2; in each block of 1,031, the
/// first Baik staff member from the 19th on gets an award with an override.
fn plant(officers: &mut [DemoOfficer], heads: &[Option<usize>]) {
    let is_head = |i: usize| heads.contains(&Some(i));
    for (block, offset, flag) in [(1021, 17, 0), (1031, 19, 1)] {
        let mut marked_in = None;
        for (i, o) in officers.iter_mut().enumerate() {
            let b = i / block;
            if i % block < offset || marked_in == Some(b) || is_head(i) {
                continue;
            }
            let fits = match flag {
                0 => o.hasil_kerja == Rating::DiAtas,
                _ => (o.hasil_kerja, o.perilaku) == (Rating::Sesuai, Rating::Sesuai),
            };
            if fits {
                if flag == 0 {
                    o.plant_di_atas_below_target = true;
                } else {
                    o.plant_award_override = true;
                }
                marked_in = Some(b);
            }
        }
    }
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

/// Seed the demo city into `app`'s store: units, officers and appraisers, unit heads; per plan
/// year the organisation predikat, every officer's SKP cycle, the R5 finalisation, awards,
/// training programmes and the SKM surveys; then the current year's data the load generator
/// writes to (see [`live`]).
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
    let n = city.officers.len();
    let bar = progress_bar(opts.progress, (n * (1 + years.len()) + n / 10) as u64);

    // 1. Units, parents first.
    bar.set_message("unit");
    for unit in &city.units {
        let code = UnitCode::parse(unit.code)?;
        let parent = unit.parent.map(UnitCode::parse).transpose()?;
        let command = UnitCommand::RegisterUnit {
            code: code.clone(),
            name: unit.name.to_string(),
            kind: unit.kind,
            parent,
        };
        organisation::unit_command(app, &code, &command, &admin, None, t0)
            .await
            .with_context(|| format!("unit {}", unit.code))?;
    }

    // 2. Officers and their appraisers; 3. unit heads.
    bar.set_message("pegawai");
    let conc = opts.concurrency.max(1);
    let (city_ref, admin_ref, bar_ref) = (&city, &admin, &bar);
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
    organisation::assign_heads(app, &city, &admin, t0).await?;

    // 4. Each plan year.
    let mut totals = Totals::default();
    for &year in &years {
        organisation::set_predikat(app, &city, year).await?;
        bar.set_message(format!("SKP {year}"));
        let results: Vec<anyhow::Result<(usize, Option<PredikatPegawai>)>> =
            futures::stream::iter(city.officers.iter())
                .map(|o| async move {
                    let predikat = cycle(app, city_ref, o, year, opts.seed).await?;
                    bar_ref.inc(1);
                    Ok((o.index, predikat))
                })
                .buffer_unordered(conc)
                .collect()
                .await;
        let mut annual: Vec<(usize, Option<PredikatPegawai>)> =
            results.into_iter().collect::<anyhow::Result<_>>()?;
        annual.sort_unstable_by_key(|(i, _)| *i);
        totals.plans += n;
        bar.set_message(format!("predikat {year}"));
        organisation::finalise(app, &city, year, &annual).await?;
        totals.awards += organisation::awards(app, &city, year, &annual).await?;
        bar.set_message(format!("bangkom+SKM {year}"));
        let (trainings, surveys) = tokio::try_join!(
            programmes::seed_year(app, &city, year, opts.seed),
            surveys::seed_year(app, &city, year, opts.seed),
        )?;
        totals.trainings += trainings;
        totals.surveys += surveys.answers;
        totals.improvement_actions += surveys.actions;
    }

    // 5. The current year, for the load generator.
    bar.set_message("beban");
    let live = live::prepare(app, &city, opts, &bar).await?;
    bar.finish_and_clear();

    let after = app.store.head().await?.position;
    Ok(DemoSummary {
        units: city.units.len(),
        officers: city.officers.len(),
        plans: totals.plans,
        awards: totals.awards,
        trainings: totals.trainings,
        survey_answers: totals.surveys,
        improvement_actions: totals.improvement_actions,
        events: after - before,
        elapsed: started.elapsed(),
        years,
        live,
    })
}

#[derive(Default)]
struct Totals {
    plans: usize,
    awards: usize,
    trainings: usize,
    surveys: usize,
    improvement_actions: usize,
}

fn progress_bar(show: bool, len: u64) -> indicatif::ProgressBar {
    if !show {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(len);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{msg:16} [{elapsed_precise}] {wide_bar} {pos}/{len} ({per_sec}, eta {eta})",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar
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
    // The same checks as the API's registration; the new stream is then tracked so the
    // appraiser assignment needs no reload.
    let registration = app
        .validate_registration(&input)
        .await
        .with_context(|| format!("register {}", o.nip))?;
    let mut officer = Tracked::<OfficerEvent>::new_stream(stream(officer::stream_id(&o.nip))?);
    let config = app.config.clone();
    app.execute_tracked(&mut officer, &m, t0, |s| {
        officer::decide(s, &registration.command, &config, t0)
    })
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
    app.execute_tracked(&mut officer, &m, t0, |s| {
        officer::decide(s, &command, &config, t0)
    })
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

/// One officer's SKP of one year, tracked: every command is decided by the domain on the
/// folded state and appended with the stream's revision (see [`Tracked`]).
pub(crate) struct PlanSession<'a> {
    app: &'a App,
    officer: OfficerState,
    unit: Option<UnitState>,
    plan: Tracked<PlanEvent>,
}

impl<'a> PlanSession<'a> {
    /// Start SKP `seq` 1 of `nip` for `year` (a new stream).
    pub(crate) async fn start(app: &'a App, nip: &Nip, year: Year) -> anyhow::Result<Self> {
        let (officer, _) = app.officer(nip).await?;
        let unit = match officer.post.as_ref() {
            Some(post) => Some(
                app.load::<UnitEvent>(&stream(unit::stream_id(&post.unit))?)
                    .await?
                    .0,
            ),
            None => None,
        };
        Ok(Self {
            app,
            officer,
            unit,
            plan: Tracked::new_stream(stream(plan::stream_id(nip, year, 1))?),
        })
    }

    /// Decide and append one command as `actor` at `when`.
    pub(crate) async fn run(
        &mut self,
        cmd: PlanCommand,
        actor: &Actor,
        when: DateTime<Utc>,
    ) -> Result<Committed, AppError> {
        let m = Meta {
            client_time: match &cmd {
                PlanCommand::FileReport { client_time, .. } => *client_time,
                _ => None,
            },
            ..meta(actor)
        };
        let config = self.app.config.clone();
        let (officer, unit) = (&self.officer, self.unit.as_ref());
        self.app
            .execute_tracked(&mut self.plan, &m, when, |state| {
                let ctx = PlanContext {
                    config: &config,
                    at: when,
                    actor,
                    officer,
                    unit,
                };
                plan::decide(state, &cmd, &ctx)
            })
            .await
    }

    /// The folded SKP.
    pub(crate) fn state(&self) -> &PlanState {
        &self.plan.state
    }
}

/// The two results of an officer's SKP and their per-quarter targets.
pub(crate) fn plan_results(
    city: &City,
    o: &DemoOfficer,
    rng: &mut StdRng,
) -> anyhow::Result<Vec<(ResultPlan, i64, &'static str)>> {
    let superior = o.penilai.map(|p| rhk_text(city, &city.officers[p]));
    let units_of = ["dokumen", "laporan", "kegiatan", "orang"];
    let mut results = Vec::new();
    for (k, jenis) in [JenisRhk::Utama, JenisRhk::Tambahan]
        .into_iter()
        .enumerate()
    {
        let target = rng.gen_range(4..=24);
        let unit = units_of[rng.gen_range(0..units_of.len())];
        let result = ResultPlan {
            id: uuid_from(rng),
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
                id: uuid_from(rng),
                text: format!("Jumlah {unit} yang diselesaikan tepat waktu setiap triwulan"),
                aspek: Some(Aspek::Kuantitas),
                target: Some(Quantity::new(Milli::whole(target)?, unit)?),
            }],
        };
        results.push((result, target, unit));
    }
    Ok(results)
}

/// Draft, plan the results, submit and approve (dates of `year`).
pub(crate) async fn plan_and_approve(
    session: &mut PlanSession<'_>,
    o: &DemoOfficer,
    year: Year,
    results: &[(ResultPlan, i64, &'static str)],
    appraiser: &Actor,
    rng: &mut StdRng,
) -> anyhow::Result<()> {
    let y = year.get();
    let me = Actor::officer(o.nip.clone(), Role::Pegawai);
    let t_draft = at(day(y, 1, 6 + rng.gen_range(0..5)), 9);
    let draft = PlanCommand::DraftPlan {
        nip: o.nip.clone(),
        year,
        seq: 1,
        approach: Pendekatan::Kuantitatif,
    };
    session.run(draft, &me, t_draft).await.context("draft")?;
    for (result, ..) in results {
        let cmd = PlanCommand::PlanResult {
            result: result.clone(),
        };
        session.run(cmd, &me, t_draft).await.context("result")?;
    }
    let t_submit = at(day(y, 1, 14), 10);
    session
        .run(PlanCommand::SubmitPlan, &me, t_submit)
        .await
        .context("submit")?;
    // Planted: a handful of approvals after the deadline.
    let late_approval = o.index % 997 == 5;
    let t_approve = at(day(y, if late_approval { 2 } else { 1 }, 20), 10);
    session
        .run(PlanCommand::ApprovePlan, appraiser, t_approve)
        .await
        .context("approve")?;
    Ok(())
}

/// The appraiser of an officer, acting as penilai.
pub(crate) fn appraiser_of(city: &City, o: &DemoOfficer) -> Actor {
    match o.penilai {
        Some(p) => Actor::officer(city.officers[p].nip.clone(), Role::Penilai),
        None => staff("walikota-lhokseumawe", Role::Penilai),
    }
}

/// File the reports of quarter `q` (0-based): one per result, with evidence. Planted: a late
/// report, a report from a device whose clock is 40 days behind, a Di Atas officer below target.
pub(crate) async fn file_quarter(
    session: &mut PlanSession<'_>,
    o: &DemoOfficer,
    year: Year,
    q: usize,
    results: &[(ResultPlan, i64, &'static str)],
    rng: &mut StdRng,
) -> anyhow::Result<()> {
    let me = Actor::officer(o.nip.clone(), Role::Pegawai);
    let period = QUARTERS[q];
    let (_, end) = period.range(year);
    let late = o.index % 1009 == 7 && q == 1;
    let filed_on = end + chrono::TimeDelta::days(if late { 25 } else { rng.gen_range(1..=6) });
    let t_report = at(filed_on, 11);
    for (res, target, unit) in results {
        let share = match o.hasil_kerja {
            _ if o.plant_di_atas_below_target && q == 1 => 75,
            Rating::DiAtas => rng.gen_range(101..=115),
            Rating::Sesuai => rng.gen_range(86..=100),
            Rating::DiBawah => rng.gen_range(45..=80),
        };
        // Di Atas realisations exceed the target (rounded up), the others do not reach past it.
        let value = if share > 100 {
            (target * share + 99) / 100
        } else {
            target * share / 100
        };
        // Most reports come from the web form without a device clock; the planted one carries
        // a clock 40 days behind.
        let client_time =
            (o.index % 1013 == 11 && q == 2).then(|| t_report - chrono::TimeDelta::days(40));
        let cmd = PlanCommand::FileReport {
            report_id: uuid_from(rng),
            indicator_id: res.indicators[0].id,
            period,
            realisation: Realisation {
                value: Quantity::new(Milli::whole(value)?, unit)?,
                evidence: vec![evidence(rng, &o.nip, year, q + 1)?],
                note: None,
            },
            client_time,
        };
        session.run(cmd, &me, t_report).await.context("report")?;
    }
    Ok(())
}

const QUARTERS: [Period; 4] = [Period::Tw1, Period::Tw2, Period::Tw3, Period::Tw4];

/// Draft, plan, submit, approve, report four quarters, feedback, evaluate each quarter and the
/// year. Returns the final annual predikat.
async fn cycle(
    app: &App,
    city: &City,
    o: &DemoOfficer,
    year: Year,
    seed: u64,
) -> anyhow::Result<Option<PredikatPegawai>> {
    let mut rng = officer_rng(seed ^ u64::try_from(year.get()).unwrap_or(0), o.index);
    let ctx = |e: anyhow::Error| e.context(format!("{} {year}", o.nip));
    let appraiser = appraiser_of(city, o);
    let mut session = PlanSession::start(app, &o.nip, year).await.map_err(ctx)?;
    let results = plan_results(city, o, &mut rng)?;
    plan_and_approve(&mut session, o, year, &results, &appraiser, &mut rng)
        .await
        .map_err(ctx)?;
    for (q, &period) in QUARTERS.iter().enumerate() {
        file_quarter(&mut session, o, year, q, &results, &mut rng)
            .await
            .map_err(ctx)?;
        let (_, end) = period.range(year);
        let t_eval = at(end + chrono::TimeDelta::days(10), 14);
        if q == 1 {
            let cmd = PlanCommand::GiveFeedback {
                feedback_id: uuid_from(&mut rng),
                about: FeedbackTarget::Indicator(results[0].0.indicators[0].id),
                period: Some(period),
                text: "Capaian sudah baik; lengkapi bukti dukung tepat waktu.".into(),
            };
            session
                .run(cmd, &appraiser, t_eval)
                .await
                .map_err(|e| ctx(anyhow::Error::from(e).context("feedback")))?;
        }
        evaluate(&mut session, o, &results, period, &appraiser, t_eval)
            .await
            .map_err(|e| ctx(e.context("evaluate")))?;
    }
    let t_annual = at(day(year.get() + 1, 1, 10), 14);
    evaluate(
        &mut session,
        o,
        &results,
        Period::Tahunan,
        &appraiser,
        t_annual,
    )
    .await
    .map_err(|e| ctx(e.context("annual")))?;
    // Planted: a TW4 evaluation amended after the objection window (R12). Only the behaviour
    // rating changes, so the annual predikat and R5 are untouched.
    if o.index % 1019 == 13 {
        let amend = PlanCommand::AmendEvaluation {
            period: Period::Tw4,
            hasil_kerja: o.hasil_kerja,
            perilaku: if o.perilaku == Rating::Sesuai {
                Rating::DiAtas
            } else {
                Rating::Sesuai
            },
            reason: "Koreksi atas kekeliruan input penilaian perilaku".into(),
        };
        session
            .run(amend, &appraiser, t_annual + chrono::TimeDelta::days(30))
            .await
            .map_err(|e| ctx(anyhow::Error::from(e).context("amend")))?;
    }
    Ok(session
        .state()
        .evaluations
        .get(&Period::Tahunan)
        .map(|e| e.predikat))
}

async fn evaluate(
    session: &mut PlanSession<'_>,
    o: &DemoOfficer,
    results: &[(ResultPlan, i64, &str)],
    period: Period,
    appraiser: &Actor,
    when: DateTime<Utc>,
) -> anyhow::Result<()> {
    let (hk, pk) = (o.hasil_kerja, o.perilaku);
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
    session.run(cmd, appraiser, when).await?;
    Ok(())
}

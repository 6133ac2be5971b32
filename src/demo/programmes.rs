//! Competence-development programmes of the demo city, through the same use cases as
//! `/api/v1/trainings`: each year the BKPSDM announces a handful of programmes (Digitalisasi
//! Layanan Publik among them), enrols about two officers in five (one programme each, drawn from
//! the seed) and records the completions, with the JP credited and a certificate, of about
//! six in seven of them.

use anyhow::Context;
use chrono::{DateTime, TimeDelta, Utc};
use rand::Rng;

use super::{City, at, day, meta, officer_rng, staff, uuid_from};
use crate::app::{App, Meta, Tracked, stream};
use crate::domain::training::{self, CompetenceType, Programme, Route};
use crate::domain::unit::UnitKind;
use crate::domain::values::Certificate;
use crate::domain::{Role, TrainingCommand, TrainingEvent, Year};

/// Title, competence, route, JP, start (month, day), days, provider; and which unit kinds it is
/// for (empty: every unit).
type Spec = (
    &'static str,
    CompetenceType,
    Route,
    u32,
    (u32, u32),
    i64,
    &'static str,
    &'static [UnitKind],
);

/// The title of the programme every demo year has.
pub const DIGITALISASI: &str = "Digitalisasi Layanan Publik";

const PROGRAMMES: [Spec; 6] = [
    (
        DIGITALISASI,
        CompetenceType::Teknis,
        Route::Klasikal,
        24,
        (3, 10),
        4,
        "BPSDM Aceh",
        &[],
    ),
    (
        "Penyusunan SKP dan Manajemen Kinerja ASN",
        CompetenceType::Manajerial,
        Route::Nonklasikal,
        12,
        (2, 3),
        10,
        "BKPSDM Kota Lhokseumawe",
        &[],
    ),
    (
        "Orientasi Nilai Dasar BerAKHLAK",
        CompetenceType::SosialKultural,
        Route::Nonklasikal,
        20,
        (5, 6),
        14,
        "BKPSDM Kota Lhokseumawe",
        &[],
    ),
    (
        "Pelayanan Prima bagi Petugas Garda Depan",
        CompetenceType::Teknis,
        Route::Klasikal,
        16,
        (7, 15),
        2,
        "Dinas Komunikasi, Informatika dan Persandian",
        &[],
    ),
    (
        "Keselamatan Pasien dan Pencegahan Infeksi",
        CompetenceType::Teknis,
        Route::Klasikal,
        24,
        (8, 19),
        3,
        "Dinas Kesehatan Kota Lhokseumawe",
        &[UnitKind::Puskesmas, UnitKind::RumahSakit],
    ),
    (
        "Pembelajaran Berdiferensiasi Kurikulum Merdeka",
        CompetenceType::Teknis,
        Route::Nonklasikal,
        32,
        (9, 9),
        21,
        "Balai Guru Penggerak Aceh",
        &[UnitKind::Sekolah],
    ),
];

/// Announce the programmes of `year`, enrol and complete; the number of programmes.
pub(crate) async fn seed_year(
    app: &App,
    city: &City,
    year: Year,
    seed: u64,
) -> anyhow::Result<usize> {
    let y = year.get();
    let admin = staff("seed:bkpsdm", Role::Admin);
    let m = meta(&admin);
    // Who goes where: each officer at most one programme open to their unit's kind.
    let mut rosters: Vec<Vec<usize>> = vec![Vec::new(); PROGRAMMES.len()];
    for o in &city.officers {
        let mut rng = officer_rng(seed ^ 0x7A11_0000 ^ u64::try_from(y).unwrap_or(0), o.index);
        if !rng.gen_bool(0.4) {
            continue;
        }
        let kind = city.units[o.unit].kind;
        let open: Vec<usize> = (0..PROGRAMMES.len())
            .filter(|&p| PROGRAMMES[p].7.is_empty() || PROGRAMMES[p].7.contains(&kind))
            .collect();
        rosters[open[rng.gen_range(0..open.len())]].push(o.index);
    }
    let mut rng = officer_rng(seed ^ 0x7A11_FFFF, usize::try_from(y).unwrap_or(0));
    let ids: Vec<uuid::Uuid> = PROGRAMMES.iter().map(|_| uuid_from(&mut rng)).collect();
    let jobs = PROGRAMMES
        .iter()
        .zip(rosters)
        .zip(ids)
        .map(|((spec, roster), id)| {
            let m = &m;
            async move {
                let (title, competence, route, jp, (sm, sd), days, provider, _) = *spec;
                let start = day(y, sm, sd);
                let end = start + TimeDelta::days(days - 1);
                let announced = at(start - TimeDelta::days(21), 9);
                let mut t = Tracked::<TrainingEvent>::new_stream(stream(training::stream_id(id))?);
                let programme = Programme {
                    title: title.to_string(),
                    competence,
                    route,
                    jp,
                    start,
                    end,
                    provider: provider.to_string(),
                };
                let announce = TrainingCommand::AnnounceTraining {
                    program_id: id,
                    programme,
                };
                run(app, &mut t, m, announce, announced).await?;
                for &i in &roster {
                    let nip = city.officers[i].nip.clone();
                    let enrol = TrainingCommand::EnrollOfficer { nip };
                    run(app, &mut t, m, enrol, announced + TimeDelta::days(7)).await?;
                }
                for &i in &roster {
                    let mut rng = officer_rng(seed ^ id.as_u64_pair().0, i);
                    if !rng.gen_bool(0.86) {
                        continue;
                    }
                    let o = &city.officers[i];
                    let hash: [u8; 32] = rng.r#gen();
                    let complete = TrainingCommand::CompleteTraining {
                        nip: o.nip.clone(),
                        jp,
                        completed_on: end,
                        certificate: Certificate::new(
                            &format!(
                                "https://simpeg.lhokseumawekota.go.id/sertifikat/{y}/{id}/{}.pdf",
                                o.nip
                            ),
                            &hex::encode(hash),
                        )?,
                    };
                    run(app, &mut t, m, complete, at(end + TimeDelta::days(3), 10)).await?;
                }
                anyhow::Ok(())
            }
        });
    futures::future::try_join_all(jobs)
        .await
        .with_context(|| format!("trainings {year}"))?;
    Ok(PROGRAMMES.len())
}

async fn run(
    app: &App,
    t: &mut Tracked<TrainingEvent>,
    m: &Meta,
    cmd: TrainingCommand,
    when: DateTime<Utc>,
) -> anyhow::Result<()> {
    let config = app.config.clone();
    app.execute_tracked(t, m, when, |s| training::decide(s, &cmd, &config, when))
        .await?;
    Ok(())
}

//! The public-satisfaction survey (SKM) of the demo city's service units, through the same use
//! cases as `/api/v1/units/{code}/survey-codes`, `/public/survey` and the improvement actions:
//! each quarter a unit hands out survey codes with its service and most of the public answer
//! them; where a quarter's IKM falls in category C or D, an improvement action is opened (and
//! closed a quarter later). Two units serve poorly in some quarters, so those actions exist.
//!
//! Codes have the API's shape (`{UNIT}-{YEAR}-{RANDOM}`, see [`crate::http::survey`]), but the
//! random part is drawn from the seed so the demo log is reproducible; the stream keeps only
//! their digests, as always.

use anyhow::Context;
use chrono::{DateTime, TimeDelta, Utc};
use rand::Rng;
use rand::rngs::StdRng;

use super::{City, at, meta, officer_rng, staff, uuid_from};
use crate::app::{App, Meta, Tracked, stream};
use crate::domain::survey::{self, ELEMENTS};
use crate::domain::{Period, Role, SurveyCommand, SurveyEvent, UnitCode, Year, rules};
use crate::http::survey::{CODE_ALPHABET, CODE_RANDOM_LEN, code_digest};

/// Service units and the service their codes are handed out with.
pub const SERVICES: [(&str, &str); 16] = [
    ("DISDUKCAPIL", "Penerbitan KTP-el dan Kartu Keluarga"),
    ("DPMPTSP", "Perizinan Berusaha Berbasis Risiko"),
    ("RSUD-CUT-MUTIA", "Pelayanan Rawat Jalan"),
    ("PKM.BANDA-SAKTI", "Pelayanan Kesehatan Dasar"),
    ("PKM.MUARA-DUA", "Pelayanan Kesehatan Dasar"),
    ("PKM.MUARA-SATU", "Pelayanan Kesehatan Dasar"),
    ("PKM.BLANG-MANGAT", "Pelayanan Kesehatan Dasar"),
    ("PKM.MON-GEUDONG", "Pelayanan Kesehatan Dasar"),
    ("PKM.BLANG-CUT", "Pelayanan Kesehatan Dasar"),
    (
        "KEC.BANDA-SAKTI",
        "Pelayanan Administrasi Terpadu Kecamatan",
    ),
    ("KEC.MUARA-DUA", "Pelayanan Administrasi Terpadu Kecamatan"),
    ("KEC.MUARA-SATU", "Pelayanan Administrasi Terpadu Kecamatan"),
    (
        "KEC.BLANG-MANGAT",
        "Pelayanan Administrasi Terpadu Kecamatan",
    ),
    ("DINSOS", "Rekomendasi Bantuan Sosial"),
    ("DISHUB", "Pengujian Kendaraan Bermotor"),
    ("UPTD-PASAR", "Pengelolaan Retribusi dan Kios Pasar"),
];

/// The mean score (×10) of a unit's answers in a quarter: UPTD Pasar serves poorly all year,
/// Dishub in TW2; the others well.
fn quality(unit: &str, q: usize, rng: &mut StdRng) -> i64 {
    match (unit, q) {
        ("UPTD-PASAR", _) | ("DISHUB", 1) => 24 + rng.gen_range(0..3),
        _ => 30 + rng.gen_range(0..7),
    }
}

/// A code of the API's shape for `unit` and `year`, its random part drawn from `rng`.
pub(crate) fn code(unit: &UnitCode, year: Year, rng: &mut StdRng) -> String {
    let random: String = (0..CODE_RANDOM_LEN)
        .map(|_| char::from(CODE_ALPHABET[rng.gen_range(0..CODE_ALPHABET.len())]))
        .collect();
    format!("{unit}-{}-{random}", year.get())
}

/// Issue `codes` for a unit's survey stream (admin).
#[allow(clippy::too_many_arguments)]
pub(crate) async fn issue(
    app: &App,
    t: &mut Tracked<SurveyEvent>,
    unit: &UnitCode,
    year: Year,
    period: Period,
    service: &str,
    codes: &[String],
    batch_id: uuid::Uuid,
    when: DateTime<Utc>,
) -> anyhow::Result<()> {
    let admin = staff("seed:layanan", Role::Admin);
    let command = SurveyCommand::IssueSurveyCodes {
        batch_id,
        unit: unit.clone(),
        year,
        period,
        service: service.to_string(),
        code_digests: codes.iter().map(|c| code_digest(c)).collect(),
    };
    run(app, t, &meta(&admin), command, when).await
}

async fn run(
    app: &App,
    t: &mut Tracked<SurveyEvent>,
    m: &Meta,
    command: SurveyCommand,
    when: DateTime<Utc>,
) -> anyhow::Result<()> {
    let config = app.config.clone();
    app.execute_tracked(t, m, when, |s| survey::decide(s, &command, &config, when))
        .await?;
    Ok(())
}

/// What a year of surveys wrote.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct SurveyCounts {
    pub answers: usize,
    pub actions: usize,
}

/// Codes, answers and improvement actions of every service unit in `year`.
pub(crate) async fn seed_year(
    app: &App,
    city: &City,
    year: Year,
    seed: u64,
) -> anyhow::Result<SurveyCounts> {
    let per_quarter = (city.officers.len() / 160).max(6);
    let jobs = SERVICES.iter().enumerate().map(|(k, (unit, service))| async move {
        let code_of = UnitCode::parse(unit)?;
        let mut rng = officer_rng(seed ^ 0x5C4E_0000 ^ u64::try_from(year.get()).unwrap_or(0), k);
        let mut t = Tracked::<SurveyEvent>::new_stream(stream(survey::stream_id(&code_of, year))?);
        let admin = staff("seed:layanan", Role::Admin);
        let mut counts = SurveyCounts::default();
        let mut open_action: Option<uuid::Uuid> = None;
        for (q, period) in [Period::Tw1, Period::Tw2, Period::Tw3, Period::Tw4]
            .into_iter()
            .enumerate()
        {
            let (start, end) = period.range(year);
            let issued = at(start + TimeDelta::days(10), 8);
            let codes: Vec<String> = (0..per_quarter)
                .map(|_| code(&code_of, year, &mut rng))
                .collect();
            let batch = uuid_from(&mut rng);
            issue(app, &mut t, &code_of, year, period, service, &codes, batch, issued).await?;
            let mean = quality(unit, q, &mut rng);
            for (j, c) in codes.iter().enumerate() {
                if !rng.gen_bool(0.85) {
                    continue;
                }
                let answers: Vec<u8> = (0..ELEMENTS)
                    .map(|_| {
                        let score = (mean + rng.gen_range(-9..=9) + 5) / 10;
                        u8::try_from(score.clamp(1, 4)).unwrap_or(3)
                    })
                    .collect();
                let comment = (j % 7 == 3).then(|| {
                    ["Petugas ramah dan cepat.", "Antrean terlalu lama.", "Mohon ruang tunggu diperbaiki."]
                        [rng.gen_range(0..3)]
                    .to_string()
                });
                let answered = issued + TimeDelta::hours(rng.gen_range(1..24 * 28));
                let command = SurveyCommand::AnswerSurvey {
                    code_digest: code_digest(c),
                    answers,
                    comment,
                };
                // The public answers without an actor: the metadata has a request id only.
                let m = Meta {
                    request_id: Some("seed-demo".into()),
                    ..Meta::default()
                };
                run(app, &mut t, &m, command, answered).await?;
                counts.answers += 1;
            }
            let when = at(end + TimeDelta::days(20), 9);
            if let Some(id) = open_action.take() {
                let close = SurveyCommand::CloseImprovementAction {
                    action_id: id,
                    outcome: "Loket tambahan dibuka dan alur antrean diperbaiki; keluhan berkurang."
                        .into(),
                };
                run(app, &mut t, &meta(&admin), close, when).await?;
            }
            let needs = t
                .state
                .ikm(period, &app.config)
                .is_ok_and(|ikm| rules::ikm_category(ikm.konversi).needs_improvement());
            if needs {
                let id = uuid_from(&mut rng);
                let open = SurveyCommand::OpenImprovementAction {
                    action_id: id,
                    period,
                    plan: format!(
                        "Rencana perbaikan {}: tambah petugas loket, standar waktu layanan diumumkan, kotak pengaduan daring.",
                        period.label()
                    ),
                };
                run(app, &mut t, &meta(&admin), open, when).await?;
                open_action = Some(id);
                counts.actions += 1;
            }
        }
        anyhow::Ok(counts)
    });
    let all = futures::future::try_join_all(jobs)
        .await
        .with_context(|| format!("surveys {year}"))?;
    Ok(all
        .into_iter()
        .fold(SurveyCounts::default(), |a, c| SurveyCounts {
            answers: a.answers + c.answers,
            actions: a.actions + c.actions,
        }))
}

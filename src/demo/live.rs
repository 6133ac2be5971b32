//! The current year of the demo city, for `kinerja load`: approved SKPs of a sample of staff
//! (not unit heads), with the reports of the quarters already over and no evaluations yet, so
//! the load can file reports and give feedback on them; and a stock of survey codes issued now
//! (valid for 30 days) for the public to answer. What the load needs to know about them is
//! returned as [`LiveData`] and written to the tokens file by `kinerja seed --tokens-out`.

use anyhow::Context;
use chrono::{Datelike, Utc};

use super::surveys::{self, SERVICES};
use super::{
    City, DemoOptions, PlanSession, appraiser_of, file_quarter, officer_rng, organisation,
    plan_and_approve, plan_results, uuid_from,
};
use crate::app::{App, stream};
use crate::domain::survey;
use crate::domain::{Nip, Period, SurveyEvent, UnitCode, Year};
use crate::http::survey::MAX_CODES_PER_BATCH;
use futures::StreamExt;

/// An officer whose current-year SKP the load writes to.
#[derive(Debug, Clone)]
pub struct LiveOfficer {
    pub nip: Nip,
    /// The main indicator of the current-year SKP, and its unit of measure.
    pub indicator_id: uuid::Uuid,
    pub measure: String,
    /// The appraiser (None: the Wali Kota, a staff account).
    pub penilai: Option<Nip>,
}

/// What `kinerja load` needs from the seed.
#[derive(Debug, Clone, Default)]
pub struct LiveData {
    /// The current year.
    pub year: Option<Year>,
    pub officers: Vec<LiveOfficer>,
    /// Unit heads and their units (they read their unit's dashboard).
    pub heads: Vec<(Nip, UnitCode)>,
    /// Unused survey codes issued now.
    pub survey_codes: Vec<String>,
}

/// Prepare the current year: `opts.live_officers` SKPs and `opts.live_codes` survey codes.
pub(crate) async fn prepare(
    app: &App,
    city: &City,
    opts: &DemoOptions,
    bar: &indicatif::ProgressBar,
) -> anyhow::Result<LiveData> {
    let now = Utc::now();
    let year = Year::new(opts.current_year)?;
    let is_head = |i: usize| city.heads.contains(&Some(i));
    let staff_members: Vec<usize> = (0..city.officers.len()).filter(|&i| !is_head(i)).collect();
    let step = (staff_members.len() / opts.live_officers.max(1)).max(1);
    let chosen: Vec<usize> = staff_members
        .iter()
        .step_by(step)
        .take(opts.live_officers)
        .copied()
        .collect();
    let results: Vec<anyhow::Result<LiveOfficer>> = futures::stream::iter(chosen)
        .map(|i| async move {
            let o = &city.officers[i];
            let mut rng = officer_rng(opts.seed ^ 0x11FE, i);
            let mut session = PlanSession::start(app, &o.nip, year).await?;
            let results = plan_results(city, o, &mut rng)?;
            let appraiser = appraiser_of(city, o);
            plan_and_approve(&mut session, o, year, &results, &appraiser, &mut rng).await?;
            for (q, period) in [Period::Tw1, Period::Tw2, Period::Tw3, Period::Tw4]
                .into_iter()
                .enumerate()
            {
                // Quarters over (with a week to report) get their reports.
                if period.range(year).1 + chrono::TimeDelta::days(7) < now.date_naive() {
                    file_quarter(&mut session, o, year, q, &results, &mut rng).await?;
                }
            }
            bar.inc(1);
            Ok(LiveOfficer {
                nip: o.nip.clone(),
                indicator_id: results[0].0.indicators[0].id,
                measure: results[0].2.to_string(),
                penilai: o.penilai.map(|p| city.officers[p].nip.clone()),
            })
        })
        .buffer_unordered(opts.concurrency.max(1))
        .collect()
        .await;
    let mut officers: Vec<LiveOfficer> = results
        .into_iter()
        .collect::<anyhow::Result<_>>()
        .context("current-year SKPs")?;
    officers.sort_by(|a, b| a.nip.cmp(&b.nip));

    // Heads of the units they work in (the Sekda also heads PEMKO, which has no dashboard of
    // its own staff).
    let mut heads = Vec::new();
    for ui in 0..city.units.len() {
        if let Some(h) = organisation::headed(city, ui)
            && city.officers[h].unit == ui
        {
            heads.push((
                city.officers[h].nip.clone(),
                UnitCode::parse(city.units[ui].code)?,
            ));
        }
    }

    // Survey codes for the public, issued now for the quarter we are in.
    let period = [Period::Tw1, Period::Tw2, Period::Tw3, Period::Tw4][(now.month0() / 3) as usize];
    let per_unit = opts.live_codes.div_ceil(SERVICES.len());
    let mut codes = Vec::with_capacity(opts.live_codes);
    let mut rng = officer_rng(opts.seed ^ 0xC0DE, 0);
    for (unit, service) in SERVICES {
        if codes.len() >= opts.live_codes {
            break;
        }
        let code_of = UnitCode::parse(unit)?;
        let mut t = app
            .track::<SurveyEvent>(stream(survey::stream_id(&code_of, year))?)
            .await?;
        let want = per_unit.min(opts.live_codes - codes.len());
        let mut batch_codes: Vec<String> = (0..want)
            .map(|_| surveys::code(&code_of, year, &mut rng))
            .collect();
        for chunk in batch_codes.chunks(MAX_CODES_PER_BATCH as usize) {
            let batch = uuid_from(&mut rng);
            surveys::issue(
                app, &mut t, &code_of, year, period, service, chunk, batch, now,
            )
            .await
            .with_context(|| format!("survey codes {unit}"))?;
        }
        codes.append(&mut batch_codes);
    }
    Ok(LiveData {
        year: Some(year),
        officers,
        heads,
        survey_codes: codes,
    })
}

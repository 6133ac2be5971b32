//! The organisation side of the demo city, through the same use cases as `/api/v1/units` and
//! `/api/v1/awards`: unit heads, the organisation predikat that each parent unit's head sets for
//! every period (R7), the R5 finalisation of the annual employee predikat, and awards for Sangat
//! Baik officers, one of them planted with an override.

use anyhow::Context;
use chrono::{DateTime, TimeDelta, Utc};
use futures::StreamExt;

use super::{City, PLANTED_DISTRIBUTION_UNIT, at, day, meta, staff};
use crate::app::{App, Committed, stream};
use crate::domain::award::{self, AwardGround, AwardKind, EvaluationRef};
use crate::domain::plan;
use crate::domain::unit::{self, UnitCommand, UnitContext, UnitState};
use crate::domain::{
    Actor, AwardCommand, AwardContext, AwardEvent, Period, PlanEvent, PredikatPegawai, Role,
    UnitCode, UnitEvent, Year,
};

/// Run one unit command as `actor` (`parent`: the parent unit's state, for R7).
pub(crate) async fn unit_command(
    app: &App,
    code: &UnitCode,
    command: &UnitCommand,
    actor: &Actor,
    parent: Option<&UnitState>,
    when: DateTime<Utc>,
) -> anyhow::Result<Committed> {
    let config = app.config.clone();
    Ok(app
        .execute::<UnitEvent>(&stream(unit::stream_id(code))?, &meta(actor), when, |s| {
            let ctx = UnitContext {
                config: &config,
                at: when,
                actor,
                parent,
                employee_predikat: &[],
            };
            unit::decide(s, command, &ctx)
        })
        .await?)
}

/// The head of unit `ui` if it gets one: its parent must have a head too, or no organisation
/// predikat could be set for it and its head could not be evaluated (R6, R7).
pub(crate) fn headed(city: &City, ui: usize) -> Option<usize> {
    let head = city.heads[ui]?;
    match city.units[ui].parent {
        None => Some(head),
        Some(p) => {
            let pi = city.units.iter().position(|u| u.code == p)?;
            headed(city, pi).map(|_| head)
        }
    }
}

fn parent_index(city: &City, ui: usize) -> Option<usize> {
    let p = city.units[ui].parent?;
    city.units.iter().position(|u| u.code == p)
}

/// Name every unit's head (from the first day of the seeded years).
pub(crate) async fn assign_heads(
    app: &App,
    city: &City,
    admin: &Actor,
    t0: DateTime<Utc>,
) -> anyhow::Result<()> {
    for ui in 0..city.units.len() {
        let Some(h) = headed(city, ui) else { continue };
        let code = UnitCode::parse(city.units[ui].code)?;
        let command = UnitCommand::AssignUnitHead {
            head: city.officers[h].nip.clone(),
            effective_from: t0.date_naive(),
        };
        unit_command(app, &code, &command, admin, None, t0)
            .await
            .with_context(|| format!("head of {code}"))?;
    }
    Ok(())
}

/// When the organisation predikat of `period` is set: five days after it ends.
fn predikat_day(year: Year, period: Period) -> DateTime<Utc> {
    at(period.range(year).1 + TimeDelta::days(5), 9)
}

/// R7: the head of each unit's parent sets the unit's organisation predikat for every period of
/// `year` (units with officers whose parent has a head).
pub(crate) async fn set_predikat(app: &App, city: &City, year: Year) -> anyhow::Result<()> {
    let targets: Vec<(usize, usize)> = (0..city.units.len())
        .filter_map(|ui| {
            let pi = parent_index(city, ui)?;
            let setter = headed(city, pi)?;
            city.officers
                .iter()
                .any(|o| o.unit == ui)
                .then_some((ui, setter))
        })
        .collect();
    let results: Vec<anyhow::Result<()>> = futures::stream::iter(targets)
        .map(|(ui, setter)| async move {
            let code = UnitCode::parse(city.units[ui].code)?;
            let actor = Actor::officer(city.officers[setter].nip.clone(), Role::AtasanPenilai);
            for period in Period::ALL {
                let (unit_state, ..) = app
                    .load::<UnitEvent>(&stream(unit::stream_id(&code))?)
                    .await?;
                let parent_code = unit_state.parent.clone().context("parent")?;
                let (parent, ..) = app
                    .load::<UnitEvent>(&stream(unit::stream_id(&parent_code))?)
                    .await?;
                let command = UnitCommand::SetOrganisationPredikat {
                    year,
                    period,
                    predikat: city.org[ui],
                    decree_ref: format!("800.1.13/{:03}/{}/{}", ui + 1, period.label(), year.get()),
                };
                unit_command(
                    app,
                    &code,
                    &command,
                    &actor,
                    Some(&parent),
                    predikat_day(year, period),
                )
                .await
                .with_context(|| format!("organisation predikat {code} {year} {period}"))?;
            }
            Ok(())
        })
        .buffer_unordered(8)
        .collect()
        .await;
    results.into_iter().collect()
}

/// R5: finalise each unit's annual employee predikat (the unit's SKPs as evaluated; `annual`
/// holds each officer's annual predikat by index). The planted unit does not fit and gives a
/// justification.
pub(crate) async fn finalise(
    app: &App,
    city: &City,
    year: Year,
    annual: &[(usize, Option<PredikatPegawai>)],
) -> anyhow::Result<usize> {
    let actor = staff("seed:bkpsdm", Role::PengelolaKinerja);
    let when = at(day(year.get() + 1, 1, 25), 10);
    let mut done = 0;
    for (ui, u) in city.units.iter().enumerate() {
        let has_predikat = parent_index(city, ui).and_then(|pi| headed(city, pi));
        let list: Vec<PredikatPegawai> = annual
            .iter()
            .filter(|(i, _)| city.officers[*i].unit == ui)
            .filter_map(|(_, p)| *p)
            .collect();
        if has_predikat.is_none() || list.is_empty() {
            continue;
        }
        let code = UnitCode::parse(u.code)?;
        let justification = (u.code == PLANTED_DISTRIBUTION_UNIT).then(|| {
            "Seluruh pegawai dinilai Baik karena sasaran layanan rumah sakit tercapai merata; \
             ditetapkan menunggu evaluasi Inspektorat."
                .to_string()
        });
        app.finalise_unit_predikat(
            &code,
            year,
            Period::Tahunan,
            justification,
            &list,
            &actor,
            &meta(&actor),
            when,
        )
        .await
        .with_context(|| format!("finalise {code} {year}"))?;
        done += 1;
    }
    Ok(done)
}

/// Awards: priority competence development for the first Sangat Baik officers (one per hundred
/// officers, at least one), on the basis of their annual evaluation; and the planted award
/// (kenaikan pangkat istimewa for a Baik officer) granted with an override reason.
pub(crate) async fn awards(
    app: &App,
    city: &City,
    year: Year,
    annual: &[(usize, Option<PredikatPegawai>)],
) -> anyhow::Result<usize> {
    let admin = staff("seed:bkpsdm", Role::Admin);
    let when = at(day(year.get() + 1, 2, 17), 9);
    let quota = (city.officers.len() / 100).max(1);
    let mut grants: Vec<(usize, AwardKind, Option<String>)> = annual
        .iter()
        .filter(|(_, p)| *p == Some(PredikatPegawai::SangatBaik))
        .take(quota)
        .map(|(i, _)| (*i, AwardKind::PrioritasBangkom, None))
        .collect();
    grants.extend(
        city.officers
            .iter()
            .filter(|o| o.plant_award_override)
            .map(|o| {
                (
                    o.index,
                    AwardKind::KpIstimewa,
                    Some("Diusulkan Wali Kota atas jasa penanganan banjir akhir tahun".to_string()),
                )
            }),
    );
    for (k, (i, kind, override_reason)) in grants.iter().enumerate() {
        let o = &city.officers[*i];
        let (plan_state, ..) = app
            .load::<PlanEvent>(&stream(plan::stream_id(&o.nip, year, 1))?)
            .await?;
        // A deterministic id: the year, the officer and the grant's place in the list.
        let award_id = uuid::Uuid::from_u128(
            (u128::from(u32::try_from(year.get()).unwrap_or(0)) << 96)
                | (u128::try_from(*i).unwrap_or(0) << 32)
                | u128::try_from(k).unwrap_or(0),
        );
        let command = AwardCommand::GrantAward {
            award_id,
            nip: o.nip.clone(),
            kind: *kind,
            ground: AwardGround::PredikatSangatBaik,
            basis: vec![EvaluationRef {
                year,
                seq: 1,
                period: Period::Tahunan,
            }],
            override_reason: override_reason.clone(),
        };
        let mut m = meta(&admin);
        m.reason.clone_from(override_reason);
        let config = app.config.clone();
        let plans = [&plan_state];
        app.execute::<AwardEvent>(&stream(award::stream_id(award_id))?, &m, when, |s| {
            let ctx = AwardContext {
                config: &config,
                at: when,
                actor: &admin,
                basis_plans: &plans,
            };
            award::decide(s, &command, &ctx)
        })
        .await
        .with_context(|| format!("award {}", o.nip))?;
    }
    Ok(grants.len())
}

//! SKP use cases: load the officer (appraisers by date, status), the SKP and, for evaluations, the
//! SKP's unit (R6), then decide and append on the SKP stream. Also the collection of a unit's
//! employee predikat for the R5 finalisation.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};

use super::officers::current_day;
use super::{App, AppError, Committed, Meta, stream};
use crate::domain::plan::{self, PlanCommand, PlanContext};
use crate::domain::unit::{self, UnitCommand, UnitContext};
use crate::domain::{
    Actor, DomainEvent, Nip, OfficerEvent, OfficerState, Period, PlanEvent, PlanState,
    PredikatPegawai, UnitCode, UnitEvent, Year,
};
use crate::store::{RecordedEvent, StreamId};

/// Which SKP: the officer's plan for `year`, sequence `seq` (default: the one in force today, or
/// on the last day of a past year).
#[derive(Debug, Clone)]
pub struct PlanRef {
    pub nip: Nip,
    pub year: Year,
    pub seq: Option<u32>,
}

impl PlanRef {
    /// The sequence number this reference stands for.
    pub fn seq(&self, officer: &OfficerState, at: DateTime<Utc>) -> u32 {
        self.seq
            .unwrap_or_else(|| officer.plan_seq(self.year, current_day(self.year, at)))
    }

    /// The stream id.
    pub fn stream(&self, officer: &OfficerState, at: DateTime<Utc>) -> Result<StreamId, AppError> {
        stream(plan::stream_id(&self.nip, self.year, self.seq(officer, at)))
    }
}

/// A loaded SKP: the officer, the plan, its revision and events.
pub struct LoadedPlan {
    pub officer: OfficerState,
    pub stream: StreamId,
    pub plan: PlanState,
    pub revision: u64,
    pub events: Vec<RecordedEvent>,
    /// The events decoded, in the same order.
    pub decoded: Vec<PlanEvent>,
}

impl App {
    /// Load an SKP that must exist.
    pub async fn load_plan(&self, r: &PlanRef, at: DateTime<Utc>) -> Result<LoadedPlan, AppError> {
        let (officer, _) = self.officer(&r.nip).await?;
        self.load_plan_of(officer, r, at).await
    }

    /// [`App::load_plan`] of an officer the caller has already loaded.
    pub async fn load_plan_of(
        &self,
        officer: OfficerState,
        r: &PlanRef,
        at: DateTime<Utc>,
    ) -> Result<LoadedPlan, AppError> {
        let stream = r.stream(&officer, at)?;
        let (plan, revision, events, decoded) = self.load_decoded::<PlanEvent>(&stream).await?;
        let Some(revision) = revision else {
            return Err(AppError::NotFound("SKP".into()));
        };
        Ok(LoadedPlan {
            officer,
            stream,
            plan,
            revision,
            events,
            decoded,
        })
    }

    /// Run one SKP command. `DraftPlan` gets its sequence number from the reference.
    pub async fn plan_command(
        &self,
        r: &PlanRef,
        command: PlanCommand,
        actor: &Actor,
        meta: &Meta,
        at: DateTime<Utc>,
    ) -> Result<Committed, AppError> {
        let (officer, _) = self.officer(&r.nip).await?;
        let seq = r.seq(&officer, at);
        let s = stream(plan::stream_id(&r.nip, r.year, seq))?;
        let command = match command {
            PlanCommand::DraftPlan {
                nip,
                year,
                approach,
                ..
            } => PlanCommand::DraftPlan {
                nip,
                year,
                seq,
                approach,
            },
            other => other,
        };
        let unit = match &command {
            PlanCommand::RecordEvaluation { .. } | PlanCommand::AmendEvaluation { .. } => {
                let (plan_state, ..) = self.load::<PlanEvent>(&s).await?;
                match plan_state.post.as_ref() {
                    Some(post) => Some(
                        self.load::<UnitEvent>(&stream(unit::stream_id(&post.unit))?)
                            .await?
                            .0,
                    ),
                    None => None,
                }
            }
            _ => None,
        };
        let config = self.config.clone();
        self.execute::<PlanEvent>(&s, meta, at, |state| {
            let ctx = PlanContext {
                config: &config,
                at,
                actor,
                officer: &officer,
                unit: unit.as_ref(),
            };
            plan::decide(state, &command, &ctx)
        })
        .await
    }

    /// Every registered officer, folded, by NIP (reads the `officer` category).
    pub async fn all_officers(&self) -> Result<BTreeMap<Nip, OfficerState>, AppError> {
        let mut by_stream: BTreeMap<String, OfficerState> = BTreeMap::new();
        let mut after = 0;
        loop {
            let page = self
                .store
                .read_category(crate::domain::officer::CATEGORY, after, 1000)
                .await?;
            let done = page.len() < 1000;
            for e in &page {
                after = after.max(e.position);
                let decoded = OfficerEvent::from_stored(&e.event_type, e.schema_version, &e.data)?;
                let state = by_stream.remove(&e.stream_id).unwrap_or_default();
                by_stream.insert(e.stream_id.clone(), OfficerEvent::evolve(state, &decoded));
            }
            if done {
                break;
            }
        }
        Ok(by_stream
            .into_values()
            .filter_map(|s| s.nip.clone().filter(|_| s.registered).map(|n| (n, s)))
            .collect())
    }

    /// The final predikat of every SKP of `year` held in unit `code` that has an evaluation for
    /// `period`, and the approved SKPs in force during the period that have none yet.
    pub async fn unit_predikat(
        &self,
        code: &UnitCode,
        year: Year,
        period: Period,
    ) -> Result<UnitPredikat, AppError> {
        let (start, end) = period.range(year);
        let mut out = UnitPredikat::default();
        for (nip, officer) in self.all_officers().await? {
            let last = NaiveDate::from_ymd_opt(year.get(), 12, 31).unwrap_or(end);
            for seq in 1..=officer.plan_seq(year, last) {
                let s = stream(plan::stream_id(&nip, year, seq))?;
                let (p, revision, _) = self.load::<PlanEvent>(&s).await?;
                if revision.is_none() || p.post.as_ref().is_none_or(|post| post.unit != *code) {
                    continue;
                }
                match p.evaluations.get(&period) {
                    Some(ev) => out.evaluated.push((nip.clone(), seq, ev.predikat)),
                    None if p.approvals > 0 && p.closed_on.is_none_or(|c| c >= start) => {
                        out.missing.push((nip.clone(), seq));
                    }
                    None => {}
                }
            }
        }
        Ok(out)
    }

    /// R5: finalise the employee predikat of a unit for a period with the list collected by
    /// [`App::unit_predikat`].
    #[allow(clippy::too_many_arguments)]
    pub async fn finalise_unit_predikat(
        &self,
        code: &UnitCode,
        year: Year,
        period: Period,
        justification: Option<String>,
        employee_predikat: &[PredikatPegawai],
        actor: &Actor,
        meta: &Meta,
        at: DateTime<Utc>,
    ) -> Result<Committed, AppError> {
        let s = stream(unit::stream_id(code))?;
        self.load_existing::<UnitEvent>(&s, "Unit").await?;
        let config = self.config.clone();
        let command = UnitCommand::FinalisePredikat {
            year,
            period,
            justification,
        };
        self.execute::<UnitEvent>(&s, meta, at, |state| {
            let ctx = UnitContext {
                config: &config,
                at,
                actor,
                parent: None,
                employee_predikat,
            };
            unit::decide(state, &command, &ctx)
        })
        .await
    }
}

/// The employee predikat of a unit for one period.
#[derive(Debug, Clone, Default)]
pub struct UnitPredikat {
    /// `(nip, seq, predikat)` of every evaluated SKP.
    pub evaluated: Vec<(Nip, u32, PredikatPegawai)>,
    /// `(nip, seq)` of approved SKPs in force during the period without an evaluation.
    pub missing: Vec<(Nip, u32)>,
}

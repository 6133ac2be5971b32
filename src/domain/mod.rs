//! The ASN performance cycle as events and pure deciders. Each stream category (organisation
//! unit, officer, SKP, award, training programme, survey) has a `State`, a `Command` enum, an
//! `Event` enum, `decide(&State, &Command, ..) -> Result<Vec<Event>, DomainError>` and
//! `evolve(State, &Event) -> State`. Nothing here reads a clock, generates an id or does I/O:
//! commands carry the server time, the actor and any new ids, and a decision that needs facts
//! from another stream receives that stream's folded state as an argument.
//!
//! # Layout
//!
//! - [`values`]: NIP, unit code, year, period, ratings and predikat, quantities, evidence, actor.
//! - [`error`]: [`DomainError`], with stable codes and Indonesian messages.
//! - [`config`]: [`DomainConfig`], every unverified / configurable rule with its default.
//! - [`rules`]: pure calculators for R2, R4, R5, R13, R14, R16, R17, R18, R19, R20.
//! - [`codec`]: [`DomainEvent`], the event ⇄ JSON contract with the store and the fold.
//! - [`unit`]: `unit-{code}`: organisation units, heads, organisation predikat (R7), R5.
//! - [`officer`]: `officer-{nip}`: officers, transfers, appraiser assignments (R23), status (R8).
//! - [`plan`]: `skp-{nip}_{year}_{seq}`: SKP planning, reports, feedback, evaluations, objections.
//! - [`access`]: `access-{token_id}`: bearer tokens issued and revoked (audited like the rest).
//! - [`award`]: `award-{uuid}`: awards on the basis of evaluations, overrides, revocation (R24).
//! - [`training`]: `training-{uuid}`: programmes, enrolment, completion, JP compliance (R17).
//! - [`survey`]: `survey-{unit}_{year}`: SKM codes, answers, IKM (R13, R14, R16), improvement
//!   actions.
//!
//! # Using a stream from the application layer
//!
//! ```text
//! let state  = PlanEvent::fold(&loaded_events);                // or plan::evolve one by one
//! let events = plan::decide(&state, &command, &PlanContext { config, at, actor, officer, unit })?;
//! for e in &events { store_row(e.event_type(), e.schema_version(), e.to_data()) }
//! // reading back: PlanEvent::from_data(event_type, schema_version, &data)?
//! ```
//!
//! Cross-stream decisions: the SKP decider needs the officer's state (and the unit's for
//! evaluations, R6); `unit::decide` needs the parent unit's state (R7) and the employee predikat
//! list (R5); `award::decide` needs the SKP states of the basis evaluations. After an
//! `OfficerTransferred`, the application closes the current SKP with
//! `PlanCommand::ClosePlan { reason: CloseReason::Transfer, effective }` and the next SKP of
//! the year uses `OfficerState::plan_seq`.

pub mod access;
pub mod award;
pub mod codec;
pub mod config;
pub mod error;
pub mod officer;
pub mod plan;
pub mod rules;
pub mod survey;
pub mod training;
pub mod unit;
pub mod values;

#[cfg(test)]
mod proptests;
#[cfg(test)]
pub(crate) mod testing;

pub use award::{AwardCommand, AwardContext, AwardEvent, AwardState};
pub use codec::DomainEvent;
pub use config::DomainConfig;
pub use error::DomainError;
pub use officer::{OfficerCommand, OfficerEvent, OfficerState};
pub use plan::{PlanCommand, PlanContext, PlanEvent, PlanState};
pub use survey::{SurveyCommand, SurveyEvent, SurveyState};
pub use training::{TrainingCommand, TrainingEvent, TrainingState};
pub use unit::{UnitCommand, UnitContext, UnitEvent, UnitState};
pub use values::{
    Actor, ActorId, Evidence, Milli, Nip, Period, PredikatOrganisasi, PredikatPegawai, Quantity,
    Rating, Role, UnitCode, Year,
};

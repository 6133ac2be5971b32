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
//! - [`plan`]: `skp-{nip}_{year}_{seq}`: SKP planning, reports, feedback, evaluations, objections.
//! - [`award`]: `award-{uuid}`: awards on the basis of evaluations, overrides, revocation (R24).
//! - [`training`]: `training-{uuid}`: programmes, enrolment, completion, JP compliance (R17).
//! - [`survey`]: `survey-{unit}_{year}`: SKM codes, answers, IKM (R13, R14, R16), improvement actions.
//! - [`officer`]: `officer-{nip}`: officers, transfers, appraiser assignments (R23), status (R8).

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

pub use codec::DomainEvent;
pub use config::DomainConfig;
pub use error::DomainError;

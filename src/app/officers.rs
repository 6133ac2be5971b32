//! Officer use cases: register (the API and `kinerja import officers` both come here), transfer
//! (which also closes the current SKP, R8), appraiser assignments, status changes (an exempting
//! status closes the current SKP too) and the free-text checks the domain does not make.

use chrono::{DateTime, Datelike, NaiveDate, Utc};

use super::{App, AppError, Committed, Meta, stream};
use crate::domain::officer::{self, OfficerCommand, OfficerStatus, Post};
use crate::domain::plan::{self, CloseReason, PlanCommand, PlanContext, PlanStatus};
use crate::domain::unit;
use crate::domain::values::{EmploymentType, PositionKind};
use crate::domain::{
    ActorId, Nip, OfficerEvent, OfficerState, PlanEvent, UnitCode, UnitEvent, Year,
};

/// Refuse text an officer could not have meant and an auditor could be fooled by: control
/// characters (line breaks and tabs only where `multiline`), Unicode bidirectional overrides and
/// isolates (U+202A–U+202E, U+2066–U+2069), zero-width and byte-order marks, and non-characters.
/// Length and emptiness are the domain's (`required_text`).
pub fn checked_text(field: &str, text: &str, multiline: bool) -> Result<(), AppError> {
    let bad = text.chars().find(|&c| {
        let allowed_ws = multiline && matches!(c, '\n' | '\r' | '\t');
        (c.is_control() && !allowed_ws)
            || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
            || matches!(
                c,
                '\u{200B}'..='\u{200F}' | '\u{FEFF}' | '\u{2028}' | '\u{2029}'
            )
            || matches!(c, '\u{FDD0}'..='\u{FDEF}')
            || (u32::from(c) & 0xFFFE) == 0xFFFE
    });
    match bad {
        None => Ok(()),
        Some(c) => Err(AppError::Invalid {
            field: field.to_string(),
            detail: format!(
                "mengandung karakter tak terlihat atau karakter kendali (U+{:04X}); ketik ulang tanpa karakter tersebut",
                u32::from(c)
            ),
        }),
    }
}

/// A new officer as entered (JSON body or CSV row).
#[derive(Debug, Clone)]
pub struct NewOfficer {
    pub nip: String,
    pub name: String,
    pub golongan: String,
    pub employment: EmploymentType,
    pub unit: String,
    pub position: String,
    pub kind: PositionKind,
}

/// A registration checked against everything but the store's final word: where it goes and the
/// command.
#[derive(Debug, Clone)]
pub struct Registration {
    pub nip: Nip,
    pub command: OfficerCommand,
}

impl App {
    /// Validate a registration and decide it against the current state without appending (the
    /// importer checks a whole file this way before writing anything).
    pub async fn check_registration(
        &self,
        input: &NewOfficer,
        at: DateTime<Utc>,
    ) -> Result<Registration, AppError> {
        let r = self.validate_registration(input).await?;
        let (state, ..) = self
            .load::<OfficerEvent>(&stream(officer::stream_id(&r.nip))?)
            .await?;
        officer::decide(&state, &r.command, &self.config, at)?;
        Ok(r)
    }

    /// The checks of a registration that do not depend on the officer stream: text, NIP, unit.
    pub async fn validate_registration(
        &self,
        input: &NewOfficer,
    ) -> Result<Registration, AppError> {
        checked_text("name", &input.name, false)?;
        checked_text("golongan", &input.golongan, false)?;
        checked_text("post.position", &input.position, false)?;
        let nip = Nip::parse(&input.nip)?;
        let unit_code = UnitCode::parse(&input.unit)?;
        self.load_existing::<UnitEvent>(&stream(unit::stream_id(&unit_code))?, "Unit")
            .await?;
        let command = OfficerCommand::RegisterOfficer {
            nip: nip.clone(),
            name: input.name.clone(),
            golongan: input.golongan.clone(),
            employment: input.employment,
            post: Post {
                unit: unit_code,
                position: input.position.clone(),
                kind: input.kind,
            },
        };
        Ok(Registration { nip, command })
    }

    /// Register an officer.
    pub async fn register_officer(
        &self,
        input: &NewOfficer,
        meta: &Meta,
        at: DateTime<Utc>,
    ) -> Result<Committed, AppError> {
        // The decision itself runs in `execute`, after the Idempotency-Key replay check.
        let r = self.validate_registration(input).await?;
        self.officer_command(&r.nip, &r.command, meta, at).await
    }

    /// Run one command on `officer-{nip}` (the officer must exist unless registering).
    pub async fn officer_command(
        &self,
        nip: &Nip,
        command: &OfficerCommand,
        meta: &Meta,
        at: DateTime<Utc>,
    ) -> Result<Committed, AppError> {
        let s = stream(officer::stream_id(nip))?;
        if !matches!(command, OfficerCommand::RegisterOfficer { .. }) {
            self.load_existing::<OfficerEvent>(&s, "Pegawai").await?;
        }
        let config = self.config.clone();
        self.execute::<OfficerEvent>(&s, meta, at, |state| {
            officer::decide(state, command, &config, at)
        })
        .await
    }

    /// The folded officer, 404 when not registered.
    pub async fn officer(&self, nip: &Nip) -> Result<(OfficerState, u64), AppError> {
        let (state, revision, _) = self
            .load::<OfficerEvent>(&stream(officer::stream_id(nip))?)
            .await?;
        match revision {
            Some(r) if state.registered => Ok((state, r)),
            _ => Err(AppError::NotFound("Pegawai".into())),
        }
    }

    /// Transfer an officer to another post, then close the SKP of the old post (R8). Returns both
    /// commits; a retry with the same Idempotency-Key finishes a half-done transfer.
    pub async fn transfer_officer(
        &self,
        nip: &Nip,
        post: Post,
        effective: NaiveDate,
        meta: &Meta,
        at: DateTime<Utc>,
    ) -> Result<(Committed, Option<Committed>), AppError> {
        checked_text("post.position", &post.position, false)?;
        self.load_existing::<UnitEvent>(&stream(unit::stream_id(&post.unit))?, "Unit")
            .await?;
        let (before, _) = self.officer(nip).await?;
        let command = OfficerCommand::TransferOfficer { post, effective };
        let committed = self.officer_command(nip, &command, meta, at).await?;
        // The SKP in force the day before the transfer took effect.
        let day_before = effective.pred_opt().unwrap_or(effective);
        let closed = self
            .close_current_plan(
                nip,
                &before,
                day_before,
                CloseReason::Transfer,
                effective,
                meta,
                at,
            )
            .await?;
        Ok((committed, closed))
    }

    /// Change an officer's status; a status that exempts from planning closes the current SKP.
    pub async fn change_officer_status(
        &self,
        nip: &Nip,
        status: OfficerStatus,
        effective: NaiveDate,
        reason: String,
        meta: &Meta,
        at: DateTime<Utc>,
    ) -> Result<(Committed, Option<Committed>), AppError> {
        checked_text("reason", &reason, true)?;
        let command = OfficerCommand::ChangeStatus {
            status,
            effective,
            reason,
        };
        let committed = self.officer_command(nip, &command, meta, at).await?;
        let closed = if status.exempt_from_planning() {
            let (officer, _) = self.officer(nip).await?;
            self.close_current_plan(
                nip,
                &officer,
                effective,
                CloseReason::StatusChange,
                effective,
                meta,
                at,
            )
            .await?
        } else {
            None
        };
        Ok((committed, closed))
    }

    /// Close the SKP in force on `on` if there is one and it is still open.
    #[allow(clippy::too_many_arguments)]
    async fn close_current_plan(
        &self,
        nip: &Nip,
        officer: &OfficerState,
        on: NaiveDate,
        reason: CloseReason,
        effective: NaiveDate,
        meta: &Meta,
        at: DateTime<Utc>,
    ) -> Result<Option<Committed>, AppError> {
        let Ok(year) = Year::new(on.year()) else {
            return Ok(None);
        };
        let seq = officer.plan_seq(year, on);
        let s = stream(plan::stream_id(nip, year, seq))?;
        let (plan_state, revision, _) = self.load::<PlanEvent>(&s).await?;
        if revision.is_none() || plan_state.status == PlanStatus::Closed {
            return Ok(None);
        }
        let (officer_now, _) = self.officer(nip).await?;
        let actor = meta
            .actor
            .clone()
            .ok_or_else(|| AppError::Forbidden("no actor".into()))?;
        let config = self.config.clone();
        let command = PlanCommand::ClosePlan { reason, effective };
        // The closing is a consequence of the officer command: same key, same request, but it
        // must not trip over the caller's If-Match, which was about the officer stream.
        let meta = Meta {
            expected_revision: None,
            ..meta.clone()
        };
        let committed = self
            .execute::<PlanEvent>(&s, &meta, at, |state| {
                let ctx = PlanContext {
                    config: &config,
                    at,
                    actor: &actor,
                    officer: &officer_now,
                    unit: None,
                };
                plan::decide(state, &command, &ctx)
            })
            .await?;
        Ok(Some(committed))
    }
}

/// Whether `caller` may read `officer`'s records: themself, or one of their appraisers or atasan
/// (in any assignment, past or present).
pub fn may_read(officer: &OfficerState, caller: &Nip) -> bool {
    let me = ActorId::Nip(caller.clone());
    officer.nip.as_ref() == Some(caller)
        || officer
            .assignments
            .iter()
            .any(|a| a.penilai == me || a.atasan == me)
}

/// The last day of `year` or today, whichever is earlier: the date whose SKP is "current".
pub fn current_day(year: Year, at: DateTime<Utc>) -> NaiveDate {
    let today = at.date_naive();
    NaiveDate::from_ymd_opt(year.get(), 12, 31)
        .map_or(today, |end| end.min(today))
        .max(NaiveDate::from_ymd_opt(year.get(), 1, 1).unwrap_or(today))
}

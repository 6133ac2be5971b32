//! Settings for every rule that the regulations leave open or that `domain.md` grades U
//! (unverified) or CONFIG. Each field's default is the documented default; the application
//! loads a [`DomainConfig`] once and passes it to the deciders that need it.

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use super::error::DomainError;
use super::values::{EmploymentType, PredikatOrganisasi, Rating};

/// How percentages of R5 are turned into head counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DistributionRounding {
    /// Maxima `floor(max% × n)`, minima `ceil(min% × n)` (strict; the R5 default).
    FloorMaxCeilMin,
    /// Both rounded to the nearest whole employee (half up).
    Nearest,
}

/// Which periodic evaluations are recorded besides the annual one (R11).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum EvaluationGranularity {
    /// TW I–IV plus the annual evaluation (the official example form).
    Quarterly,
    /// The annual evaluation only.
    AnnualOnly,
}

/// R6 map from the unit's organisation predikat to its head's hasil-kerja rating (grade U).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitHeadRatingMap {
    /// For ISTIMEWA.
    pub istimewa: Rating,
    /// For BAIK.
    pub baik: Rating,
    /// For BUTUH_PERBAIKAN.
    pub butuh_perbaikan: Rating,
    /// For KURANG.
    pub kurang: Rating,
    /// For SANGAT_KURANG.
    pub sangat_kurang: Rating,
}

impl UnitHeadRatingMap {
    /// The rating a unit head gets for the unit's predikat.
    pub fn rating(&self, p: PredikatOrganisasi) -> Rating {
        match p {
            PredikatOrganisasi::Istimewa => self.istimewa,
            PredikatOrganisasi::Baik => self.baik,
            PredikatOrganisasi::ButuhPerbaikan => self.butuh_perbaikan,
            PredikatOrganisasi::Kurang => self.kurang,
            PredikatOrganisasi::SangatKurang => self.sangat_kurang,
        }
    }
}

impl Default for UnitHeadRatingMap {
    fn default() -> Self {
        Self {
            istimewa: Rating::DiAtas,
            baik: Rating::Sesuai,
            butuh_perbaikan: Rating::DiBawah,
            kurang: Rating::DiBawah,
            sangat_kurang: Rating::DiBawah,
        }
    }
}

/// R17: how many JP a year an officer must (PNS) or may (PPPK) complete.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "rule", content = "jp", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum JpRule {
    /// Compliant when the total is at least this many JP.
    AtLeast(u32),
    /// Compliant when the total does not exceed this many JP (the ministry-specific PPPK reading).
    AtMost(u32),
}

/// Award rules (R24 and the "exceeding targets" check of the issue).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AwardRules {
    /// Consecutive SANGAT_BAIK annual predikat required for KP istimewa / prioritas bangkom
    /// (§8.1, U). Default 1: the basis year alone.
    pub sangat_baik_years_required: u32,
    /// Whether every UTAMA indicator must reach its target and at least one exceed it for an
    /// "exceeding targets" award (default true).
    pub require_realisations_exceed_targets: bool,
}

impl Default for AwardRules {
    fn default() -> Self {
        Self {
            sangat_baik_years_required: 1,
            require_realisations_exceed_targets: true,
        }
    }
}

/// Every configurable rule of the domain, with the documented defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DomainConfig {
    /// R6 map (U).
    pub unit_head_rating: UnitHeadRatingMap,
    /// R6: refuse an evaluation of a unit head whose hasil-kerja rating differs from the map
    /// (default true; when the org predikat is missing the evaluation is refused too).
    pub enforce_unit_head_rating: bool,
    /// R5 rounding (U). Default floor for maxima, ceil for minima.
    pub distribution_rounding: DistributionRounding,
    /// R5: whether a distribution violation blocks finalising even with a justification
    /// (§11-4, U). Default false: a warning with a reason.
    pub distribution_violations_block: bool,
    /// R11 granularity. Default quarterly.
    pub evaluation_granularity: EvaluationGranularity,
    /// R12 objection window in calendar days (U whether working days). Default 14.
    pub objection_window_days: u32,
    /// Allowed clock skew for dates given by clients, in seconds. Default 300.
    pub clock_skew_seconds: i64,
    /// A report is late when filed more than this many days after its period ends (U). Default 10.
    pub report_deadline_days: u32,
    /// R17 rule for PNS. Default at least 20 JP.
    pub jp_rule_pns: JpRule,
    /// R17 rule for PPPK (U). Default at most 24 JP.
    pub jp_rule_pppk: JpRule,
    /// R13 default weights of the nine SKM elements (1/9 each); a unit may set its own.
    pub ikm_default_weights: Vec<f64>,
    /// R9: non-JPT UTAMA results must name the superior's RHK they support (SHOULD; default true).
    pub require_superior_result: bool,
    /// Award rules.
    pub award: AwardRules,
    /// R8: the SKP is approved by this month and day of its year (default 31 January);
    /// a later approval is accepted and marked late.
    pub plan_approval_deadline: (u32, u32),
}

impl Default for DomainConfig {
    fn default() -> Self {
        Self {
            unit_head_rating: UnitHeadRatingMap::default(),
            enforce_unit_head_rating: true,
            distribution_rounding: DistributionRounding::FloorMaxCeilMin,
            distribution_violations_block: false,
            evaluation_granularity: EvaluationGranularity::Quarterly,
            objection_window_days: 14,
            clock_skew_seconds: 300,
            report_deadline_days: 10,
            jp_rule_pns: JpRule::AtLeast(20),
            jp_rule_pppk: JpRule::AtMost(24),
            ikm_default_weights: vec![1.0 / 9.0; 9],
            require_superior_result: true,
            award: AwardRules::default(),
            plan_approval_deadline: (1, 31),
        }
    }
}

impl DomainConfig {
    /// Rejects a client-given instant later than `now` plus the clock-skew allowance.
    pub fn instant_not_in_future(
        &self,
        field: &'static str,
        t: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<(), DomainError> {
        let skew =
            TimeDelta::try_seconds(self.clock_skew_seconds.max(0)).unwrap_or(TimeDelta::zero());
        if t > now + skew {
            Err(DomainError::DateInFuture { field })
        } else {
            Ok(())
        }
    }

    /// Rejects a date after the date of `now` plus the clock-skew allowance.
    pub fn date_not_in_future(
        &self,
        field: &'static str,
        d: NaiveDate,
        now: DateTime<Utc>,
    ) -> Result<(), DomainError> {
        let skew =
            TimeDelta::try_seconds(self.clock_skew_seconds.max(0)).unwrap_or(TimeDelta::zero());
        if d > (now + skew).date_naive() {
            Err(DomainError::DateInFuture { field })
        } else {
            Ok(())
        }
    }

    /// The SKP approval deadline in `year` (R8).
    pub fn plan_approval_deadline(&self, year: super::values::Year) -> Option<NaiveDate> {
        let (m, d) = self.plan_approval_deadline;
        NaiveDate::from_ymd_opt(year.get(), m, d)
    }

    /// The JP rule for an employment type.
    pub fn jp_rule(&self, t: EmploymentType) -> JpRule {
        match t {
            EmploymentType::Pns => self.jp_rule_pns,
            EmploymentType::Pppk => self.jp_rule_pppk,
        }
    }
}

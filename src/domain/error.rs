//! The one rejection type of the domain layer. Every variant has a stable upper-snake English
//! code ([`DomainError::code`]) for clients, logs and tests, and a Display message in Bahasa
//! Indonesia that tells the officer what is wrong and what to do. The HTTP layer maps all of
//! them to 422 except the decode errors, which are infrastructure faults.

use thiserror::Error;

/// A rejected command, an invalid value, or an event that cannot be decoded.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum DomainError {
    // --- values -------------------------------------------------------------------------
    /// NIP shape or embedded data invalid.
    #[error("NIP tidak valid: {reason}. Periksa kembali 18 digit NIP Anda.")]
    InvalidNip {
        /// What is wrong.
        reason: String,
    },
    /// Unit code invalid.
    #[error(
        "Kode unit \"{code}\" tidak valid. Gunakan huruf, angka, titik atau tanda hubung tanpa spasi."
    )]
    InvalidUnitCode {
        /// The rejected text.
        code: String,
    },
    /// Year out of range.
    #[error("Tahun {year} tidak valid. Gunakan tahun antara 2000 dan 2100.")]
    InvalidYear {
        /// The rejected year.
        year: i32,
    },
    /// Period text not a quarter or the year.
    #[error("Periode \"{period}\" tidak dikenal. Pilih TW I, TW II, TW III, TW IV atau TAHUNAN.")]
    InvalidPeriod {
        /// The rejected text.
        period: String,
    },
    /// A number could not be read.
    #[error(
        "Angka \"{raw}\" tidak valid. Tulis angka dengan paling banyak tiga desimal, mis. 12,5."
    )]
    InvalidQuantity {
        /// The rejected text.
        raw: String,
    },
    /// A negative target or realisation.
    #[error("Target dan realisasi tidak boleh negatif. Isi angka nol atau lebih.")]
    NegativeQuantity,
    /// A quantity without a unit of measure.
    #[error("Satuan wajib diisi (mis. Dokumen, %, Bulan).")]
    MissingUnit,
    /// Evidence reference invalid.
    #[error("Bukti dukung tidak valid: {reason}. Unggah ulang berkasnya.")]
    InvalidEvidence {
        /// What is wrong.
        reason: String,
    },
    /// A required text is empty or too long.
    #[error("Kolom \"{field}\" wajib diisi dan paling banyak {max} karakter.")]
    RequiredText {
        /// Field name.
        field: &'static str,
        /// Maximum length.
        max: usize,
    },
    /// A text holds control, bidirectional-override or invisible characters.
    #[error(
        "Kolom \"{field}\" mengandung karakter kendali atau karakter tak terlihat. Ketik ulang teksnya tanpa menyalin dari sumber lain."
    )]
    InvalidText {
        /// Field name.
        field: &'static str,
    },
    /// A date lies in the future beyond the clock-skew allowance.
    #[error("Tanggal {field} berada di masa depan. Periksa tanggal dan jam perangkat Anda.")]
    DateInFuture {
        /// Which date.
        field: &'static str,
    },
    /// End before start.
    #[error("Tanggal selesai tidak boleh sebelum tanggal mulai.")]
    InvalidDateRange,

    // --- authority ----------------------------------------------------------------------
    /// The actor is not the appraiser assigned at the effective date.
    #[error(
        "Anda bukan pejabat penilai yang ditetapkan untuk pegawai ini pada tanggal tersebut. Hubungi pengelola kinerja bila penetapan penilai belum benar."
    )]
    NotAssignedAppraiser,
    /// The actor is not the appraiser's superior assigned at the time.
    #[error(
        "Anda bukan atasan pejabat penilai untuk pegawai ini. Keberatan hanya diputus oleh atasan pejabat penilai."
    )]
    NotAtasanPenilai,
    /// An officer acted on somebody else's records.
    #[error("Anda hanya dapat mengisi atau mengubah data kinerja milik Anda sendiri.")]
    NotOwnRecord,
    /// Organisation predikat set by someone other than the head of the parent unit (R7).
    #[error(
        "Predikat kinerja organisasi hanya dapat ditetapkan oleh pimpinan unit satu tingkat di atasnya."
    )]
    NotParentUnitHead,
    /// Role not allowed for this command.
    #[error("Peran Anda tidak berwenang untuk tindakan ini.")]
    RoleNotAllowed,

    // --- organisation -------------------------------------------------------------------
    /// Unit already registered.
    #[error("Unit ini sudah terdaftar.")]
    UnitAlreadyRegistered,
    /// Unit not registered.
    #[error("Unit belum terdaftar. Daftarkan unit terlebih dahulu.")]
    UnitNotRegistered,
    /// Unit cannot be its own parent / would create a cycle.
    #[error("Unit tidak dapat menjadi induk bagi dirinya sendiri.")]
    UnitParentCycle,
    /// The unit has no parent, so no one can set its predikat under R7.
    #[error(
        "Unit ini tidak memiliki unit induk sehingga predikat organisasinya tidak dapat ditetapkan di sini."
    )]
    UnitHasNoParent,
    /// Organisation predikat for the period not yet set.
    #[error("Predikat kinerja organisasi untuk periode ini belum ditetapkan.")]
    OrganisationPredikatMissing,
    /// Already finalised.
    #[error("Predikat pegawai unit ini untuk periode tersebut sudah difinalkan.")]
    PredikatAlreadyFinalised,
    /// R5 violated and no justification given.
    #[error(
        "Sebaran predikat tidak sesuai pola distribusi ({details}). Tuliskan alasan (justifikasi) untuk melanjutkan."
    )]
    DistributionJustificationRequired {
        /// The violated constraints.
        details: String,
    },
    /// R5 violated and configuration blocks violations.
    #[error(
        "Sebaran predikat tidak sesuai pola distribusi ({details}). Sesuaikan predikat pegawai."
    )]
    DistributionViolation {
        /// The violated constraints.
        details: String,
    },
    /// No employee predikat to finalise.
    #[error("Belum ada predikat pegawai untuk difinalkan.")]
    NothingToFinalise,

    // --- officer ------------------------------------------------------------------------
    /// Officer already registered.
    #[error("Pegawai dengan NIP ini sudah terdaftar.")]
    OfficerAlreadyRegistered,
    /// Officer not registered.
    #[error("Pegawai belum terdaftar. Hubungi pengelola kinerja.")]
    OfficerNotRegistered,
    /// An officer cannot appraise themself.
    #[error(
        "Pegawai tidak dapat menjadi pejabat penilai atau atasan penilai bagi dirinya sendiri."
    )]
    SelfAppraisal,
    /// Status does not change anything.
    #[error("Status pegawai sudah {status}.")]
    StatusUnchanged {
        /// Current status.
        status: String,
    },
    /// Officer is exempt from planning (R8).
    #[error(
        "Pegawai berstatus {status} dibebaskan dari penyusunan SKP. Hubungi pengelola kinerja bila status tidak benar."
    )]
    OfficerExempt {
        /// The exempting status.
        status: String,
    },

    // --- plan (SKP) ---------------------------------------------------------------------
    /// SKP already drafted.
    #[error("SKP tahun ini sudah dibuat.")]
    PlanAlreadyDrafted,
    /// SKP not drafted yet.
    #[error("SKP belum dibuat. Susun SKP terlebih dahulu.")]
    PlanNotDrafted,
    /// SKP cannot be changed in its state.
    #[error("SKP berstatus {status} dan tidak dapat diubah dengan cara ini. {hint}")]
    PlanNotEditable {
        /// Current status.
        status: &'static str,
        /// What to do.
        hint: &'static str,
    },
    /// SKP not approved.
    #[error(
        "SKP belum ditetapkan (disetujui) oleh pejabat penilai. Realisasi dan penilaian hanya dapat dicatat pada SKP yang sudah ditetapkan."
    )]
    PlanNotApproved,
    /// SKP closed.
    #[error("SKP sudah ditutup. Gunakan SKP baru untuk jabatan atau tahun yang berlaku.")]
    PlanClosed,
    /// The SKP year differs from the command.
    #[error("Tahun SKP tidak sesuai.")]
    PlanYearMismatch,
    /// RHK with no indicator.
    #[error("Setiap rencana hasil kerja (RHK) wajib memiliki paling sedikit satu indikator.")]
    ResultWithoutIndicator,
    /// Quantitative indicator without a target.
    #[error(
        "Pada pendekatan kuantitatif setiap indikator wajib memiliki aspek dan target (angka + satuan)."
    )]
    IndicatorNeedsTarget,
    /// Main RHK without the superior's RHK (non-JPT).
    #[error("RHK utama wajib menyebutkan RHK atasan yang diintervensi.")]
    MissingSuperiorResult,
    /// SKP has no main result.
    #[error("SKP wajib memiliki paling sedikit satu RHK utama sebelum diajukan.")]
    PlanHasNoMainResult,
    /// A duplicate id.
    #[error("Data dengan id yang sama sudah ada ({what}).")]
    DuplicateId {
        /// What kind of id.
        what: &'static str,
    },
    /// Unknown result / indicator / report / evaluation referenced.
    #[error("Data yang dirujuk tidak ditemukan ({what}).")]
    NotFound {
        /// What was not found.
        what: &'static str,
    },
    /// A period is closed (its evaluation is recorded or the SKP is closed).
    #[error(
        "Periode {period} sudah ditutup karena penilaiannya sudah dicatat. Hubungi pejabat penilai bila perlu koreksi."
    )]
    PeriodClosed {
        /// The period label.
        period: String,
    },
    /// The period has not started yet.
    #[error("Periode {period} belum dimulai. Laporkan realisasi setelah periode berjalan.")]
    PeriodNotStarted {
        /// The period label.
        period: String,
    },
    /// Realisation unit differs from the target unit.
    #[error("Satuan realisasi ({got}) harus sama dengan satuan target ({expected}).")]
    UnitMismatch {
        /// Target unit.
        expected: String,
        /// Given unit.
        got: String,
    },
    /// Report already withdrawn.
    #[error("Laporan ini sudah ditarik dan tidak dapat diubah lagi.")]
    ReportWithdrawn,
    /// An evaluation for that period exists already.
    #[error(
        "Penilaian periode {period} sudah dicatat. Gunakan perubahan penilaian (amandemen) dengan alasan."
    )]
    EvaluationExists {
        /// The period label.
        period: String,
    },
    /// Evaluation granularity forbids this period.
    #[error("Penilaian periodik {period} tidak digunakan menurut pengaturan instansi.")]
    PeriodNotEvaluated {
        /// The period label.
        period: String,
    },
    /// R6: unit-head rating must follow the organisation predikat.
    #[error(
        "Pegawai ini kepala unit: rating hasil kerja wajib {expected} mengikuti predikat kinerja organisasi."
    )]
    UnitHeadRatingMismatch {
        /// Required rating.
        expected: String,
    },
    /// Objection after the window.
    #[error("Batas waktu keberatan ({days} hari sejak hasil penilaian diterima) sudah lewat.")]
    ObjectionWindowClosed {
        /// Window length.
        days: u32,
    },
    /// Objection decided: final.
    #[error("Keberatan atas penilaian ini sudah diputus dan keputusannya final.")]
    ObjectionFinal,
    /// Objection already pending.
    #[error("Keberatan atas penilaian ini sudah diajukan dan sedang diperiksa.")]
    ObjectionPending,
    /// No pending objection to decide.
    #[error("Tidak ada keberatan yang menunggu keputusan untuk penilaian ini.")]
    NoPendingObjection,
    /// Changed outcome needs the new ratings.
    #[error(
        "Keputusan mengubah nilai wajib menyertakan rating hasil kerja dan perilaku yang baru."
    )]
    ObjectionOutcomeIncomplete,

    // --- awards -------------------------------------------------------------------------
    /// Award basis insufficient and no override.
    #[error(
        "Penghargaan ditolak: {reason}. Bila tetap diberikan, sertakan pengecualian (override) beserta alasannya."
    )]
    AwardBasisInsufficient {
        /// Why.
        reason: String,
    },
    /// Award already granted.
    #[error("Penghargaan ini sudah diberikan.")]
    AwardAlreadyGranted,
    /// Award not granted.
    #[error("Penghargaan belum diberikan.")]
    AwardNotGranted,
    /// Award revoked.
    #[error("Penghargaan ini sudah dicabut.")]
    AwardRevoked,

    // --- training -----------------------------------------------------------------------
    /// Programme already announced.
    #[error("Program pelatihan ini sudah diumumkan.")]
    TrainingAlreadyAnnounced,
    /// Programme not announced.
    #[error("Program pelatihan belum diumumkan.")]
    TrainingNotAnnounced,
    /// Programme cancelled.
    #[error("Program pelatihan ini sudah dibatalkan.")]
    TrainingCancelled,
    /// JP must be positive.
    #[error("Jumlah JP harus lebih dari nol.")]
    InvalidJp,
    /// Officer already enrolled.
    #[error("Pegawai sudah terdaftar sebagai peserta.")]
    AlreadyEnrolled,
    /// Officer not enrolled.
    #[error("Pegawai tidak terdaftar sebagai peserta pelatihan ini.")]
    NotEnrolled,
    /// Officer already completed.
    #[error("Penyelesaian pelatihan pegawai ini sudah dicatat.")]
    AlreadyCompleted,
    /// Completion recorded before the end.
    #[error("Pelatihan belum selesai; penyelesaian dicatat setelah tanggal selesai.")]
    TrainingNotFinished,

    // --- survey -------------------------------------------------------------------------
    /// Survey code unknown.
    #[error("Kode survei tidak dikenal. Periksa kembali kode yang Anda terima.")]
    SurveyCodeUnknown,
    /// Survey code used.
    #[error("Kode survei ini sudah digunakan. Setiap kode hanya berlaku satu kali.")]
    SurveyCodeUsed,
    /// Survey code past its validity.
    #[error(
        "Kode survei sudah kedaluwarsa (berlaku {days} hari sejak diberikan). Mintalah kode baru kepada petugas layanan."
    )]
    SurveyCodeExpired { days: i64 },
    /// Survey code issued twice.
    #[error("Sebagian kode survei sudah pernah diterbitkan.")]
    SurveyCodeDuplicate,
    /// Answer out of range.
    #[error("Setiap unsur survei dijawab dengan nilai 1 sampai 4.")]
    InvalidSurveyAnswer,
    /// Weights do not sum to 1.
    #[error("Jumlah bobot unsur IKM harus tepat 1.")]
    WeightsDoNotSumToOne,
    /// No answers yet.
    #[error("Belum ada jawaban survei untuk periode ini.")]
    NoSurveyResponses,
    /// Improvement action only for C / D.
    #[error(
        "Rencana perbaikan hanya dibuka bila kategori IKM periode ini C atau D (saat ini {category})."
    )]
    ImprovementNotRequired {
        /// Current category.
        category: String,
    },
    /// Improvement action open already / not open.
    #[error("Rencana perbaikan tidak dalam keadaan yang sesuai ({what}).")]
    ImprovementActionState {
        /// What is wrong.
        what: &'static str,
    },

    // --- decoding -----------------------------------------------------------------------
    /// Unknown event type for this stream.
    #[error("Jenis peristiwa \"{event_type}\" tidak dikenal.")]
    UnknownEventType {
        /// The type name.
        event_type: String,
    },
    /// Unknown schema version.
    #[error("Versi skema {version} untuk \"{event_type}\" tidak didukung.")]
    UnsupportedSchemaVersion {
        /// The type name.
        event_type: String,
        /// The version.
        version: u32,
    },
    /// The JSON does not match the event.
    #[error("Data peristiwa \"{event_type}\" rusak: {reason}")]
    EventDecode {
        /// The type name.
        event_type: String,
        /// serde's message.
        reason: String,
    },
}

impl DomainError {
    /// The stable English code, e.g. `NOT_ASSIGNED_APPRAISER`.
    pub fn code(&self) -> &'static str {
        use DomainError as E;
        match self {
            E::InvalidNip { .. } => "INVALID_NIP",
            E::InvalidUnitCode { .. } => "INVALID_UNIT_CODE",
            E::InvalidYear { .. } => "INVALID_YEAR",
            E::InvalidPeriod { .. } => "INVALID_PERIOD",
            E::InvalidQuantity { .. } => "INVALID_QUANTITY",
            E::NegativeQuantity => "NEGATIVE_QUANTITY",
            E::MissingUnit => "MISSING_UNIT",
            E::InvalidEvidence { .. } => "INVALID_EVIDENCE",
            E::RequiredText { .. } => "REQUIRED_TEXT",
            E::InvalidText { .. } => "INVALID_TEXT",
            E::DateInFuture { .. } => "DATE_IN_FUTURE",
            E::InvalidDateRange => "INVALID_DATE_RANGE",
            E::NotAssignedAppraiser => "NOT_ASSIGNED_APPRAISER",
            E::NotAtasanPenilai => "NOT_ATASAN_PENILAI",
            E::NotOwnRecord => "NOT_OWN_RECORD",
            E::NotParentUnitHead => "NOT_PARENT_UNIT_HEAD",
            E::RoleNotAllowed => "ROLE_NOT_ALLOWED",
            E::UnitAlreadyRegistered => "UNIT_ALREADY_REGISTERED",
            E::UnitNotRegistered => "UNIT_NOT_REGISTERED",
            E::UnitParentCycle => "UNIT_PARENT_CYCLE",
            E::UnitHasNoParent => "UNIT_HAS_NO_PARENT",
            E::OrganisationPredikatMissing => "ORGANISATION_PREDIKAT_MISSING",
            E::PredikatAlreadyFinalised => "PREDIKAT_ALREADY_FINALISED",
            E::DistributionJustificationRequired { .. } => "DISTRIBUTION_JUSTIFICATION_REQUIRED",
            E::DistributionViolation { .. } => "DISTRIBUTION_VIOLATION",
            E::NothingToFinalise => "NOTHING_TO_FINALISE",
            E::OfficerAlreadyRegistered => "OFFICER_ALREADY_REGISTERED",
            E::OfficerNotRegistered => "OFFICER_NOT_REGISTERED",
            E::SelfAppraisal => "SELF_APPRAISAL",
            E::StatusUnchanged { .. } => "STATUS_UNCHANGED",
            E::OfficerExempt { .. } => "OFFICER_EXEMPT",
            E::PlanAlreadyDrafted => "PLAN_ALREADY_DRAFTED",
            E::PlanNotDrafted => "PLAN_NOT_DRAFTED",
            E::PlanNotEditable { .. } => "PLAN_NOT_EDITABLE",
            E::PlanNotApproved => "PLAN_NOT_APPROVED",
            E::PlanClosed => "PLAN_CLOSED",
            E::PlanYearMismatch => "PLAN_YEAR_MISMATCH",
            E::ResultWithoutIndicator => "RESULT_WITHOUT_INDICATOR",
            E::IndicatorNeedsTarget => "INDICATOR_NEEDS_TARGET",
            E::MissingSuperiorResult => "MISSING_SUPERIOR_RESULT",
            E::PlanHasNoMainResult => "PLAN_HAS_NO_MAIN_RESULT",
            E::DuplicateId { .. } => "DUPLICATE_ID",
            E::NotFound { .. } => "NOT_FOUND",
            E::PeriodClosed { .. } => "PERIOD_CLOSED",
            E::PeriodNotStarted { .. } => "PERIOD_NOT_STARTED",
            E::UnitMismatch { .. } => "UNIT_MISMATCH",
            E::ReportWithdrawn => "REPORT_WITHDRAWN",
            E::EvaluationExists { .. } => "EVALUATION_EXISTS",
            E::PeriodNotEvaluated { .. } => "PERIOD_NOT_EVALUATED",
            E::UnitHeadRatingMismatch { .. } => "UNIT_HEAD_RATING_MISMATCH",
            E::ObjectionWindowClosed { .. } => "OBJECTION_WINDOW_CLOSED",
            E::ObjectionFinal => "OBJECTION_FINAL",
            E::ObjectionPending => "OBJECTION_PENDING",
            E::NoPendingObjection => "NO_PENDING_OBJECTION",
            E::ObjectionOutcomeIncomplete => "OBJECTION_OUTCOME_INCOMPLETE",
            E::AwardBasisInsufficient { .. } => "AWARD_BASIS_INSUFFICIENT",
            E::AwardAlreadyGranted => "AWARD_ALREADY_GRANTED",
            E::AwardNotGranted => "AWARD_NOT_GRANTED",
            E::AwardRevoked => "AWARD_REVOKED",
            E::TrainingAlreadyAnnounced => "TRAINING_ALREADY_ANNOUNCED",
            E::TrainingNotAnnounced => "TRAINING_NOT_ANNOUNCED",
            E::TrainingCancelled => "TRAINING_CANCELLED",
            E::InvalidJp => "INVALID_JP",
            E::AlreadyEnrolled => "ALREADY_ENROLLED",
            E::NotEnrolled => "NOT_ENROLLED",
            E::AlreadyCompleted => "ALREADY_COMPLETED",
            E::TrainingNotFinished => "TRAINING_NOT_FINISHED",
            E::SurveyCodeUnknown => "SURVEY_CODE_UNKNOWN",
            E::SurveyCodeUsed => "SURVEY_CODE_USED",
            E::SurveyCodeExpired { .. } => "SURVEY_CODE_EXPIRED",
            E::SurveyCodeDuplicate => "SURVEY_CODE_DUPLICATE",
            E::InvalidSurveyAnswer => "INVALID_SURVEY_ANSWER",
            E::WeightsDoNotSumToOne => "WEIGHTS_DO_NOT_SUM_TO_ONE",
            E::NoSurveyResponses => "NO_SURVEY_RESPONSES",
            E::ImprovementNotRequired { .. } => "IMPROVEMENT_NOT_REQUIRED",
            E::ImprovementActionState { .. } => "IMPROVEMENT_ACTION_STATE",
            E::UnknownEventType { .. } => "UNKNOWN_EVENT_TYPE",
            E::UnsupportedSchemaVersion { .. } => "UNSUPPORTED_SCHEMA_VERSION",
            E::EventDecode { .. } => "EVENT_DECODE",
        }
    }

    /// Whether this is a decode fault (stored data), not a rejected command.
    pub fn is_decode_error(&self) -> bool {
        matches!(
            self,
            Self::UnknownEventType { .. }
                | Self::UnsupportedSchemaVersion { .. }
                | Self::EventDecode { .. }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_upper_snake_and_messages_are_indonesian() {
        let e = DomainError::NotAssignedAppraiser;
        assert_eq!(e.code(), "NOT_ASSIGNED_APPRAISER");
        assert!(e.to_string().contains("pejabat penilai"));
        let e = DomainError::ObjectionWindowClosed { days: 14 };
        assert!(e.to_string().contains("14 hari"));
        assert!(
            e.code()
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b == b'_')
        );
    }
}

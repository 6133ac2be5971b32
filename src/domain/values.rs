//! Value types shared by every stream: identifiers (NIP, unit code), the year and its periods,
//! the rating and predikat enums of PermenPANRB 6/2022 (R1), exact quantities in thousandths,
//! evidence references and the acting person with their role (R25). Each constructor validates
//! once, so a value that exists is valid everywhere after that; deserialisation goes through the
//! same checks.

use std::fmt;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use super::error::DomainError;

// ---------------------------------------------------------------------------------------------
// NIP
// ---------------------------------------------------------------------------------------------

/// Nomor Induk Pegawai: 18 digits = birth date `YYYYMMDD`, appointment `YYYYMM`, sex digit
/// (1 = male, 2 = female) and a 3-digit serial. PPPK numbers share the shape and are accepted.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Nip(String);

/// Sex as encoded in the 15th digit of a NIP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sex {
    /// Digit 1.
    Male,
    /// Digit 2.
    Female,
}

impl Nip {
    /// Validates an 18-digit NIP (surrounding whitespace is ignored).
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let s = raw.trim();
        let bad = |reason: &str| DomainError::InvalidNip {
            reason: reason.to_owned(),
        };
        if s.len() != 18 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad("harus tepat 18 digit angka"));
        }
        let birth = date_from_digits(&s[0..8])
            .ok_or_else(|| bad("tanggal lahir (digit 1–8) tidak valid"))?;
        let (ay, am) = (digits(&s[8..12]), digits(&s[12..14]));
        if !(1..=12).contains(&am) {
            return Err(bad("bulan pengangkatan (digit 13–14) tidak valid"));
        }
        if ay < birth.year() {
            return Err(bad("tahun pengangkatan sebelum tahun lahir"));
        }
        if !matches!(&s[14..15], "1" | "2") {
            return Err(bad("digit jenis kelamin (digit 15) harus 1 atau 2"));
        }
        Ok(Self(s.to_owned()))
    }

    /// The NIP as its 18 digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The embedded birth date.
    pub fn birth_date(&self) -> Option<NaiveDate> {
        date_from_digits(&self.0[0..8])
    }

    /// The embedded appointment (TMT CPNS/PPPK) year and month.
    pub fn appointment(&self) -> (i32, u32) {
        let month = u32::try_from(digits(&self.0[12..14])).unwrap_or(0);
        (digits(&self.0[8..12]), month)
    }

    /// The embedded sex digit.
    pub fn sex(&self) -> Sex {
        if &self.0[14..15] == "2" {
            Sex::Female
        } else {
            Sex::Male
        }
    }
}

fn digits(s: &str) -> i32 {
    s.parse().unwrap_or(0)
}

fn date_from_digits(s: &str) -> Option<NaiveDate> {
    let y = digits(s.get(0..4)?);
    let m = u32::try_from(digits(s.get(4..6)?)).ok()?;
    let d = u32::try_from(digits(s.get(6..8)?)).ok()?;
    NaiveDate::from_ymd_opt(y, m, d)
}

impl TryFrom<String> for Nip {
    type Error = DomainError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<Nip> for String {
    fn from(n: Nip) -> Self {
        n.0
    }
}

impl fmt::Display for Nip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

// ---------------------------------------------------------------------------------------------
// Unit code
// ---------------------------------------------------------------------------------------------

/// The code of an organisation unit, e.g. `DISKOMINFO` or `PKM.BANDA-SAKTI`. 1–64 characters of
/// ASCII letters, digits, `.` and `-`; no whitespace and no `_` (used as a separator in stream
/// ids). Stored upper-case.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct UnitCode(String);

impl UnitCode {
    /// Validates and upper-cases a unit code.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let s = raw.trim();
        let ok = !s.is_empty()
            && s.len() <= 64
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
        if ok {
            Ok(Self(s.to_ascii_uppercase()))
        } else {
            Err(DomainError::InvalidUnitCode {
                code: raw.to_owned(),
            })
        }
    }

    /// The code text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for UnitCode {
    type Error = DomainError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<UnitCode> for String {
    fn from(c: UnitCode) -> Self {
        c.0
    }
}

impl fmt::Display for UnitCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

// ---------------------------------------------------------------------------------------------
// Year and period
// ---------------------------------------------------------------------------------------------

/// A budget / performance year, 2000–2100.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "i32", into = "i32")]
pub struct Year(i32);

impl Year {
    /// Validates a year.
    pub fn new(y: i32) -> Result<Self, DomainError> {
        if (2000..=2100).contains(&y) {
            Ok(Self(y))
        } else {
            Err(DomainError::InvalidYear { year: y })
        }
    }

    /// The year as a number.
    pub fn get(self) -> i32 {
        self.0
    }
}

impl TryFrom<i32> for Year {
    type Error = DomainError;
    fn try_from(y: i32) -> Result<Self, Self::Error> {
        Self::new(y)
    }
}

impl From<Year> for i32 {
    fn from(y: Year) -> Self {
        y.0
    }
}

impl fmt::Display for Year {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// An evaluation / reporting period: a quarter (triwulan) or the whole year (tahunan, "AKHIR").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Period {
    /// Triwulan I (January–March).
    #[serde(rename = "TW1")]
    Tw1,
    /// Triwulan II (April–June).
    #[serde(rename = "TW2")]
    Tw2,
    /// Triwulan III (July–September).
    #[serde(rename = "TW3")]
    Tw3,
    /// Triwulan IV (October–December).
    #[serde(rename = "TW4")]
    Tw4,
    /// The whole year.
    #[serde(rename = "TAHUNAN")]
    Tahunan,
}

impl Period {
    /// All periods, quarters first.
    pub const ALL: [Period; 5] = [Self::Tw1, Self::Tw2, Self::Tw3, Self::Tw4, Self::Tahunan];

    /// Parses `TW1`..`TW4` (also `TW I`..`TW IV`) or `TAHUNAN` / `AKHIR`.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let s: String = raw
            .split_whitespace()
            .collect::<String>()
            .to_ascii_uppercase();
        match s.as_str() {
            "TW1" | "TWI" => Ok(Self::Tw1),
            "TW2" | "TWII" => Ok(Self::Tw2),
            "TW3" | "TWIII" => Ok(Self::Tw3),
            "TW4" | "TWIV" => Ok(Self::Tw4),
            "TAHUNAN" | "AKHIR" => Ok(Self::Tahunan),
            _ => Err(DomainError::InvalidPeriod {
                period: raw.to_owned(),
            }),
        }
    }

    /// First and last day (inclusive) of the period in `year`.
    pub fn range(self, year: Year) -> (NaiveDate, NaiveDate) {
        let (m0, m1) = match self {
            Self::Tw1 => (1, 3),
            Self::Tw2 => (4, 6),
            Self::Tw3 => (7, 9),
            Self::Tw4 => (10, 12),
            Self::Tahunan => (1, 12),
        };
        let y = year.get();
        let start = NaiveDate::from_ymd_opt(y, m0, 1).unwrap_or(NaiveDate::MIN);
        let end = last_day_of_month(y, m1);
        (start, end)
    }

    /// Whether `date` falls inside the period of `year`.
    pub fn contains(self, year: Year, date: NaiveDate) -> bool {
        let (a, b) = self.range(year);
        a <= date && date <= b
    }

    /// The quarter containing `date` (ignores the year).
    pub fn quarter_of(date: NaiveDate) -> Self {
        match date.month() {
            1..=3 => Self::Tw1,
            4..=6 => Self::Tw2,
            7..=9 => Self::Tw3,
            _ => Self::Tw4,
        }
    }

    /// Label as printed on the form, e.g. "TW I", "TAHUNAN".
    pub fn label(self) -> &'static str {
        match self {
            Self::Tw1 => "TW I",
            Self::Tw2 => "TW II",
            Self::Tw3 => "TW III",
            Self::Tw4 => "TW IV",
            Self::Tahunan => "TAHUNAN",
        }
    }
}

fn last_day_of_month(y: i32, m: u32) -> NaiveDate {
    let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    NaiveDate::from_ymd_opt(ny, nm, 1)
        .and_then(|d| d.pred_opt())
        .unwrap_or(NaiveDate::MAX)
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

// ---------------------------------------------------------------------------------------------
// R1 enums
// ---------------------------------------------------------------------------------------------

/// Rating hasil kerja / perilaku kerja (R1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Rating {
    /// Di Atas Ekspektasi.
    DiAtas,
    /// Sesuai Ekspektasi.
    Sesuai,
    /// Di Bawah Ekspektasi.
    DiBawah,
}

/// Predikat kinerja pegawai, best to worst (R1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PredikatPegawai {
    /// Sangat Baik.
    SangatBaik,
    /// Baik.
    Baik,
    /// Butuh Perbaikan (Cukup).
    ButuhPerbaikan,
    /// Kurang / Misconduct.
    KurangMisconduct,
    /// Sangat Kurang.
    SangatKurang,
}

/// Predikat kinerja organisasi (R1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PredikatOrganisasi {
    /// Istimewa.
    Istimewa,
    /// Baik.
    Baik,
    /// Butuh Perbaikan (Cukup).
    ButuhPerbaikan,
    /// Kurang.
    Kurang,
    /// Sangat Kurang.
    SangatKurang,
}

/// Aspect of an indicator (R1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Aspek {
    /// Quantity.
    Kuantitas,
    /// Quality.
    Kualitas,
    /// Time.
    Waktu,
    /// Cost.
    Biaya,
}

/// Main or additional result (R1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum JenisRhk {
    /// Hasil kerja utama.
    Utama,
    /// Hasil kerja tambahan.
    Tambahan,
}

/// SKP drafting approach (R1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Pendekatan {
    /// Measurable targets.
    Kuantitatif,
    /// Narrative expectations.
    Kualitatif,
}

/// The seven BerAKHLAK core values (R1, R10).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum BerAkhlak {
    /// Berorientasi Pelayanan.
    BerorientasiPelayanan,
    /// Akuntabel.
    Akuntabel,
    /// Kompeten.
    Kompeten,
    /// Harmonis.
    Harmonis,
    /// Loyal.
    Loyal,
    /// Adaptif.
    Adaptif,
    /// Kolaboratif.
    Kolaboratif,
}

impl BerAkhlak {
    /// The seven values in their official order.
    pub const ALL: [BerAkhlak; 7] = [
        Self::BerorientasiPelayanan,
        Self::Akuntabel,
        Self::Kompeten,
        Self::Harmonis,
        Self::Loyal,
        Self::Adaptif,
        Self::Kolaboratif,
    ];
}

/// Kind of post (jenis jabatan), with the functional level where relevant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "level", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PositionKind {
    /// Jabatan Pimpinan Tinggi.
    Jpt,
    /// Administrator.
    Administrator,
    /// Pengawas.
    Pengawas,
    /// Pelaksana.
    Pelaksana,
    /// Jabatan fungsional at a level.
    Fungsional(FunctionalLevel),
}

/// Level (jenjang) of a functional post.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FunctionalLevel {
    /// Ahli Utama.
    AhliUtama,
    /// Ahli Madya.
    AhliMadya,
    /// Ahli Muda.
    AhliMuda,
    /// Ahli Pertama.
    AhliPertama,
    /// Keterampilan: Penyelia.
    Penyelia,
    /// Keterampilan: Mahir.
    Mahir,
    /// Keterampilan: Terampil.
    Terampil,
    /// Keterampilan: Pemula.
    Pemula,
}

/// Employment type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum EmploymentType {
    /// Pegawai Negeri Sipil.
    Pns,
    /// Pegawai Pemerintah dengan Perjanjian Kerja.
    Pppk,
}

// ---------------------------------------------------------------------------------------------
// Quantities
// ---------------------------------------------------------------------------------------------

/// A non-negative amount in thousandths (`Milli(2500)` = 2.5). Never a float in an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "i64")]
pub struct Milli(i64);

impl Milli {
    /// Zero.
    pub const ZERO: Milli = Milli(0);

    /// Validates a raw number of thousandths (must be ≥ 0).
    pub fn new(thousandths: i64) -> Result<Self, DomainError> {
        if thousandths < 0 {
            Err(DomainError::NegativeQuantity)
        } else {
            Ok(Self(thousandths))
        }
    }

    /// A whole number.
    pub fn whole(n: i64) -> Result<Self, DomainError> {
        n.checked_mul(1000)
            .ok_or_else(|| DomainError::InvalidQuantity { raw: n.to_string() })
            .and_then(Self::new)
    }

    /// Parses a decimal text with at most three decimals, `.` or `,` as separator ("12,5").
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let bad = || DomainError::InvalidQuantity {
            raw: raw.to_owned(),
        };
        let s = raw.trim().replace(',', ".");
        if s.starts_with('-') {
            return Err(DomainError::NegativeQuantity);
        }
        let (int, frac) = s.split_once('.').unwrap_or((s.as_str(), ""));
        let all_digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
        if int.is_empty() || !all_digits(int) || !all_digits(frac) || frac.len() > 3 {
            return Err(bad());
        }
        let whole: i64 = int.parse().map_err(|_| bad())?;
        let frac_val: i64 = format!("{frac:0<3}").parse().map_err(|_| bad())?;
        whole
            .checked_mul(1000)
            .and_then(|w| w.checked_add(frac_val))
            .ok_or_else(bad)
            .and_then(Self::new)
    }

    /// The raw number of thousandths.
    pub fn get(self) -> i64 {
        self.0
    }
}

impl TryFrom<i64> for Milli {
    type Error = DomainError;
    fn try_from(v: i64) -> Result<Self, Self::Error> {
        Self::new(v)
    }
}

impl From<Milli> for i64 {
    fn from(m: Milli) -> Self {
        m.0
    }
}

impl fmt::Display for Milli {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (w, r) = (self.0 / 1000, self.0 % 1000);
        if r == 0 {
            write!(f, "{w}")
        } else {
            let frac = format!("{r:03}");
            write!(f, "{w},{}", frac.trim_end_matches('0'))
        }
    }
}

/// A target or realised amount with its unit of measure ("2 Dokumen", "100 %").
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "QuantityRaw")]
pub struct Quantity {
    /// The amount in thousandths.
    pub value: Milli,
    /// Unit of measure (satuan), non-empty, e.g. "Dokumen", "%", "Bulan".
    pub unit: String,
}

#[derive(Deserialize)]
struct QuantityRaw {
    value: Milli,
    unit: String,
}

impl TryFrom<QuantityRaw> for Quantity {
    type Error = DomainError;
    fn try_from(r: QuantityRaw) -> Result<Self, Self::Error> {
        Self::new(r.value, &r.unit)
    }
}

impl Quantity {
    /// A quantity with a non-empty unit.
    pub fn new(value: Milli, unit: &str) -> Result<Self, DomainError> {
        let unit = unit.trim();
        if unit.is_empty() {
            return Err(DomainError::MissingUnit);
        }
        Ok(Self {
            value,
            unit: unit.to_owned(),
        })
    }

    /// Whether both quantities use the same unit (case-insensitive).
    pub fn same_unit(&self, other: &Quantity) -> bool {
        self.unit.eq_ignore_ascii_case(&other.unit)
    }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.value, self.unit)
    }
}

// ---------------------------------------------------------------------------------------------
// Evidence
// ---------------------------------------------------------------------------------------------

/// A reference to a stored file (bukti dukung, certificate). The ledger keeps the hash, not the
/// bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "EvidenceRaw")]
pub struct Evidence {
    /// Where the file lives (https://, s3://, ...).
    pub uri: String,
    /// Lower-case hex SHA-256 of the file bytes (64 characters).
    pub sha256: String,
    /// Media type, e.g. `application/pdf`.
    pub media_type: String,
}

#[derive(Deserialize)]
struct EvidenceRaw {
    uri: String,
    sha256: String,
    media_type: String,
}

impl TryFrom<EvidenceRaw> for Evidence {
    type Error = DomainError;
    fn try_from(r: EvidenceRaw) -> Result<Self, Self::Error> {
        Self::new(&r.uri, &r.sha256, &r.media_type)
    }
}

impl Evidence {
    /// Validates a URI (non-empty, no whitespace, has a scheme), a SHA-256 hex digest and a
    /// `type/subtype` media type.
    pub fn new(uri: &str, sha256: &str, media_type: &str) -> Result<Self, DomainError> {
        let bad = |reason: &str| DomainError::InvalidEvidence {
            reason: reason.to_owned(),
        };
        if uri.is_empty() || uri.chars().any(char::is_whitespace) || !uri.contains(':') {
            return Err(bad("alamat (URI) berkas tidak valid"));
        }
        let hash = sha256.trim().to_ascii_lowercase();
        if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad("SHA-256 harus 64 karakter heksadesimal"));
        }
        if !media_type.contains('/') || media_type.chars().any(char::is_whitespace) {
            return Err(bad("jenis media (mis. application/pdf) tidak valid"));
        }
        Ok(Self {
            uri: uri.to_owned(),
            sha256: hash,
            media_type: media_type.to_ascii_lowercase(),
        })
    }
}

/// A certificate reference (uri + sha256).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Certificate {
    /// Where the certificate lives.
    pub uri: String,
    /// Lower-case hex SHA-256.
    pub sha256: String,
}

impl Certificate {
    /// Validates like [`Evidence::new`] without a media type.
    pub fn new(uri: &str, sha256: &str) -> Result<Self, DomainError> {
        let e = Evidence::new(uri, sha256, "application/octet-stream")?;
        Ok(Self {
            uri: e.uri,
            sha256: e.sha256,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Actor
// ---------------------------------------------------------------------------------------------

/// Roles of R25.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Role {
    /// The officer acting on their own records.
    Pegawai,
    /// Pejabat penilai kinerja.
    Penilai,
    /// Atasan pejabat penilai kinerja.
    AtasanPenilai,
    /// Pengelola kinerja (BKPSDM).
    PengelolaKinerja,
    /// Pejabat Pembina Kepegawaian (Wali Kota).
    Ppk,
    /// System administrator of the personnel agency.
    Admin,
    /// Inspectorate, read-only.
    Auditor,
}

/// Who acts: an officer by NIP or a staff account (e.g. a political official or a service
/// account) by id.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActorId {
    /// An officer.
    Nip(Nip),
    /// A staff account id.
    Staff(String),
}

/// The acting person and the role they act in.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Actor {
    /// Identity.
    pub id: ActorId,
    /// Role claimed for this command.
    pub role: Role,
}

impl Actor {
    /// An officer acting in `role`.
    pub fn officer(nip: Nip, role: Role) -> Self {
        Self {
            id: ActorId::Nip(nip),
            role,
        }
    }

    /// A staff account acting in `role`.
    pub fn staff(id: &str, role: Role) -> Self {
        Self {
            id: ActorId::Staff(id.to_owned()),
            role,
        }
    }

    /// The NIP, when the actor is an officer.
    pub fn nip(&self) -> Option<&Nip> {
        match &self.id {
            ActorId::Nip(n) => Some(n),
            ActorId::Staff(_) => None,
        }
    }

    /// Whether the actor is the officer `nip`.
    pub fn is(&self, nip: &Nip) -> bool {
        self.nip() == Some(nip)
    }
}

/// A trimmed, non-empty text (reasons, names), at most `max` characters.
pub fn required_text(field: &'static str, raw: &str, max: usize) -> Result<String, DomainError> {
    let t = raw.trim();
    if t.is_empty() || t.chars().count() > max {
        Err(DomainError::RequiredText { field, max })
    } else if t.chars().any(unreadable) {
        Err(DomainError::InvalidText { field })
    } else {
        Ok(t.to_owned())
    }
}

/// Characters no officer means to type: controls (line breaks and tabs aside), bidirectional
/// overrides and isolates, zero-width characters and byte-order marks, noncharacters.
fn unreadable(c: char) -> bool {
    (c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
        || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
        || matches!(
            c,
            '\u{200B}'..='\u{200F}' | '\u{FEFF}' | '\u{2028}' | '\u{2029}'
        )
        || matches!(c, '\u{FDD0}'..='\u{FDEF}')
        || (u32::from(c) & 0xFFFE) == 0xFFFE
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn required_text_refuses_invisible_and_control_characters() {
        assert_eq!(
            required_text("nama", "Cut Nyak\u{202E}Dhien", 100),
            Err(DomainError::InvalidText { field: "nama" })
        );
        assert!(required_text("nama", "a\u{0007}b", 100).is_err());
        assert!(required_text("nama", "a\u{200B}b", 100).is_err());
        assert_eq!(
            required_text("catatan", " Baris satu\nbaris dua ", 100),
            Ok("Baris satu\nbaris dua".to_string())
        );
        assert_eq!(
            required_text("nama", "Teuku Umar", 100),
            Ok("Teuku Umar".to_string())
        );
    }

    #[test]
    fn a_valid_nip_exposes_its_parts() {
        let nip = Nip::parse("198503142010011002").unwrap();
        assert_eq!(nip.birth_date(), NaiveDate::from_ymd_opt(1985, 3, 14));
        assert_eq!(nip.appointment(), (2010, 1));
        assert_eq!(nip.sex(), Sex::Male);
        assert_eq!(
            Nip::parse(" 199001012019032001 ").unwrap().sex(),
            Sex::Female
        );
    }

    #[test]
    fn invalid_nips_are_rejected() {
        for bad in [
            "19850314201001100",   // 17 digits
            "1985031420100110021", // 19 digits
            "19850314201001100a",  // letter
            "198502302010011002",  // 30 February
            "198503142010131002",  // month 13
            "198503142010001002",  // month 0
            "198503142010013002",  // sex digit 3
            "198503141980011002",  // appointed before birth
        ] {
            let err = Nip::parse(bad).unwrap_err();
            assert_eq!(err.code(), "INVALID_NIP", "{bad}");
        }
    }

    #[test]
    fn nip_deserialisation_validates() {
        assert!(serde_json::from_str::<Nip>("\"198503142010011002\"").is_ok());
        assert!(serde_json::from_str::<Nip>("\"123\"").is_err());
    }

    #[test]
    fn unit_codes_reject_whitespace_and_underscore() {
        assert_eq!(
            UnitCode::parse("dinkes-pkm.1").unwrap().as_str(),
            "DINKES-PKM.1"
        );
        for bad in ["", "DIN KES", "DIN_KES"] {
            assert_eq!(
                UnitCode::parse(bad).unwrap_err().code(),
                "INVALID_UNIT_CODE"
            );
        }
        assert!(UnitCode::parse("A\tB").is_err());
    }

    #[test]
    fn milli_parses_decimals_and_rejects_negatives() {
        assert_eq!(Milli::parse("12,5").unwrap().get(), 12_500);
        assert_eq!(Milli::parse("0.125").unwrap().get(), 125);
        assert_eq!(Milli::parse("7").unwrap().get(), 7_000);
        assert_eq!(Milli::parse("-1").unwrap_err().code(), "NEGATIVE_QUANTITY");
        assert_eq!(
            Milli::parse("1.2345").unwrap_err().code(),
            "INVALID_QUANTITY"
        );
        assert_eq!(Milli::parse("abc").unwrap_err().code(), "INVALID_QUANTITY");
        assert!(serde_json::from_str::<Milli>("-5").is_err());
        assert_eq!(Milli::parse("12,5").unwrap().to_string(), "12,5");
    }

    #[test]
    fn quantities_need_a_unit() {
        assert_eq!(
            Quantity::new(Milli::ZERO, "  ").unwrap_err().code(),
            "MISSING_UNIT"
        );
        let q: Result<Quantity, _> = serde_json::from_str(r#"{"value":1000,"unit":""}"#);
        assert!(q.is_err());
    }

    #[test]
    fn periods_are_quarters_or_the_year() {
        let y = Year::new(2025).unwrap();
        assert_eq!(Period::parse("tw iv").unwrap(), Period::Tw4);
        assert_eq!(Period::parse("AKHIR").unwrap(), Period::Tahunan);
        assert_eq!(
            Period::parse("BULAN1").unwrap_err().code(),
            "INVALID_PERIOD"
        );
        let (a, b) = Period::Tw1.range(y);
        assert_eq!(
            (a.to_string(), b.to_string()),
            ("2025-01-01".into(), "2025-03-31".into())
        );
        assert_eq!(Period::Tahunan.range(y).1.to_string(), "2025-12-31");
        assert!(Year::new(1999).is_err());
    }

    #[test]
    fn evidence_checks_hash_and_media_type() {
        let h = "a".repeat(64);
        assert!(Evidence::new("https://x/y.pdf", &h, "application/pdf").is_ok());
        assert!(Evidence::new("https://x/y.pdf", "abc", "application/pdf").is_err());
        assert!(Evidence::new("no scheme", &h, "application/pdf").is_err());
        assert!(Evidence::new("https://x", &h, "pdf").is_err());
    }
}

//! Pure calculators for the numbered rules of `domain.md` §13: the predikat matrix (R2), the
//! hasil-kerja suggestion (R4), the distribution check (R5), IKM and its category (R13, R14),
//! the survey sample size (R16), JP compliance (R17), credit points (R18) and the legacy scales
//! (R19, R20). No state, no I/O; the deciders and projections call these.

use serde::{Deserialize, Serialize};

use super::config::{DistributionRounding, JpRule};
use super::error::DomainError;
use super::values::{JenisRhk, Milli, PredikatOrganisasi, PredikatPegawai, Rating};

// ---------------------------------------------------------------------------------------------
// R2, R4
// ---------------------------------------------------------------------------------------------

/// R2: the employee predikat from the hasil-kerja rating `hk` and behaviour rating `pk`.
pub fn predikat(hk: Rating, pk: Rating) -> PredikatPegawai {
    use Rating::*;
    match (hk, pk) {
        (DiBawah, DiBawah) => PredikatPegawai::SangatKurang,
        (DiBawah, _) => PredikatPegawai::ButuhPerbaikan,
        (_, DiBawah) => PredikatPegawai::KurangMisconduct,
        (DiAtas, DiAtas) => PredikatPegawai::SangatBaik,
        _ => PredikatPegawai::Baik,
    }
}

/// R4: the suggested hasil-kerja rating from per-result ratings. DI_ATAS when more than half
/// are DI_ATAS and no UTAMA result is DI_BAWAH; DI_BAWAH when more than half are DI_BAWAH;
/// otherwise SESUAI (also for no results).
pub fn suggest_hasil_kerja(results: &[(JenisRhk, Rating)]) -> Rating {
    let n = results.len();
    let count = |r: Rating| results.iter().filter(|(_, x)| *x == r).count();
    let utama_below = results
        .iter()
        .any(|(j, r)| *j == JenisRhk::Utama && *r == Rating::DiBawah);
    if n > 0 && count(Rating::DiAtas) * 2 > n && !utama_below {
        Rating::DiAtas
    } else if n > 0 && count(Rating::DiBawah) * 2 > n {
        Rating::DiBawah
    } else {
        Rating::Sesuai
    }
}

// ---------------------------------------------------------------------------------------------
// R5
// ---------------------------------------------------------------------------------------------

/// One bound of the distribution pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Bound {
    /// At most this share, in per-mille.
    MaxShare(u64),
    /// At least this share, in per-mille.
    MinShare(u64),
    /// At least this many employees.
    MinCount(u64),
    /// At most this many employees.
    MaxCount(u64),
}

/// A violated constraint of R5.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DistributionViolation {
    /// The employee predikat the constraint counts together.
    pub predikat: Vec<PredikatPegawai>,
    /// How many employees have one of them.
    pub actual: u64,
    /// The limit in employees, after rounding.
    pub limit: u64,
    /// `true` for a minimum, `false` for a maximum.
    pub is_minimum: bool,
    /// Readable rule, e.g. "Sangat Baik paling banyak 70%".
    pub rule: String,
}

fn constraints(org: PredikatOrganisasi) -> Vec<(Vec<PredikatPegawai>, Bound, &'static str)> {
    use PredikatPegawai::*;
    match org {
        PredikatOrganisasi::Istimewa => {
            vec![(
                vec![SangatBaik],
                Bound::MaxShare(700),
                "Sangat Baik paling banyak 70%",
            )]
        }
        PredikatOrganisasi::Baik => vec![
            (vec![Baik], Bound::MaxShare(700), "Baik paling banyak 70%"),
            (
                vec![ButuhPerbaikan, KurangMisconduct],
                Bound::MinCount(1),
                "paling sedikit 1 pegawai Butuh Perbaikan atau Kurang",
            ),
        ],
        PredikatOrganisasi::ButuhPerbaikan => vec![
            (
                vec![ButuhPerbaikan],
                Bound::MinShare(600),
                "Butuh Perbaikan paling sedikit 60%",
            ),
            (
                vec![SangatBaik],
                Bound::MaxShare(100),
                "Sangat Baik paling banyak 10%",
            ),
        ],
        PredikatOrganisasi::Kurang => vec![
            (
                vec![KurangMisconduct],
                Bound::MinShare(600),
                "Kurang paling sedikit 60%",
            ),
            (
                vec![ButuhPerbaikan],
                Bound::MinShare(100),
                "Butuh Perbaikan paling sedikit 10%",
            ),
            (
                vec![SangatBaik],
                Bound::MaxShare(100),
                "Sangat Baik paling banyak 10%",
            ),
        ],
        PredikatOrganisasi::SangatKurang => vec![
            (
                vec![SangatKurang],
                Bound::MinShare(600),
                "Sangat Kurang paling sedikit 60%",
            ),
            (
                vec![KurangMisconduct, ButuhPerbaikan],
                Bound::MinShare(100),
                "Kurang dan/atau Butuh Perbaikan paling sedikit 10%",
            ),
            (
                vec![SangatBaik],
                Bound::MaxCount(0),
                "tidak boleh ada Sangat Baik",
            ),
        ],
    }
}

fn share_limit(per_mille: u64, n: u64, is_min: bool, rounding: DistributionRounding) -> u64 {
    let scaled = per_mille.saturating_mul(n);
    match (rounding, is_min) {
        (DistributionRounding::FloorMaxCeilMin, false) => scaled / 1000,
        (DistributionRounding::FloorMaxCeilMin, true) => scaled.div_ceil(1000),
        (DistributionRounding::Nearest, _) => (scaled + 500) / 1000,
    }
}

/// R5: the constraints of the organisation predikat `org` that the employee predikat of the
/// unit violate. Empty when the distribution fits (or when there are no employees).
pub fn check_distribution(
    org: PredikatOrganisasi,
    employees: &[PredikatPegawai],
    rounding: DistributionRounding,
) -> Vec<DistributionViolation> {
    let n = u64::try_from(employees.len()).unwrap_or(u64::MAX);
    if n == 0 {
        return Vec::new();
    }
    let mut out = Vec::new();
    for (set, bound, rule) in constraints(org) {
        let actual =
            u64::try_from(employees.iter().filter(|p| set.contains(p)).count()).unwrap_or(u64::MAX);
        let (limit, is_min) = match bound {
            Bound::MaxShare(pm) => (share_limit(pm, n, false, rounding), false),
            Bound::MinShare(pm) => (share_limit(pm, n, true, rounding), true),
            Bound::MinCount(c) => (c, true),
            Bound::MaxCount(c) => (c, false),
        };
        let ok = if is_min {
            actual >= limit
        } else {
            actual <= limit
        };
        if !ok {
            out.push(DistributionViolation {
                predikat: set,
                actual,
                limit,
                is_minimum: is_min,
                rule: rule.to_owned(),
            });
        }
    }
    out
}

/// The violations as one readable Indonesian line.
pub fn describe_violations(v: &[DistributionViolation]) -> String {
    v.iter()
        .map(|x| format!("{} (saat ini {}, batas {})", x.rule, x.actual, x.limit))
        .collect::<Vec<_>>()
        .join("; ")
}

// ---------------------------------------------------------------------------------------------
// R13, R14, R16
// ---------------------------------------------------------------------------------------------

/// The result of R13.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ikm {
    /// NRR per element (0 when nobody answered it).
    pub nrr: Vec<f64>,
    /// Weighted raw index, 1–4.
    pub raw: f64,
    /// `round(raw × 25, 2)`, 25–100.
    pub konversi: f64,
    /// Number of respondents.
    pub respondents: usize,
}

/// Checks that weights are non-negative and sum to 1 within 1e-9.
pub fn validate_weights(weights: &[f64]) -> Result<(), DomainError> {
    let sum: f64 = weights.iter().sum();
    let ok = !weights.is_empty()
        && weights.iter().all(|w| w.is_finite() && *w >= 0.0)
        && (sum - 1.0).abs() <= 1e-9;
    if ok {
        Ok(())
    } else {
        Err(DomainError::WeightsDoNotSumToOne)
    }
}

/// R13: IKM from responses (each a row of per-element scores 1–4, `None` when unanswered) and
/// per-element weights summing to 1. Elements nobody answered are left out and the remaining
/// weights rescaled.
pub fn ikm(responses: &[Vec<Option<u8>>], weights: &[f64]) -> Result<Ikm, DomainError> {
    validate_weights(weights)?;
    if responses.is_empty() {
        return Err(DomainError::NoSurveyResponses);
    }
    let mut nrr = Vec::with_capacity(weights.len());
    let (mut raw, mut used_weight) = (0.0, 0.0);
    for (i, w) in weights.iter().enumerate() {
        let answers: Vec<f64> = responses
            .iter()
            .filter_map(|r| r.get(i).copied().flatten())
            .filter(|v| (1..=4).contains(v))
            .map(f64::from)
            .collect();
        let value = if answers.is_empty() {
            0.0
        } else {
            used_weight += w;
            let count = u32::try_from(answers.len())
                .map(f64::from)
                .unwrap_or(f64::MAX);
            answers.iter().sum::<f64>() / count
        };
        raw += value * w;
        nrr.push(value);
    }
    if used_weight <= 0.0 {
        return Err(DomainError::NoSurveyResponses);
    }
    let raw = raw / used_weight;
    Ok(Ikm {
        nrr,
        raw,
        konversi: round2(raw * 25.0),
        respondents: responses.len(),
    })
}

/// Rounds to two decimals (half away from zero).
pub fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

/// The converted IKM in hundredths (e.g. 8831 for 88.31), for storing in events.
#[allow(clippy::cast_possible_truncation)] // clamped to 0..=10_000 and already rounded
pub fn hundredths(v: f64) -> i64 {
    let h = (v * 100.0).round();
    if h.is_nan() {
        0
    } else {
        h.clamp(0.0, 10_000.0) as i64
    }
}

/// R14 quality category (mutu pelayanan).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum IkmCategory {
    /// 88.31–100: Sangat Baik.
    A,
    /// 76.61–88.30: Baik.
    B,
    /// 65.00–76.60: Kurang Baik.
    C,
    /// 25.00–64.99: Tidak Baik.
    D,
}

impl IkmCategory {
    /// Kinerja unit pelayanan label.
    pub fn label(self) -> &'static str {
        match self {
            Self::A => "Sangat Baik",
            Self::B => "Baik",
            Self::C => "Kurang Baik",
            Self::D => "Tidak Baik",
        }
    }

    /// Whether an improvement action is due (C or D).
    pub fn needs_improvement(self) -> bool {
        matches!(self, Self::C | Self::D)
    }
}

/// R14: the category of a converted IKM, classified on the value rounded to 2 decimals.
pub fn ikm_category(konversi: f64) -> IkmCategory {
    ikm_category_hundredths(hundredths(konversi))
}

/// R14 on a value in hundredths.
pub fn ikm_category_hundredths(h: i64) -> IkmCategory {
    match h {
        ..=6499 => IkmCategory::D,
        6500..=7660 => IkmCategory::C,
        7661..=8830 => IkmCategory::B,
        _ => IkmCategory::A,
    }
}

/// R16: recommended respondents for a population of `n` service users (Krejcie & Morgan,
/// χ² = 3.841, P = 0.5, d = 0.05), rounded to nearest; computed exactly in integers.
pub fn sample_size(n: u64) -> u64 {
    if n == 0 {
        return 0;
    }
    // s = 0.96025·N / (0.0025·(N−1) + 0.96025), both sides × 100 000.
    let num = 96_025u128 * u128::from(n);
    let den = 250u128 * u128::from(n - 1) + 96_025;
    let s = (2 * num + den) / (2 * den);
    u64::try_from(s).unwrap_or(u64::MAX)
}

/// R16: whether the respondents are enough (a report, never a block).
pub fn sample_ok(respondents: u64, population: u64) -> bool {
    respondents >= sample_size(population)
}

// ---------------------------------------------------------------------------------------------
// R17, R18
// ---------------------------------------------------------------------------------------------

/// R17: whether a year's total JP meets the rule.
pub fn jp_compliant(total_jp: u32, rule: JpRule) -> bool {
    match rule {
        JpRule::AtLeast(min) => total_jp >= min,
        JpRule::AtMost(max) => total_jp <= max,
    }
}

/// R18 percentage of a predikat, in per cent.
pub fn credit_point_percent(p: PredikatPegawai) -> u32 {
    match p {
        PredikatPegawai::SangatBaik => 150,
        PredikatPegawai::Baik => 100,
        PredikatPegawai::ButuhPerbaikan => 75,
        PredikatPegawai::KurangMisconduct => 50,
        PredikatPegawai::SangatKurang => 25,
    }
}

/// R18: angka kredit = pct × koefisien × months / 12.
pub fn credit_points(p: PredikatPegawai, koefisien: f64, months: u32) -> f64 {
    f64::from(credit_point_percent(p)) / 100.0 * koefisien * f64::from(months) / 12.0
}

/// Capaian (realisation / target) in per cent, for projections. `None` for a zero target.
pub fn capaian_percent(realised: Milli, target: Milli) -> Option<f64> {
    let (r, t) = (realised.get(), target.get());
    if t == 0 {
        return None;
    }
    // i64 → f64 may round above 2^53 thousandths, far beyond any target.
    #[allow(clippy::cast_precision_loss)]
    Some(r as f64 / t as f64 * 100.0)
}

// ---------------------------------------------------------------------------------------------
// R19, R20
// ---------------------------------------------------------------------------------------------

/// Predikat of the legacy numeric scales.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum LegacyPredikat {
    /// Sangat Baik.
    SangatBaik,
    /// Baik.
    Baik,
    /// Cukup.
    Cukup,
    /// Kurang.
    Kurang,
    /// Sangat Kurang (PP 30/2019).
    SangatKurang,
    /// Buruk (PP 46/2011).
    Buruk,
}

/// Legacy weighting of SKP and behaviour scores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LegacyWeights {
    /// 70% SKP, 30% behaviour (PP 30/2019 without peer input).
    W70_30,
    /// 60% SKP, 40% behaviour (PP 30/2019 with peer input; PP 46/2011).
    W60_40,
}

/// The combined legacy score.
pub fn legacy_score(skp: f64, perilaku: f64, w: LegacyWeights) -> f64 {
    match w {
        LegacyWeights::W70_30 => skp * 0.7 + perilaku * 0.3,
        LegacyWeights::W60_40 => skp * 0.6 + perilaku * 0.4,
    }
}

/// R19: PP 30/2019 scale. Scores above 120 are treated as 120.
pub fn legacy_pp30(x: f64, innovation: bool) -> LegacyPredikat {
    let x = x.min(120.0);
    if x >= 110.0 && innovation {
        LegacyPredikat::SangatBaik
    } else if x >= 90.0 {
        LegacyPredikat::Baik
    } else if x >= 70.0 {
        LegacyPredikat::Cukup
    } else if x >= 50.0 {
        LegacyPredikat::Kurang
    } else {
        LegacyPredikat::SangatKurang
    }
}

/// R20: PP 46/2011 scale (≥91, 76–90, 61–75, 51–60, ≤50; fractions fall to the lower band).
pub fn legacy_pp46(x: f64) -> LegacyPredikat {
    if x >= 91.0 {
        LegacyPredikat::SangatBaik
    } else if x >= 76.0 {
        LegacyPredikat::Baik
    } else if x >= 61.0 {
        LegacyPredikat::Cukup
    } else if x >= 51.0 {
        LegacyPredikat::Kurang
    } else {
        LegacyPredikat::Buruk
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use PredikatPegawai::*;
    use Rating::*;

    #[test]
    fn the_predikat_matrix_has_nine_cells() {
        let cells = [
            (DiAtas, DiAtas, SangatBaik),
            (DiAtas, Sesuai, Baik),
            (DiAtas, DiBawah, KurangMisconduct),
            (Sesuai, DiAtas, Baik),
            (Sesuai, Sesuai, Baik),
            (Sesuai, DiBawah, KurangMisconduct),
            (DiBawah, DiAtas, ButuhPerbaikan),
            (DiBawah, Sesuai, ButuhPerbaikan),
            (DiBawah, DiBawah, SangatKurang),
        ];
        for (hk, pk, want) in cells {
            assert_eq!(predikat(hk, pk), want, "{hk:?} × {pk:?}");
        }
    }

    #[test]
    fn the_suggestion_follows_r4() {
        use JenisRhk::*;
        assert_eq!(
            suggest_hasil_kerja(&[(Utama, DiAtas), (Utama, DiAtas), (Tambahan, Sesuai)]),
            DiAtas
        );
        assert_eq!(
            suggest_hasil_kerja(&[(Utama, DiAtas), (Utama, DiAtas), (Utama, DiBawah)]),
            Sesuai
        );
        assert_eq!(
            suggest_hasil_kerja(&[(Utama, DiAtas), (Tambahan, DiAtas), (Tambahan, DiBawah)]),
            DiAtas
        );
        assert_eq!(
            suggest_hasil_kerja(&[(Utama, DiBawah), (Utama, DiBawah), (Utama, DiAtas)]),
            DiBawah
        );
        assert_eq!(
            suggest_hasil_kerja(&[(Utama, DiAtas), (Utama, Sesuai)]),
            Sesuai
        );
        assert_eq!(suggest_hasil_kerja(&[]), Sesuai);
    }

    fn unit(sb: usize, b: usize, bp: usize, k: usize, sk: usize) -> Vec<PredikatPegawai> {
        [
            (SangatBaik, sb),
            (Baik, b),
            (ButuhPerbaikan, bp),
            (KurangMisconduct, k),
            (SangatKurang, sk),
        ]
        .into_iter()
        .flat_map(|(p, c)| std::iter::repeat_n(p, c))
        .collect()
    }

    const R: DistributionRounding = DistributionRounding::FloorMaxCeilMin;

    #[test]
    fn r5_baik_without_any_bp_or_kurang_fails() {
        let v = check_distribution(PredikatOrganisasi::Baik, &unit(2, 8, 0, 0, 0), R);
        assert!(
            v.iter()
                .any(|x| x.is_minimum && x.limit == 1 && x.actual == 0)
        );
    }

    #[test]
    fn r5_baik_with_two_bp_passes() {
        assert!(check_distribution(PredikatOrganisasi::Baik, &unit(1, 7, 2, 0, 0), R).is_empty());
    }

    #[test]
    fn r5_other_rows() {
        use PredikatOrganisasi as O;
        assert!(check_distribution(O::Istimewa, &unit(7, 3, 0, 0, 0), R).is_empty());
        assert_eq!(
            check_distribution(O::Istimewa, &unit(8, 2, 0, 0, 0), R).len(),
            1
        );
        assert!(check_distribution(O::ButuhPerbaikan, &unit(1, 3, 6, 0, 0), R).is_empty());
        assert_eq!(
            check_distribution(O::ButuhPerbaikan, &unit(2, 3, 5, 0, 0), R).len(),
            2
        );
        assert!(check_distribution(O::Kurang, &unit(1, 2, 1, 6, 0), R).is_empty());
        assert!(check_distribution(O::SangatKurang, &unit(0, 3, 1, 0, 6), R).is_empty());
        assert_eq!(
            check_distribution(O::SangatKurang, &unit(1, 2, 1, 0, 6), R).len(),
            1
        );
        // rounding: 3 employees, max 70% → floor 2 (strict) or nearest 2; min 60% → ceil 2.
        assert_eq!(
            check_distribution(O::Istimewa, &unit(3, 0, 0, 0, 0), R).len(),
            1
        );
        assert!(check_distribution(O::Istimewa, &[], R).is_empty());
    }

    #[test]
    fn ikm_of_one_respondent_with_all_fours_is_100() {
        let w = vec![1.0 / 9.0; 9];
        let r = ikm(&[vec![Some(4); 9]], &w).unwrap();
        assert_eq!(r.konversi, 100.0);
        assert_eq!(ikm_category(r.konversi), IkmCategory::A);
    }

    #[test]
    fn ikm_rejects_weights_not_summing_to_one() {
        assert_eq!(
            ikm(&[vec![Some(4); 9]], &[0.1; 9]).unwrap_err().code(),
            "WEIGHTS_DO_NOT_SUM_TO_ONE"
        );
        assert_eq!(
            ikm(&[], &[1.0 / 9.0; 9]).unwrap_err().code(),
            "NO_SURVEY_RESPONSES"
        );
    }

    #[test]
    fn ikm_mixed_answers() {
        let w = vec![1.0 / 9.0; 9];
        let r = ikm(&[vec![Some(3); 9], vec![Some(4); 9]], &w).unwrap();
        assert_eq!(r.konversi, 87.5);
        assert_eq!(ikm_category(r.konversi), IkmCategory::B);
    }

    #[test]
    fn ikm_category_bounds() {
        for (v, c) in [
            (25.0, IkmCategory::D),
            (64.99, IkmCategory::D),
            (65.00, IkmCategory::C),
            (76.60, IkmCategory::C),
            (76.61, IkmCategory::B),
            (88.30, IkmCategory::B),
            (88.31, IkmCategory::A),
            (100.0, IkmCategory::A),
        ] {
            assert_eq!(ikm_category(v), c, "{v}");
        }
    }

    #[test]
    fn sample_sizes_match_r16() {
        assert_eq!(sample_size(100), 80);
        assert_eq!(sample_size(200), 132);
        assert_eq!(sample_size(1000), 278);
        assert_eq!(sample_size(10_000), 370);
        assert_eq!(sample_size(10), 10);
        assert!(sample_ok(80, 100));
        assert!(!sample_ok(79, 100));
    }

    #[test]
    fn jp_rule() {
        assert!(jp_compliant(20, JpRule::AtLeast(20)));
        assert!(!jp_compliant(19, JpRule::AtLeast(20)));
        assert!(jp_compliant(24, JpRule::AtMost(24)));
        assert!(!jp_compliant(25, JpRule::AtMost(24)));
    }

    #[test]
    fn credit_points_follow_r18() {
        assert!((credit_points(SangatBaik, 12.5, 12) - 18.75).abs() < 1e-9);
        let baik = credit_points(Baik, 12.5, 2);
        assert!((baik - 2.0833).abs() < 1e-4);
        assert_eq!(round2(baik), 2.08);
    }

    #[test]
    fn legacy_scales() {
        assert_eq!(legacy_pp30(115.0, true), LegacyPredikat::SangatBaik);
        assert_eq!(legacy_pp30(115.0, false), LegacyPredikat::Baik);
        assert_eq!(legacy_pp30(89.9, true), LegacyPredikat::Cukup);
        assert_eq!(legacy_pp30(50.0, false), LegacyPredikat::Kurang);
        assert_eq!(legacy_pp30(49.9, false), LegacyPredikat::SangatKurang);
        assert_eq!(legacy_pp46(91.0), LegacyPredikat::SangatBaik);
        assert_eq!(legacy_pp46(76.0), LegacyPredikat::Baik);
        assert_eq!(legacy_pp46(75.0), LegacyPredikat::Cukup);
        assert_eq!(legacy_pp46(60.0), LegacyPredikat::Kurang);
        assert_eq!(legacy_pp46(50.0), LegacyPredikat::Buruk);
        assert!((legacy_score(100.0, 80.0, LegacyWeights::W60_40) - 92.0).abs() < 1e-9);
    }

    #[test]
    fn capaian() {
        assert_eq!(
            capaian_percent(Milli::whole(3).unwrap(), Milli::whole(2).unwrap()),
            Some(150.0)
        );
        assert_eq!(capaian_percent(Milli::ZERO, Milli::ZERO), None);
    }
}

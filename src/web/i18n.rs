//! The languages of the web interface and their message tables: Bahasa Indonesia ([`id::ID`],
//! the default) and English ([`en::EN`]). A table is a struct with one field per message key, so
//! a key missing in one language, or misspelt in a template, does not build. The labels of
//! domain values (ratings, predikat, SKP status) are keys too.

pub mod en;
pub mod id;

use axum::http::HeaderMap;

use crate::domain::{PredikatPegawai, Rating};

/// The cookie that remembers the chosen language.
pub const LANG_COOKIE: &str = "kinerja_lang";

/// A language of the interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Id,
    En,
}

impl Lang {
    /// `id` or `en`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Id => "id",
            Lang::En => "en",
        }
    }

    fn parse(raw: &str) -> Option<Self> {
        match raw {
            "id" => Some(Lang::Id),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    pub fn other(self) -> Self {
        match self {
            Lang::Id => Lang::En,
            Lang::En => Lang::Id,
        }
    }

    pub fn messages(self) -> &'static Messages {
        match self {
            Lang::Id => &id::ID,
            Lang::En => &en::EN,
        }
    }

    /// The `lang` parameter of a query string.
    pub fn from_query(query: Option<&str>) -> Option<Self> {
        query?
            .split('&')
            .filter_map(|p| p.split_once('='))
            .find(|(k, _)| *k == "lang")
            .and_then(|(_, v)| Self::parse(v))
    }

    /// The request's language: `?lang=`, else the cookie, else Bahasa Indonesia.
    pub fn of(headers: &HeaderMap, query: Option<&str>) -> Self {
        Self::from_query(query)
            .or_else(|| crate::http::auth::cookie(headers, LANG_COOKIE).and_then(Self::parse))
            .unwrap_or_default()
    }

    /// `path_and_query` with `lang` set to this language.
    pub fn switch_href(self, path_and_query: &str) -> String {
        let (path, query) = path_and_query
            .split_once('?')
            .unwrap_or((path_and_query, ""));
        let mut parts: Vec<&str> = query
            .split('&')
            .filter(|p| !p.is_empty() && !p.starts_with("lang="))
            .collect();
        let lang = format!("lang={}", self.code());
        parts.push(&lang);
        format!("{path}?{}", parts.join("&"))
    }
}

macro_rules! messages {
    ($($key:ident),* $(,)?) => {
        /// One language's texts, one field per key.
        #[derive(Debug)]
        pub struct Messages {
            $(pub $key: &'static str,)*
        }
    };
}

messages! {
    // frame
    skip_to_content, nav_label, nav_officer, nav_supervisor, nav_leader, nav_auditor, nav_public,
    other_language, sign_out, footer, error_title, error_code, back_home,
    // sign-in
    signin_title, signin_intro, token_label, token_help, sign_in, signed_in, signed_out,
    bad_token, bad_csrf,
    // common
    unit, position, year, period, show, name, yes, not_yet, none_yet, none_now, note, other,
    indicator, target, realisation, progress, late, predikat, evidence, timeline, when, what,
    who, why, saved, compliant, not_compliant,
    // officer
    officer_title, my_skp, no_plan, file_report, no_approved_plan, realised_value, realised_help,
    evidence_link, evidence_file, evidence_file_help, evidence_hash, media_type, send_report,
    feedback_received, my_trainings, jp_total, my_history, report_saved,
    // supervisor
    supervisor_title, live_on, live_updated, live_off, my_team, reported_count, no_team,
    plan_status, reported_this_period, evaluation, plans_to_approve, approve, plan_approved,
    evaluations_to_make, result_rating, suggested_rating, work_rating, behaviour_rating,
    record_evaluation, evaluation_saved, distribution, quota_ok, quota_broken, quota_none,
    // leader
    leader_title, choose_unit, officers, reports_filed, officers_reporting, evaluations_done,
    evaluations_pending, evaluations_overdue, ikm_over_time, training_compliance, adoption,
    per_unit, no_unit,
    // auditor
    auditor_title, find_officer, find_label, find_help, results_found, as_of, as_of_help,
    as_of_show, as_of_none, ledger, verify_head, verify_ok, verify_failed, no_head, exports,
    export_csv, export_jsonl, export_head, tree_size, root_hash, signed_at, key_id,
    // public
    public_title, public_intro, ikm, category, respondents, latest_head, survey_title,
    survey_intro, survey_code, survey_code_help, survey_comment, survey_send, survey_thanks,
    survey_scale_1, survey_scale_2, survey_scale_3, survey_scale_4,
    u1, u2, u3, u4, u5, u6, u7, u8, u9,
    // domain values
    rating_di_atas, rating_sesuai, rating_di_bawah,
    predikat_sangat_baik, predikat_baik, predikat_butuh_perbaikan, predikat_kurang,
    predikat_sangat_kurang,
    status_not_drafted, status_draft, status_submitted, status_approved, status_closed,
}

impl Messages {
    pub fn rating(&self, r: Rating) -> &'static str {
        match r {
            Rating::DiAtas => self.rating_di_atas,
            Rating::Sesuai => self.rating_sesuai,
            Rating::DiBawah => self.rating_di_bawah,
        }
    }

    pub fn predikat(&self, p: PredikatPegawai) -> &'static str {
        match p {
            PredikatPegawai::SangatBaik => self.predikat_sangat_baik,
            PredikatPegawai::Baik => self.predikat_baik,
            PredikatPegawai::ButuhPerbaikan => self.predikat_butuh_perbaikan,
            PredikatPegawai::KurangMisconduct => self.predikat_kurang,
            PredikatPegawai::SangatKurang => self.predikat_sangat_kurang,
        }
    }

    /// An SKP status as the read model spells it (`DRAFT`, `APPROVED`, …).
    pub fn plan_status(&self, s: &str) -> &'static str {
        match s {
            "DRAFT" => self.status_draft,
            "SUBMITTED" => self.status_submitted,
            "APPROVED" => self.status_approved,
            "CLOSED" => self.status_closed,
            _ => self.status_not_drafted,
        }
    }

    /// The nine SKM elements U1..U9.
    pub fn survey_elements(&self) -> [&'static str; 9] {
        [
            self.u1, self.u2, self.u3, self.u4, self.u5, self.u6, self.u7, self.u8, self.u9,
        ]
    }

    /// The rating choices of a `<select>`: (code, label, selected).
    pub fn rating_options(&self, selected: Rating) -> Vec<(&'static str, &'static str, bool)> {
        [
            (Rating::DiAtas, "DI_ATAS"),
            (Rating::Sesuai, "SESUAI"),
            (Rating::DiBawah, "DI_BAWAH"),
        ]
        .into_iter()
        .map(|(r, code)| (code, self.rating(r), r == selected))
        .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_language_comes_from_the_query_then_the_cookie_then_indonesian() {
        let mut h = HeaderMap::new();
        assert_eq!(Lang::of(&h, None), Lang::Id);
        h.insert("cookie", "a=b; kinerja_lang=en".parse().unwrap());
        assert_eq!(Lang::of(&h, None), Lang::En);
        assert_eq!(Lang::of(&h, Some("x=1&lang=id")), Lang::Id);
        assert_eq!(Lang::of(&h, Some("lang=xx")), Lang::En);
    }

    #[test]
    fn switching_keeps_the_other_parameters() {
        assert_eq!(
            Lang::En.switch_href("/ui/atasan?period=TW2&lang=id"),
            "/ui/atasan?period=TW2&lang=en"
        );
        assert_eq!(Lang::Id.switch_href("/ui"), "/ui?lang=id");
    }

    #[test]
    fn the_tables_differ_where_they_should() {
        assert_ne!(id::ID.sign_in, en::EN.sign_in);
        assert_eq!(id::ID.rating(Rating::DiAtas), "Di Atas Ekspektasi");
    }
}

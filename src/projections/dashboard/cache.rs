//! The dashboard cache: what the unit dashboards are computed from, kept in memory in compact
//! form (unit documents, officer documents, per SKP only its [`PlanFigures`], JP per officer and
//! the survey years), and brought up to date from the projector's change feed instead of parsing
//! every SKP document of a tree on every request.
//!
//! How it stays correct:
//!
//! - The cache follows the projector's change feed ([`Projector::subscribe`]), which carries one
//!   message per commit, after the commit, with the position it reached and the topics it
//!   changed. A topic only marks data stale: `Scorecard { nip, year }` the officer, their SKPs
//!   and JP of that year; `Dashboard { unit }` the unit document, the officers now in the unit
//!   and its survey years — each only when the batch wrote rows of the table it comes from
//!   ([`LiveChange::wrote`]). A message that knows its tables also names the officers whose
//!   rows it wrote ([`LiveChange::officers`]): then only those officers are stale, not the
//!   officer lists of their units (an officer who moved leaves the old unit's list and joins
//!   the new one's when read again). Stale data is read again from the read model when a
//!   dashboard needs it, so every reload sees at least every commit whose message was taken
//!   before it.
//! - A dashboard asked at position `p` (the committed position the handler answers with, at or
//!   past the caller's `min_position`) is computed only once the cache has taken every message
//!   up to `p`; it waits for them (a message follows its commit at once). When messages were
//!   lost (the receiver lagged, or the committed position moved without a message within
//!   [`FEED_WAIT`], as when another process moved a checkpoint) the cache forgets everything and
//!   reloads from the read model: it may be slower, never older.
//! - The figures are computed per request from the cached inputs by the same
//!   [`assemble`] as the uncached [`super::dashboard`], at the
//!   request's time (adoption and overdue evaluations depend on it).
//!
//! What it costs: a first dashboard of a year reads that year's SKPs once (compactly); after
//! that a report costs one SKP read and one officer document.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::broadcast::error::{RecvError, TryRecvError};
use tokio::sync::{Mutex, broadcast};

use super::super::docs::{OfficerDoc, PlanDoc, UnitDoc};
use super::super::performance::from_doc;
use super::super::scorecard::CompletionLine;
use super::super::survey::{self, SurveyDoc};
use super::super::{ChangedDoc, LiveChange, Projector, Result, Topic, Val};
use super::{Dashboard, Inputs, PlanFigures, ancestors, assemble, subtree};
use crate::domain::DomainConfig;
use crate::domain::values::Period;
use crate::store::Position;

/// How long a dashboard waits for the change-feed message of a commit it has seen committed
/// before the cache gives up on the feed and reloads everything.
pub const FEED_WAIT: Duration = Duration::from_millis(250);

/// NIPs bound in one read of their SKPs and completions.
const NIPS_PER_READ: usize = 500;

/// `values` as one JSON array, the list parameter of a [`crate::per_backend!`] read.
fn json_list(values: &[String]) -> Val {
    Val::Text(Some(serde_json::Value::from(values).to_string()))
}

/// Up to this many changed officers are read again by NIP (in one read); past it, all of them.
const OFFICERS_READ_BY_NIP: usize = 500;

/// Years whose SKPs are kept (the least recently asked is dropped beyond this).
pub const YEARS_KEPT: usize = 4;

/// One year of SKPs, JP and surveys.
#[derive(Debug, Default)]
struct YearData {
    /// The SKPs of the year whose post has a unit, by that unit (what a dashboard reads: no
    /// pass over the whole year per request).
    plans: HashMap<String, Vec<PlanFigures>>,
    /// The units each NIP has SKPs of the year in (to replace an officer's SKPs).
    plan_units: HashMap<String, BTreeSet<String>>,
    /// JP completed in the year, by NIP.
    jp: HashMap<String, u32>,
    /// The survey year of each unit that has one.
    surveys: BTreeMap<String, SurveyDoc>,
    /// NIPs whose SKPs and JP of the year are stale.
    stale_nips: BTreeSet<String>,
    /// Units whose survey year is stale.
    stale_surveys: BTreeSet<String>,
    /// When a dashboard last asked for the year (for dropping the oldest).
    asked: u64,
}

/// The cached inputs.
#[derive(Debug, Default)]
struct State {
    /// Every message up to here has been taken.
    synced: Position,
    /// `None`: not loaded (or forgotten).
    units: Option<BTreeMap<String, UnitDoc>>,
    stale_units: BTreeSet<String>,
    /// Officers by NIP, with the document text they were parsed from.
    officers: Option<HashMap<String, (String, OfficerDoc)>>,
    /// NIPs by current unit.
    by_unit: HashMap<String, BTreeSet<String>>,
    stale_officer_units: BTreeSet<String>,
    stale_officers: BTreeSet<String>,
    years: HashMap<i32, YearData>,
    asks: u64,
}

impl YearData {
    /// Add one SKP (none without a unit: no dashboard counts it).
    fn add_plan(&mut self, p: PlanFigures) {
        let Some(unit) = p.unit.clone() else {
            return;
        };
        self.plan_units
            .entry(p.nip.clone())
            .or_default()
            .insert(unit.clone());
        self.plans.entry(unit).or_default().push(p);
    }

    /// Drop from the SKPs of `units` those `gone` picks (and units left with none).
    fn drop_plans<'u>(
        plans: &mut HashMap<String, Vec<PlanFigures>>,
        units: impl IntoIterator<Item = &'u String>,
        gone: impl Fn(&PlanFigures) -> bool,
    ) {
        for unit in units {
            if let Some(v) = plans.get_mut(unit) {
                v.retain(|p| !gone(p));
                if v.is_empty() {
                    plans.remove(unit);
                }
            }
        }
    }

    /// Replace the SKP of `p`'s stream with `p`.
    fn put_plan(&mut self, p: PlanFigures) {
        let units = self.plan_units.get(&p.nip).into_iter().flatten();
        Self::drop_plans(&mut self.plans, units, |q| q.stream_id == p.stream_id);
        self.add_plan(p);
    }

    /// Replace every SKP of `nip` with `plans`.
    fn put_plans(&mut self, nip: &str, plans: Vec<PlanFigures>) {
        let units = self.plan_units.remove(nip).unwrap_or_default();
        Self::drop_plans(&mut self.plans, &units, |p| p.nip == nip);
        for p in plans {
            self.add_plan(p);
        }
    }
}

impl State {
    fn forget(&mut self) {
        let synced = self.synced;
        *self = State {
            synced,
            ..State::default()
        };
    }

    fn take(&mut self, change: &LiveChange) {
        self.synced = self.synced.max(change.position);
        if let Some(docs) = &change.docs
            && self.put_docs(docs).is_ok()
        {
            // The batch's officers, SKPs, units and surveys are in already: only the JP of
            // the officers it wrote completions of is stale.
            if change.wrote("rm_completion") {
                for t in &change.topics {
                    if let Topic::Scorecard { nip, year } = t
                        && let Some(y) = self.years.get_mut(year)
                    {
                        y.stale_nips.insert(nip.clone());
                    }
                }
            }
            return;
        }
        // Only what the batch's tables hold is stale: a report (`rm_plan` and `rm_officer`
        // rows) does not make a unit's document or its surveys worth reading again.
        let (units, officers) = (change.wrote("rm_unit"), change.wrote("rm_officer"));
        let surveys = change.wrote("rm_survey");
        // When the tables are known, so are the officers whose rows changed: only they are read
        // again (a report rewrites its officer's row; re-reading the unit's list cost the most).
        // Otherwise each unit with a changed officer reads its whole list again.
        let by_officer = !change.tables.is_empty();
        self.stale_officers.extend(change.officers.iter().cloned());
        for t in &change.topics {
            match t {
                Topic::Scorecard { nip, year } => {
                    if officers && !by_officer {
                        self.stale_officers.insert(nip.clone());
                    }
                    if let Some(y) = self.years.get_mut(year) {
                        y.stale_nips.insert(nip.clone());
                    }
                }
                Topic::Dashboard { unit } => {
                    if units {
                        self.stale_units.insert(unit.clone());
                    }
                    if officers && !by_officer {
                        self.stale_officer_units.insert(unit.clone());
                    }
                    if surveys {
                        for y in self.years.values_mut() {
                            y.stale_surveys.insert(unit.clone());
                        }
                    }
                }
            }
        }
    }

    /// Take the rows a change carries into what is loaded (a unit, officer or year not loaded
    /// stays so). A document that does not parse makes the cache forget everything instead.
    fn put_docs(&mut self, docs: &[ChangedDoc]) -> Result<()> {
        let result = docs.iter().try_for_each(|d| self.put_doc(d));
        if result.is_err() {
            self.forget();
        }
        result
    }

    fn put_doc(&mut self, d: &ChangedDoc) -> Result<()> {
        match d.table {
            "rm_officer" if self.officers.is_some() => {
                let doc: OfficerDoc = from_doc(d.table, &d.doc)?;
                self.put_officer(d.doc.clone(), doc);
            }
            "rm_unit" => {
                if let Some(units) = self.units.as_mut() {
                    units.insert(d.key.clone(), from_doc(d.table, &d.doc)?);
                }
            }
            "rm_plan" => {
                let p: PlanDoc = from_doc(d.table, &d.doc)?;
                if let Some(y) = self.years.get_mut(&p.year) {
                    y.put_plan(PlanFigures::of(&p));
                }
            }
            "rm_survey" => {
                let s: SurveyDoc = from_doc(d.table, &d.doc)?;
                if let Some(y) = self.years.get_mut(&s.year) {
                    y.surveys.insert(s.unit.clone(), s);
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn put_officer(&mut self, text: String, doc: OfficerDoc) {
        let Some(officers) = self.officers.as_mut() else {
            return;
        };
        if let Some((_, old)) = officers.get(&doc.nip)
            && old.unit != doc.unit
            && let Some(u) = &old.unit
            && let Some(set) = self.by_unit.get_mut(u)
        {
            set.remove(&doc.nip);
        }
        if let Some(u) = &doc.unit {
            self.by_unit
                .entry(u.clone())
                .or_default()
                .insert(doc.nip.clone());
        }
        officers.insert(doc.nip.clone(), (text, doc));
    }
}

/// The dashboard cache of one projector (see the module documentation).
pub struct DashboardCache {
    projector: Arc<Projector>,
    state: Mutex<(broadcast::Receiver<LiveChange>, State)>,
}

impl DashboardCache {
    /// A cache following `projector`'s change feed from now on (nothing is loaded yet).
    pub fn new(projector: Arc<Projector>) -> Self {
        // Subscribe before reading the position: no commit after it is missed.
        let feed = projector.subscribe();
        let state = State {
            synced: projector.position(),
            ..State::default()
        };
        Self {
            projector,
            state: Mutex::new((feed, state)),
        }
    }

    /// Take every waiting message; then wait for the messages up to `at`.
    async fn sync(&self, feed: &mut broadcast::Receiver<LiveChange>, st: &mut State, at: Position) {
        loop {
            match feed.try_recv() {
                Ok(change) => st.take(&change),
                Err(TryRecvError::Lagged(n)) => {
                    tracing::debug!(missed = n, "dashboard cache: lagged, reloading");
                    st.forget();
                    st.synced = st.synced.max(self.projector.position());
                }
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Closed) => {
                    st.forget();
                    st.synced = st.synced.max(self.projector.position());
                    break;
                }
            }
        }
        while st.synced < at {
            match tokio::time::timeout(FEED_WAIT, feed.recv()).await {
                Ok(Ok(change)) => st.take(&change),
                Ok(Err(RecvError::Lagged(n))) => {
                    tracing::debug!(missed = n, "dashboard cache: lagged, reloading");
                    st.forget();
                    st.synced = st.synced.max(self.projector.position());
                }
                Ok(Err(RecvError::Closed)) | Err(_) => {
                    tracing::debug!(at, synced = st.synced, "dashboard cache: reloading");
                    st.forget();
                    st.synced = st.synced.max(self.projector.position()).max(at);
                }
            }
        }
    }

    /// Reload the stale units and officers (all of them when not loaded).
    async fn refresh_people(&self, st: &mut State) -> Result<()> {
        let db = self.projector.db();
        if st.units.is_none() {
            st.stale_units.clear();
            st.units = Some(super::units(db).await?);
        }
        for code in std::mem::take(&mut st.stale_units) {
            let doc: Option<UnitDoc> = db
                .docs(
                    include_str!("../../../projections/queries/unit.sql"),
                    &[Val::Text(Some(code.clone()))],
                )
                .await?
                .first()
                .map(|d| from_doc("rm_unit", d))
                .transpose()?;
            if let Some(units) = st.units.as_mut() {
                match doc {
                    Some(d) => units.insert(code, d),
                    None => units.remove(&code),
                };
            }
        }
        if st.stale_officers.len() > OFFICERS_READ_BY_NIP {
            st.officers = None;
        }
        if st.officers.is_none() {
            st.stale_officer_units.clear();
            st.stale_officers.clear();
            st.by_unit.clear();
            st.officers = Some(HashMap::new());
            let docs = db
                .docs(
                    include_str!("../../../projections/queries/officers_all.sql"),
                    &[],
                )
                .await?;
            for text in docs {
                let doc: OfficerDoc = from_doc("rm_officer", &text)?;
                st.put_officer(text, doc);
            }
        }
        for unit in std::mem::take(&mut st.stale_officer_units) {
            let rows = db
                .keyed_docs(
                    include_str!("../../../projections/queries/officers_of_unit_keyed.sql"),
                    &[Val::Text(Some(unit.clone()))],
                )
                .await?;
            // Most of a unit's officers did not change: parse only the texts that did (compared
            // with the cached text of the same NIP, without hashing every text).
            let changed: Vec<String> = rows
                .into_iter()
                .filter(|(nip, text)| {
                    st.officers
                        .as_ref()
                        .and_then(|o| o.get(nip))
                        .is_none_or(|(cached, _)| cached != text)
                })
                .map(|(_, text)| text)
                .collect();
            for text in changed {
                let doc: OfficerDoc = from_doc("rm_officer", &text)?;
                st.put_officer(text, doc);
            }
        }
        let stale: Vec<String> = std::mem::take(&mut st.stale_officers).into_iter().collect();
        if !stale.is_empty() {
            // One read for all of them (each officer's row exists once registered, and no row
            // is ever deleted).
            let rows = db
                .keyed_docs_of(crate::per_backend!("officers_in"), &[json_list(&stale)])
                .await?;
            for (_, text) in rows {
                let doc: OfficerDoc = from_doc("rm_officer", &text)?;
                st.put_officer(text, doc);
            }
        }
        Ok(())
    }

    /// Load or refresh one year of SKPs, JP and surveys.
    async fn refresh_year(&self, st: &mut State, year: i32) -> Result<()> {
        let db = self.projector.db();
        st.asks += 1;
        let asks = st.asks;
        if !st.years.contains_key(&year) {
            if st.years.len() >= YEARS_KEPT
                && let Some(oldest) = st
                    .years
                    .iter()
                    .min_by_key(|(_, y)| y.asked)
                    .map(|(k, _)| *k)
            {
                st.years.remove(&oldest);
            }
            let y = Val::Int(Some(i64::from(year)));
            let mut data = YearData::default();
            let docs = db
                .docs(
                    include_str!("../../../projections/queries/plans_of_year.sql"),
                    std::slice::from_ref(&y),
                )
                .await?;
            for text in docs {
                let p: PlanDoc = from_doc("rm_plan", &text)?;
                data.add_plan(PlanFigures::of(&p));
            }
            data.jp = super::jp_by_officer(db, year).await?;
            for s in survey::surveys(db, Some(year)).await? {
                data.surveys.insert(s.unit.clone(), s);
            }
            st.years.insert(year, data);
        }
        let Some(data) = st.years.get_mut(&year) else {
            return Ok(());
        };
        data.asked = asks;
        let stale: Vec<String> = std::mem::take(&mut data.stale_nips).into_iter().collect();
        for nips in stale.chunks(NIPS_PER_READ) {
            // Their SKPs and completions of the year, in one read each.
            let binds = [json_list(nips), Val::Int(Some(i64::from(year)))];
            let mut plans: HashMap<String, Vec<PlanFigures>> = HashMap::new();
            for (nip, text) in db
                .keyed_docs_of(crate::per_backend!("plans_of_nips"), &binds)
                .await?
            {
                let p: PlanDoc = from_doc("rm_plan", &text)?;
                plans.entry(nip).or_default().push(PlanFigures::of(&p));
            }
            let mut jp: HashMap<String, u32> = HashMap::new();
            for (nip, text) in db
                .keyed_docs_of(crate::per_backend!("completions_of_nips"), &binds)
                .await?
            {
                let c: CompletionLine = from_doc("rm_completion", &text)?;
                *jp.entry(nip).or_default() += c.jp;
            }
            for nip in nips {
                data.put_plans(nip, plans.remove(nip).unwrap_or_default());
                match jp.get(nip) {
                    Some(&j) if j > 0 => data.jp.insert(nip.clone(), j),
                    _ => data.jp.remove(nip),
                };
            }
        }
        for unit in std::mem::take(&mut data.stale_surveys) {
            match survey::survey_of(db, &unit, year).await? {
                Some(s) => data.surveys.insert(unit, s),
                None => data.surveys.remove(&unit),
            };
        }
        Ok(())
    }

    /// Bring the cache up to `at` and refresh what a dashboard of `year` reads.
    async fn ready(
        &self,
        feed: &mut broadcast::Receiver<LiveChange>,
        st: &mut State,
        at: Position,
        year: Option<i32>,
    ) -> Result<()> {
        self.sync(feed, st, at).await;
        let started = std::time::Instant::now();
        let stale = (
            st.officers.is_none(),
            st.stale_officers.len(),
            st.stale_officer_units.len(),
        );
        let result = async {
            self.refresh_people(st).await?;
            if let Some(year) = year {
                self.refresh_year(st, year).await?;
            }
            Ok(())
        }
        .await;
        tracing::debug!(
            ?stale,
            elapsed_ms = started.elapsed().as_secs_f64() * 1000.0,
            "dashboard cache: refreshed"
        );
        if result.is_err() {
            // Half-refreshed data must not be trusted later.
            st.forget();
        }
        result
    }

    /// The dashboard of `code` for `year` and `period` as of at least position `at`; `None` for
    /// an unknown unit. Equal to [`super::dashboard`] over the read model at that position.
    pub async fn dashboard(
        &self,
        config: &DomainConfig,
        at: Position,
        code: &str,
        year: i32,
        period: Period,
        now: DateTime<Utc>,
    ) -> Result<Option<Dashboard>> {
        // Staff read every unit: always `Some`.
        let d = self
            .dashboard_for(config, at, None, code, year, period, now)
            .await?;
        Ok(d.flatten())
    }

    /// Every unit and the dashboards of `codes` (in order), from one refresh of the cache as of
    /// at least position `at`.
    pub async fn dashboards(
        &self,
        config: &DomainConfig,
        at: Position,
        codes: &[&str],
        year: i32,
        period: Period,
        now: DateTime<Utc>,
    ) -> Result<(BTreeMap<String, UnitDoc>, Vec<Option<Dashboard>>)> {
        let mut guard = self.state.lock().await;
        let (feed, st) = &mut *guard;
        self.ready(feed, st, at, Some(year)).await?;
        let boards = boards(st, config, codes, year, period, now);
        Ok((st.units.clone().unwrap_or_default(), boards))
    }

    /// Load everything a dashboard of each of `years` reads, as of the committed position (so
    /// that the first dashboard after a start does not wait for it).
    pub async fn warm(&self, years: &[i32]) -> Result<()> {
        let mut guard = self.state.lock().await;
        let (feed, st) = &mut *guard;
        let at = self.projector.position();
        for year in years {
            self.ready(feed, st, at, Some(*year)).await?;
        }
        Ok(())
    }

    /// Every unit as of at least position `at`.
    pub async fn units(&self, at: Position) -> Result<BTreeMap<String, UnitDoc>> {
        let mut guard = self.state.lock().await;
        let (feed, st) = &mut *guard;
        self.ready(feed, st, at, None).await?;
        Ok(st.units.clone().unwrap_or_default())
    }

    /// Whether `nip` heads `code` or a unit above it, or is the appraiser or atasan (in an
    /// assignment covering `year`) of an officer now in `code`'s tree, as of at least `at`.
    pub async fn oversees(&self, at: Position, nip: &str, code: &str, year: i32) -> Result<bool> {
        let mut guard = self.state.lock().await;
        let (feed, st) = &mut *guard;
        self.ready(feed, st, at, None).await?;
        Ok(oversees(st, nip, code, year))
    }

    /// [`Self::dashboard`] for a caller who may read it only when [`Self::oversees`] says so
    /// (`viewer`: their NIP; `None` for staff, who read every unit), from one refresh of the
    /// cache: `Ok(None)` when `viewer` may not read it, else `Ok(Some(dashboard))`.
    #[allow(clippy::too_many_arguments)]
    pub async fn dashboard_for(
        &self,
        config: &DomainConfig,
        at: Position,
        viewer: Option<&str>,
        code: &str,
        year: i32,
        period: Period,
        now: DateTime<Utc>,
    ) -> Result<Option<Option<Dashboard>>> {
        let mut guard = self.state.lock().await;
        let (feed, st) = &mut *guard;
        self.ready(feed, st, at, Some(year)).await?;
        if viewer.is_some_and(|nip| !oversees(st, nip, code, year)) {
            return Ok(None);
        }
        Ok(Some(
            boards(st, config, &[code], year, period, now)
                .pop()
                .flatten(),
        ))
    }
}

/// [`DashboardCache::oversees`] over the cached inputs.
fn oversees(st: &State, nip: &str, code: &str, year: i32) -> bool {
    let (Some(units), Some(officers)) = (st.units.as_ref(), st.officers.as_ref()) else {
        return false;
    };
    let heads = ancestors(units, code)
        .iter()
        .any(|c| units.get(c).and_then(|u| u.head.as_deref()) == Some(nip));
    if heads {
        return true;
    }
    subtree(units, code).iter().any(|c| {
        st.by_unit.get(c).into_iter().flatten().any(|o| {
            officers
                .get(o)
                .is_some_and(|(_, d)| d.is_appraised_by(nip, Some(year)))
        })
    })
}

/// The dashboards of `codes` (in order) from the cached inputs (`None` for an unknown unit, or
/// for all of them when the cache holds nothing of `year`). Reads only the units of each tree.
fn boards(
    st: &State,
    config: &DomainConfig,
    codes: &[&str],
    year: i32,
    period: Period,
    now: DateTime<Utc>,
) -> Vec<Option<Dashboard>> {
    let (Some(units), Some(officers), Some(data)) =
        (st.units.as_ref(), st.officers.as_ref(), st.years.get(&year))
    else {
        return codes.iter().map(|_| None).collect();
    };
    codes
        .iter()
        .map(|code| {
            let mut inputs = Inputs {
                units,
                officers: BTreeMap::new(),
                plans: BTreeMap::new(),
                jp: &data.jp,
                surveys: BTreeMap::new(),
            };
            for c in subtree(units, code) {
                let os: Vec<&OfficerDoc> = st
                    .by_unit
                    .get(&c)
                    .into_iter()
                    .flatten()
                    .filter_map(|nip| officers.get(nip).map(|(_, d)| d))
                    .collect();
                let plans: Vec<&PlanFigures> = data.plans.get(&c).into_iter().flatten().collect();
                if let Some(s) = data.surveys.get(&c) {
                    inputs.surveys.insert(c.clone(), s);
                }
                inputs.officers.insert(c.clone(), os);
                inputs.plans.insert(c, plans);
            }
            assemble(config, &inputs, code, year, period, now)
        })
        .collect()
}

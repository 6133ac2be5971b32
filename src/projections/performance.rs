//! The `performance` projection: units, officers, SKPs, awards and training programmes, each a
//! row with its document, indexed by what the scorecard, dashboard and training queries look up
//! (officer, unit, year). The scorecard of an officer for a year is assembled from a handful of
//! indexed rows ([`super::scorecard`]); the dashboard aggregates the SKP rows of a unit tree
//! ([`super::dashboard`]); the training views read programmes and completions
//! ([`super::training`]).
//!
//! Tables (`projections/{backend}/performance.sql`):
//! `rm_unit(k = code, parent, doc)`, `rm_officer(k = nip, unit, doc)`,
//! `rm_plan(k = stream id, nip, year, unit, status, doc)`, `rm_award(k = award id, nip, year, doc)`,
//! `rm_programme(k = programme id, doc)`, `rm_completion(k = nip/year/programme, nip, year, jp, doc)`.

use std::collections::{BTreeSet, HashMap};

use chrono::Datelike;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::docs::{
    AwardDoc, OfficerDoc, PlanDoc, ProgrammeDoc, UnitDoc, apply_award, apply_officer, apply_plan,
    apply_programme, apply_unit, stream_key,
};
use super::{
    Backend, Changes, ColType, Decoded, Envelope, Projection, ProjectionError, Result, TableDef,
    Topic,
};
use crate::domain::DomainConfig;

const T: ColType = ColType::Text;
const I: ColType = ColType::Int;

static TABLES: [TableDef; 6] = [
    TableDef {
        name: "rm_unit",
        columns: &[("k", T), ("parent", T), ("doc", T)],
        restore: true,
    },
    TableDef {
        name: "rm_officer",
        columns: &[("k", T), ("unit", T), ("doc", T)],
        restore: true,
    },
    TableDef {
        name: "rm_plan",
        columns: &[
            ("k", T),
            ("nip", T),
            ("year", I),
            ("unit", T),
            ("status", T),
            ("doc", T),
        ],
        restore: true,
    },
    TableDef {
        name: "rm_award",
        columns: &[("k", T), ("nip", T), ("year", I), ("doc", T)],
        restore: true,
    },
    TableDef {
        name: "rm_programme",
        columns: &[("k", T), ("doc", T)],
        restore: true,
    },
    TableDef {
        name: "rm_completion",
        columns: &[("k", T), ("nip", T), ("year", I), ("jp", I), ("doc", T)],
        restore: false,
    },
];

/// Documents by key, with the keys touched since the last flush.
#[derive(Debug)]
pub struct Docs<D> {
    pub map: HashMap<String, D>,
    pub dirty: BTreeSet<String>,
}

impl<D> Default for Docs<D> {
    fn default() -> Self {
        Self {
            map: HashMap::new(),
            dirty: BTreeSet::new(),
        }
    }
}

impl<D> Docs<D> {
    /// The document at `key`, created with `new` when missing; marks it dirty.
    pub fn touch(&mut self, key: &str, new: impl FnOnce() -> D) -> &mut D {
        if !self.dirty.contains(key) {
            self.dirty.insert(key.to_string());
        }
        self.map.entry(key.to_string()).or_insert_with(new)
    }

    pub fn clear(&mut self) {
        self.map.clear();
        self.dirty.clear();
    }

    /// Drain the dirty keys with their documents.
    pub fn drain_dirty(&mut self) -> Vec<(String, &D)> {
        let keys = std::mem::take(&mut self.dirty);
        keys.into_iter()
            .filter_map(|k| self.map.get(&k).map(|d| (k, d)))
            .collect()
    }
}

pub(crate) fn to_doc<D: Serialize>(d: &D) -> String {
    serde_json::to_string(d).unwrap_or_else(|_| "null".into())
}

pub(crate) fn from_doc<D: DeserializeOwned>(table: &str, doc: &str) -> Result<D> {
    serde_json::from_str(doc).map_err(|e| ProjectionError::Corrupt {
        table: table.to_string(),
        reason: e.to_string(),
    })
}

/// The `performance` projection.
#[derive(Debug, Default)]
pub struct Performance {
    pub config: DomainConfig,
    pub units: Docs<UnitDoc>,
    pub officers: Docs<OfficerDoc>,
    pub plans: Docs<PlanDoc>,
    pub awards: Docs<Option<AwardDoc>>,
    pub programmes: Docs<ProgrammeDoc>,
}

impl Performance {
    /// Fold one event into the documents (also used by the as-of scorecard).
    pub fn fold(&mut self, env: &Envelope) {
        let e = &env.event;
        let key = stream_key(&e.stream_id);
        match &env.decoded {
            Decoded::Unit(u) => {
                let d = self.units.touch(key, UnitDoc::default);
                apply_unit(d, key, u, e.position);
            }
            Decoded::Officer(o) => {
                let d = self.officers.touch(key, OfficerDoc::default);
                apply_officer(d, key, o);
            }
            Decoded::Plan(p) => {
                let window = self.config.objection_window_days;
                let d = self
                    .plans
                    .touch(&e.stream_id, || PlanDoc::new(&e.stream_id));
                apply_plan(d, p, e.position, e.recorded_at, window);
                if let crate::domain::PlanEvent::ReportFiled { at, .. } = p {
                    let nip = d.nip.clone();
                    let o = self.officers.touch(&nip, OfficerDoc::default);
                    if o.nip.is_empty() {
                        o.nip = nip;
                    }
                    o.last_filed_at = Some(o.last_filed_at.map_or(*at, |l| l.max(*at)));
                }
            }
            Decoded::Award(a) => {
                let d = self.awards.touch(key, || None);
                apply_award(d, a, e.position);
            }
            Decoded::Training(t) => {
                let d = self.programmes.touch(key, || ProgrammeDoc::new(key));
                apply_programme(d, t);
            }
            Decoded::Survey(_) | Decoded::Other => {}
        }
    }
}

impl Projection for Performance {
    fn name(&self) -> &'static str {
        "performance"
    }

    fn version(&self) -> u32 {
        1
    }

    fn schema(&self, backend: Backend) -> &'static str {
        match backend {
            Backend::Sqlite => include_str!("../../projections/sqlite/performance.sql"),
            Backend::Postgres => include_str!("../../projections/postgres/performance.sql"),
        }
    }

    fn tables(&self) -> &'static [TableDef] {
        &TABLES
    }

    fn reset(&mut self) {
        self.units.clear();
        self.officers.clear();
        self.plans.clear();
        self.awards.clear();
        self.programmes.clear();
    }

    fn restore(&mut self, table: &str, doc: &str) -> Result<()> {
        match table {
            "rm_unit" => {
                let d: UnitDoc = from_doc(table, doc)?;
                self.units.map.insert(d.code.clone(), d);
            }
            "rm_officer" => {
                let d: OfficerDoc = from_doc(table, doc)?;
                self.officers.map.insert(d.nip.clone(), d);
            }
            "rm_plan" => {
                let d: PlanDoc = from_doc(table, doc)?;
                self.plans.map.insert(d.stream_id.clone(), d);
            }
            "rm_award" => {
                let d: AwardDoc = from_doc(table, doc)?;
                self.awards.map.insert(d.award_id.to_string(), Some(d));
            }
            "rm_programme" => {
                let d: ProgrammeDoc = from_doc(table, doc)?;
                self.programmes.map.insert(d.program_id.clone(), d);
            }
            _ => {}
        }
        Ok(())
    }

    fn apply(&mut self, env: &Envelope) {
        self.fold(env);
    }

    fn flush(&mut self, changes: &mut Changes, topics: &mut Vec<Topic>) {
        for (k, d) in self.units.drain_dirty() {
            changes.upsert(
                "rm_unit",
                vec![k.into(), d.parent.clone().into(), to_doc(d).into()],
            );
            topics.push(Topic::Dashboard {
                unit: d.code.clone(),
            });
        }
        for (k, d) in self.officers.drain_dirty() {
            changes.upsert(
                "rm_officer",
                vec![k.into(), d.unit.clone().into(), to_doc(d).into()],
            );
            if let Some(u) = &d.unit {
                topics.push(Topic::Dashboard { unit: u.clone() });
            }
        }
        for (k, d) in self.plans.drain_dirty() {
            changes.upsert(
                "rm_plan",
                vec![
                    k.into(),
                    d.nip.clone().into(),
                    d.year.into(),
                    d.unit.clone().into(),
                    d.status.clone().into(),
                    to_doc(d).into(),
                ],
            );
            topics.push(Topic::Scorecard {
                nip: d.nip.clone(),
                year: d.year,
            });
            if let Some(u) = &d.unit {
                topics.push(Topic::Dashboard { unit: u.clone() });
            }
        }
        for (k, d) in self.awards.drain_dirty() {
            if let Some(d) = d {
                changes.upsert(
                    "rm_award",
                    vec![
                        k.into(),
                        d.nip.clone().into(),
                        d.year.into(),
                        to_doc(d).into(),
                    ],
                );
                topics.push(Topic::Scorecard {
                    nip: d.nip.clone(),
                    year: d.year,
                });
            }
        }
        for (k, d) in self.programmes.drain_dirty() {
            changes.upsert("rm_programme", vec![k.clone().into(), to_doc(d).into()]);
            for (nip, c) in &d.completed {
                let year = c.completed_on.year();
                let row = serde_json::json!({
                    "nip": nip,
                    "year": year,
                    "program_id": d.program_id,
                    "title": d.programme.as_ref().map(|p| p.title.clone()),
                    "jp": c.jp,
                    "completed_on": c.completed_on,
                });
                changes.upsert(
                    "rm_completion",
                    vec![
                        format!("{nip}/{year}/{k}").into(),
                        nip.clone().into(),
                        year.into(),
                        i64::from(c.jp).into(),
                        row.to_string().into(),
                    ],
                );
                topics.push(Topic::Scorecard {
                    nip: nip.clone(),
                    year,
                });
            }
        }
    }
}

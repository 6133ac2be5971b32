//! The `audit` projection: every event about an officer, across all streams, with who did it, in
//! which role, why, and the server and client times. "About an officer" means: the officer's own
//! stream (`officer-{nip}`), their SKPs (`skp-{nip}_…`), awards granted to them (and the
//! revocation, through the award's owner), their training enrolments and completions, and their
//! appointment as a unit head. An event about several officers gives one row per officer.
//!
//! Actor, role and reason come from the metadata (`actor`, `role`, `reason`, `client_time`,
//! `request_id`); when the metadata has no actor or reason, the event's own `by` / `reason` fields
//! are used, and an SKP report's `client_time` field stands in for the metadata's.
//!
//! Tables (`projections/{backend}/audit.sql`): `rm_audit(k = {nip}/{position:020}, nip, position,
//! event_type, recorded_micros)`, an index into the log: which events are about whom, an officer's
//! trail one range of the key (so the table needs no second index). The entry
//! itself is built when the trail is read, from the event as the store holds it
//! ([`EventStore::read_positions`], [`entry_doc`]): a copy of every event's data in the read
//! models was 40 % of their bytes and the better part of a rebuild's writes (BENCHMARKS.md).
//! `rm_audit_owner(k = award stream, doc)`: the officer an award belongs to.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use super::docs::{actor_text, stream_key};
use super::export;
use super::performance::{Docs, from_doc, to_doc};
use super::{
    Backend, Changes, ColType, Decoded, Envelope, Meta, Projection, ProjectionError, ReadDb,
    Result, TableDef, Topic, Val, pos_i64, pos_u64,
};
use crate::domain::{AwardEvent, TrainingEvent, UnitEvent};
use crate::store::{EventStore, RecordedEvent};

const T: ColType = ColType::Text;
const I: ColType = ColType::Int;

static TABLES: [TableDef; 2] = [
    TableDef {
        name: "rm_audit",
        columns: &[
            ("k", T),
            ("nip", T),
            ("position", I),
            ("event_type", T),
            ("recorded_micros", I),
        ],
        restore: false,
    },
    TableDef {
        name: "rm_audit_owner",
        columns: &[("k", T), ("doc", T)],
        restore: true,
    },
];

/// One line of an officer's audit trail. Built when the trail is read with the event's data
/// borrowed as stored (`AuditEntry<&RawValue>`, [`entry_doc`]); parsed back owned for CSV.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry<D = serde_json::Value> {
    pub position: u64,
    pub event_id: String,
    pub stream_id: String,
    pub revision: u64,
    pub event_type: String,
    /// The officer the entry is about.
    pub nip: String,
    pub actor: Option<String>,
    pub role: Option<String>,
    pub reason: Option<String>,
    pub request_id: Option<String>,
    /// Server time of the commit.
    pub recorded_at: DateTime<Utc>,
    /// The device's clock, as the client said (may be wrong).
    pub client_time: Option<DateTime<Utc>>,
    /// The event's data.
    pub data: D,
}

/// The fields of an event's data the trail falls back on when the metadata lacks them, borrowed
/// as raw JSON (a field of another type is ignored, not an error).
#[derive(Default, Deserialize)]
struct Hints<'a> {
    #[serde(borrow, default)]
    by: Option<&'a RawValue>,
    #[serde(borrow, default)]
    reason: Option<&'a RawValue>,
    #[serde(borrow, default)]
    client_time: Option<&'a RawValue>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Owner {
    stream_id: String,
    nip: String,
}

/// The `audit` projection.
#[derive(Debug, Default)]
pub struct Audit {
    owners: Docs<Owner>,
    /// `rm_audit` rows folded since the last flush.
    rows: Vec<Vec<Val>>,
}

fn subjects(env: &Envelope, owners: &HashMap<String, Owner>) -> Vec<String> {
    let e = &env.event;
    match &env.decoded {
        Decoded::Officer(_) => vec![stream_key(&e.stream_id).to_string()],
        Decoded::Plan(_) => super::docs::parse_plan_stream(&e.stream_id)
            .map(|(nip, _, _)| vec![nip])
            .unwrap_or_default(),
        Decoded::Award(AwardEvent::AwardGranted { nip, .. }) => vec![nip.as_str().to_string()],
        Decoded::Award(AwardEvent::AwardRevoked { .. }) => owners
            .get(&e.stream_id)
            .map(|o| vec![o.nip.clone()])
            .unwrap_or_default(),
        Decoded::Training(TrainingEvent::OfficerEnrolled { nip, .. })
        | Decoded::Training(TrainingEvent::TrainingCompleted { nip, .. }) => {
            vec![nip.as_str().to_string()]
        }
        Decoded::Unit(UnitEvent::UnitHeadAssigned { head, .. }) => {
            vec![head.as_str().to_string()]
        }
        _ => Vec::new(),
    }
}

impl Projection for Audit {
    fn name(&self) -> &'static str {
        "audit"
    }

    fn version(&self) -> u32 {
        // 2: `rm_audit` holds no copy of the entry (built from the log when read).
        // 3: keyed by officer, then position.
        3
    }

    fn schema(&self, backend: Backend) -> &'static str {
        match backend {
            Backend::Sqlite => include_str!("../../projections/sqlite/audit.sql"),
            Backend::Postgres => include_str!("../../projections/postgres/audit.sql"),
        }
    }

    fn tables(&self) -> &'static [TableDef] {
        &TABLES
    }

    fn reset(&mut self) {
        self.owners.clear();
        self.rows.clear();
    }

    fn restore(&mut self, table: &str, doc: &str) -> Result<()> {
        if table == "rm_audit_owner" {
            let o: Owner = from_doc(table, doc)?;
            self.owners.map.insert(o.stream_id.clone(), o);
        }
        Ok(())
    }

    fn apply(&mut self, env: &Envelope) {
        if let Decoded::Award(AwardEvent::AwardGranted { nip, .. }) = &env.decoded {
            let stream_id = env.event.stream_id.clone();
            let o = self.owners.touch(&stream_id, || Owner {
                stream_id: stream_id.clone(),
                nip: String::new(),
            });
            o.nip = nip.as_str().to_string();
        }
        let nips = subjects(env, &self.owners.map);
        if nips.is_empty() {
            return;
        }
        let e = &env.event;
        for nip in nips {
            self.rows.push(vec![
                audit_key(&nip, e.position).into(),
                nip.into(),
                pos_i64(e.position).into(),
                e.event_type.as_str().into(),
                e.recorded_at.timestamp_micros().into(),
            ]);
        }
    }

    fn flush(&mut self, changes: &mut Changes, _topics: &mut Vec<Topic>) {
        for (k, o) in self.owners.drain_dirty() {
            changes.upsert("rm_audit_owner", vec![k.into(), to_doc(o).into()]);
        }
        for row in self.rows.drain(..) {
            changes.upsert("rm_audit", row);
        }
    }
}

/// The entry of `e` in the trail of `nip`, as JSON text: actor, role, reason, request id and
/// client time from the metadata, falling back on the data's `by`, `reason` and `client_time`,
/// and the event's data as it is stored (not parsed and written again).
pub fn entry_doc(e: &RecordedEvent, nip: &str) -> String {
    let meta = Meta::of(e);
    let data: &RawValue = serde_json::from_str(&e.data).unwrap_or(RawValue::NULL);
    let needs_hints = meta.actor.is_none() || meta.reason.is_none() || meta.client_time.is_none();
    let hints = if needs_hints && data.get().starts_with('{') {
        serde_json::from_str::<Hints<'_>>(data.get()).unwrap_or_default()
    } else {
        Hints::default()
    };
    let actor = meta.actor.or_else(|| {
        hints
            .by
            .and_then(|b| serde_json::from_str(b.get()).ok())
            .map(|a| actor_text(&a))
    });
    let reason = meta.reason.or_else(|| {
        hints
            .reason
            .and_then(|r| serde_json::from_str::<String>(r.get()).ok())
    });
    let client_time = meta.client_time.or_else(|| {
        hints
            .client_time
            .and_then(|c| serde_json::from_str::<String>(c.get()).ok())
            .and_then(|c| c.parse().ok())
    });
    to_doc(&AuditEntry {
        position: e.position,
        event_id: e.event_id.to_string(),
        stream_id: e.stream_id.clone(),
        revision: e.revision,
        event_type: e.event_type.clone(),
        nip: nip.to_string(),
        actor,
        role: meta.role,
        reason,
        request_id: meta.request_id,
        recorded_at: e.recorded_at,
        client_time,
        data,
    })
}

/// The key of an officer's row for the event at `position`: the officer, then the position in
/// 20 digits, so that the keys of one officer sort by position.
fn audit_key(nip: &str, position: u64) -> String {
    format!("{nip}/{position:020}")
}

/// Filters of an audit-trail query.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AuditFilter {
    /// Only these event types (empty: all).
    #[serde(default)]
    pub types: Vec<String>,
    /// Server time at or after.
    pub from: Option<DateTime<Utc>>,
    /// Server time before.
    pub until: Option<DateTime<Utc>>,
    /// Only positions below this (paging newest first).
    pub before_position: Option<u64>,
    /// At most this many entries (default 1000, at most 100 000).
    pub limit: Option<u32>,
}

/// The entries of an officer's audit trail as JSON text, newest first: the positions from
/// `rm_audit`, the events from the log (one read), each entry built by [`entry_doc`].
pub async fn audit_trail_docs(
    db: &ReadDb,
    store: &dyn EventStore,
    nip: &str,
    f: &AuditFilter,
) -> Result<Vec<String>> {
    let limit = f.limit.unwrap_or(1000).clamp(1, 100_000);
    let one_type = (f.types.len() == 1).then(|| f.types[0].clone());
    // The officer's keys run from `{nip}/` up to (not including) `{nip}0`, '0' being the
    // character after '/'; paging newest first ends them at the first position not wanted.
    let upper = match f.before_position {
        Some(p) => audit_key(nip, p),
        None => format!("{nip}0"),
    };
    let rows = db
        .keyed_ints(
            include_str!("../../projections/queries/audit_trail.sql"),
            &[
                Val::Text(Some(format!("{nip}/"))),
                Val::Text(Some(upper)),
                Val::Text(one_type),
                Val::Int(f.from.map(|t| t.timestamp_micros())),
                Val::Int(f.until.map(|t| t.timestamp_micros())),
                Val::Int(Some(if f.types.len() > 1 {
                    100_000
                } else {
                    i64::from(limit)
                })),
            ],
        )
        .await?;
    let positions: Vec<u64> = rows
        .into_iter()
        .filter(|(event_type, _)| f.types.len() <= 1 || f.types.contains(event_type))
        .map(|(_, position)| pos_u64(position))
        .take(usize::try_from(limit).unwrap_or(usize::MAX))
        .collect();
    let events: HashMap<u64, RecordedEvent> = store
        .read_positions(&positions)
        .await?
        .into_iter()
        .map(|e| (e.position, e))
        .collect();
    positions
        .iter()
        .map(|p| {
            events
                .get(p)
                .map(|e| entry_doc(e, nip))
                .ok_or_else(|| ProjectionError::Corrupt {
                    table: "rm_audit".into(),
                    reason: format!("position {p} is not in the log"),
                })
        })
        .collect()
}

/// An officer's audit trail, newest first.
pub async fn audit_trail(
    db: &ReadDb,
    store: &dyn EventStore,
    nip: &str,
    f: &AuditFilter,
) -> Result<Vec<AuditEntry>> {
    entries(&audit_trail_docs(db, store, nip, f).await?)
}

/// Audit documents ([`audit_trail_docs`]) parsed into entries.
pub fn entries(docs: &[String]) -> Result<Vec<AuditEntry>> {
    docs.iter().map(|d| from_doc("rm_audit", d)).collect()
}

/// Refuse a document that is not a JSON object (it is written into answers as it is).
fn check_doc(doc: &str) -> Result<()> {
    let object = doc.starts_with('{');
    match serde_json::from_str::<serde::de::IgnoredAny>(doc) {
        Ok(_) if object => Ok(()),
        Ok(_) => Err(super::ProjectionError::Corrupt {
            table: "rm_audit".into(),
            reason: "an audit entry that is not a JSON object".into(),
        }),
        Err(e) => Err(super::ProjectionError::Corrupt {
            table: "rm_audit".into(),
            reason: e.to_string(),
        }),
    }
}

/// The audit trail as the JSON answer `{"nip": …, "entries": [AuditEntry, …]}`, with the
/// documents of [`audit_trail_docs`] written in as they are (checked to be JSON objects, not parsed into values): the
/// same text as serialising the parsed entries.
pub fn audit_json(nip: &str, docs: &[String]) -> Result<String> {
    let mut out = String::with_capacity(32 + docs.iter().map(|d| d.len() + 1).sum::<usize>());
    out.push_str("{\"nip\":");
    out.push_str(&serde_json::Value::from(nip).to_string());
    out.push_str(",\"entries\":[");
    for (i, d) in docs.iter().enumerate() {
        check_doc(d)?;
        if i > 0 {
            out.push(',');
        }
        out.push_str(d);
    }
    out.push_str("]}");
    Ok(out)
}

/// The audit trail as JSON Lines from the documents of [`audit_trail_docs`] (one entry a line).
pub fn audit_jsonl_docs(docs: &[String]) -> Result<String> {
    let mut out = String::with_capacity(docs.iter().map(|d| d.len() + 1).sum::<usize>());
    for d in docs {
        check_doc(d)?;
        out.push_str(d);
        out.push('\n');
    }
    Ok(out)
}

/// The audit trail as CSV.
pub fn audit_csv(entries: &[AuditEntry]) -> String {
    export::csv(
        &[
            "position",
            "recorded_at",
            "client_time",
            "nip",
            "stream_id",
            "revision",
            "event_type",
            "actor",
            "role",
            "reason",
            "request_id",
            "event_id",
            "data",
        ],
        entries.iter().map(|e| {
            vec![
                e.position.to_string(),
                e.recorded_at.to_rfc3339(),
                export::opt(&e.client_time.map(|t| t.to_rfc3339())),
                e.nip.clone(),
                e.stream_id.clone(),
                e.revision.to_string(),
                e.event_type.clone(),
                export::opt(&e.actor),
                export::opt(&e.role),
                export::opt(&e.reason),
                export::opt(&e.request_id),
                e.event_id.clone(),
                e.data.to_string(),
            ]
        }),
    )
}

/// The audit trail as JSON Lines.
pub fn audit_jsonl(entries: &[AuditEntry]) -> String {
    export::jsonl(entries)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::values::{ActorId, Nip};
    use crate::domain::{DomainEvent, PlanEvent};
    use crate::store::RecordedEvent;

    const OFFICER: &str = "199001012015011001";
    const BOSS: &str = "198001012005011002";

    fn recorded(stream: &str, e: &PlanEvent, metadata: &str) -> RecordedEvent {
        RecordedEvent {
            position: 7,
            event_id: uuid::Uuid::nil(),
            stream_id: stream.to_string(),
            revision: 3,
            event_type: e.event_type().to_string(),
            schema_version: 1,
            data: e.to_data().to_string(),
            metadata: metadata.to_string(),
            recorded_at: "2025-04-02T03:00:00Z".parse().unwrap(),
            hash: [0; 32],
        }
    }

    /// The trail entries of one event: the rows the fold writes, each built into its entry
    /// as a query would.
    fn trail_of(e: RecordedEvent) -> Vec<AuditEntry> {
        let mut audit = Audit::default();
        audit.apply(&Envelope::new(e.clone()));
        let mut changes = Changes::default();
        audit.flush(&mut changes, &mut Vec::new());
        changes
            .rows
            .into_iter()
            .filter(|((t, _), _)| *t == "rm_audit")
            .map(|(_, row)| match row.as_deref() {
                Some([_, Val::Text(Some(nip)), Val::Int(Some(p)), ..]) => {
                    assert_eq!(pos_u64(*p), e.position);
                    serde_json::from_str(&entry_doc(&e, nip)).unwrap()
                }
                other => panic!("not an audit row: {other:?}"),
            })
            .collect()
    }

    fn stream() -> String {
        format!("skp-{OFFICER}_2025_1")
    }

    fn withdrawn(reason: &str) -> PlanEvent {
        PlanEvent::ReportWithdrawn {
            report_id: uuid::Uuid::nil(),
            reason: reason.into(),
            at: "2025-04-02T03:00:00Z".parse().unwrap(),
        }
    }

    #[test]
    fn without_metadata_the_trail_takes_actor_reason_and_client_time_from_the_data() {
        let approved = PlanEvent::PlanApproved {
            by: ActorId::Nip(Nip::parse(BOSS).unwrap()),
            late: false,
            at: "2025-01-20T01:00:00Z".parse().unwrap(),
        };
        let e = recorded(&stream(), &approved, "{}");
        let data = e.data_json();
        let got = trail_of(e);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].nip, OFFICER);
        assert_eq!(got[0].actor.as_deref(), Some(BOSS));
        assert_eq!(got[0].reason, None);
        // The data is kept as stored.
        assert_eq!(got[0].data, data);

        let got = trail_of(recorded(&stream(), &withdrawn("salah input"), "null"));
        assert_eq!(got[0].reason.as_deref(), Some("salah input"));
        assert_eq!(got[0].actor, None);
    }

    #[test]
    fn metadata_wins_over_the_data() {
        let meta = serde_json::json!({
            "actor": OFFICER, "role": "PEGAWAI", "reason": "dari metadata",
            "client_time": "2025-04-01T00:00:00Z", "request_id": 42,
        });
        let got = trail_of(recorded(
            &stream(),
            &withdrawn("salah input"),
            &meta.to_string(),
        ));
        assert_eq!(got[0].actor.as_deref(), Some(OFFICER));
        assert_eq!(got[0].role.as_deref(), Some("PEGAWAI"));
        assert_eq!(got[0].reason.as_deref(), Some("dari metadata"));
        assert_eq!(got[0].request_id.as_deref(), Some("42"));
        assert_eq!(
            got[0].client_time,
            Some("2025-04-01T00:00:00Z".parse().unwrap())
        );
    }

    #[test]
    fn an_event_whose_data_is_not_json_has_no_entry() {
        let mut e = recorded(&stream(), &withdrawn("x"), "{}");
        e.data = "not json".into();
        // Undecodable events are about no one the trail can name.
        assert!(trail_of(e).is_empty());
    }
}

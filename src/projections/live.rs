//! What a live-feed client that reconnects has missed: the topics (scorecards, dashboards) that
//! the events after its last position changed, found by re-reading `$all` from that position up
//! to the committed one. The topics are the ones the projector publishes for the same events
//! ([`super::performance`], [`super::survey`]); the unit of an SKP or an officer, and the owner of
//! a revoked award, are taken from the read model.

use std::collections::{BTreeSet, HashMap};

use chrono::Datelike;

use super::docs::{AwardDoc, OfficerDoc, PlanDoc, parse_plan_stream, stream_key};
use super::performance::from_doc;
use super::survey::parse_survey_stream;
use super::{Decoded, Envelope, ReadDb, Result, Topic, Val};
use crate::domain::{AwardEvent, OfficerEvent, TrainingEvent};
use crate::store::{EventStore, Position};

async fn one<D: serde::de::DeserializeOwned>(
    db: &ReadDb,
    sql: &'static str,
    table: &str,
    key: &str,
) -> Result<Option<D>> {
    db.docs(sql, &[Val::Text(Some(key.to_string()))])
        .await?
        .first()
        .map(|d| from_doc(table, d))
        .transpose()
}

/// The topics changed by the events in `(after, upto]`, or `None` when there are more than
/// `limit` of them (the client should reload instead).
pub async fn topics_between(
    store: &dyn EventStore,
    db: &ReadDb,
    after: Position,
    upto: Position,
    limit: u64,
) -> Result<Option<BTreeSet<Topic>>> {
    if upto.saturating_sub(after) > limit {
        return Ok(None);
    }
    let mut topics = BTreeSet::new();
    let mut plan_units: HashMap<String, Option<String>> = HashMap::new();
    let mut officer_units: HashMap<String, Option<String>> = HashMap::new();
    let mut from = after;
    while from < upto {
        let page = store.read_all(from, 5000).await?;
        let Some(last) = page.last().map(|e| e.position) else {
            break;
        };
        for e in page {
            if e.position > upto {
                break;
            }
            let env = Envelope::new(e);
            let stream = env.event.stream_id.as_str();
            match &env.decoded {
                Decoded::Plan(_) => {
                    let Some((nip, year, _)) = parse_plan_stream(stream) else {
                        continue;
                    };
                    topics.insert(Topic::Scorecard { nip, year });
                    if !plan_units.contains_key(stream) {
                        let sql = include_str!("../../projections/queries/plan.sql");
                        let doc: Option<PlanDoc> = one(db, sql, "rm_plan", stream).await?;
                        plan_units.insert(stream.to_string(), doc.and_then(|d| d.unit));
                    }
                    if let Some(Some(unit)) = plan_units.get(stream) {
                        topics.insert(Topic::Dashboard { unit: unit.clone() });
                    }
                }
                Decoded::Officer(o) => {
                    let nip = stream_key(stream).to_string();
                    if let OfficerEvent::OfficerRegistered { post, .. }
                    | OfficerEvent::OfficerTransferred { post, .. } = o
                    {
                        topics.insert(Topic::Dashboard {
                            unit: post.unit.as_str().to_string(),
                        });
                    }
                    if !officer_units.contains_key(&nip) {
                        let sql = include_str!("../../projections/queries/officer.sql");
                        let doc: Option<OfficerDoc> = one(db, sql, "rm_officer", &nip).await?;
                        officer_units.insert(nip.clone(), doc.and_then(|d| d.unit));
                    }
                    if let Some(Some(unit)) = officer_units.get(&nip) {
                        topics.insert(Topic::Dashboard { unit: unit.clone() });
                    }
                }
                Decoded::Unit(_) => {
                    topics.insert(Topic::Dashboard {
                        unit: stream_key(stream).to_string(),
                    });
                }
                Decoded::Award(a) => {
                    let sql = include_str!("../../projections/queries/award.sql");
                    let doc: Option<AwardDoc> =
                        one(db, sql, "rm_award", stream_key(stream)).await?;
                    match (a, doc) {
                        (_, Some(d)) => {
                            topics.insert(Topic::Scorecard {
                                nip: d.nip,
                                year: d.year,
                            });
                        }
                        (AwardEvent::AwardGranted { nip, basis, at, .. }, None) => {
                            let year = basis.first().map_or(at.year(), |b| b.evaluation.year.get());
                            topics.insert(Topic::Scorecard {
                                nip: nip.as_str().to_string(),
                                year,
                            });
                        }
                        _ => {}
                    }
                }
                Decoded::Training(TrainingEvent::TrainingCompleted {
                    nip, completed_on, ..
                }) => {
                    topics.insert(Topic::Scorecard {
                        nip: nip.as_str().to_string(),
                        year: completed_on.year(),
                    });
                }
                Decoded::Survey(_) => {
                    if let Some((unit, _)) = parse_survey_stream(stream) {
                        topics.insert(Topic::Dashboard { unit });
                    }
                }
                Decoded::Training(_) | Decoded::Other => {}
            }
        }
        from = last;
    }
    Ok(Some(topics))
}

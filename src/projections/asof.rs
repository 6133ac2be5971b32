//! Time travel for auditors: an officer's scorecard as of a server timestamp or a global
//! position, computed by folding the officer's streams (`officer-{nip}`, `skp-{nip}_{year}_{seq}`)
//! and the award and training streams up to that point with the same fold as the read model, not
//! by reading the read model. The auditor sees exactly what the supervisor saw then.

use chrono::{DateTime, Utc};

use super::docs::{AwardDoc, PlanDoc};
use super::performance::Performance;
use super::scorecard::{CompletionLine, Scorecard, build};
use super::{Envelope, Result};
use crate::domain::DomainConfig;
use crate::domain::values::Period;
use crate::store::{Direction, EventStore, Position, ReadFrom, RecordedEvent, StreamId};

/// Up to where to fold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AsOf {
    /// Events at or before this position of `$all`.
    Position(Position),
    /// Events committed at or before this server time.
    Time(DateTime<Utc>),
}

impl AsOf {
    fn admits(self, e: &RecordedEvent) -> bool {
        match self {
            AsOf::Position(p) => e.position <= p,
            AsOf::Time(t) => e.recorded_at <= t,
        }
    }
}

const PAGE: usize = 10_000;

async fn read_stream_all(store: &dyn EventStore, id: &str) -> Result<Vec<RecordedEvent>> {
    let Ok(stream) = StreamId::parse(id) else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    let mut from = ReadFrom::Start;
    loop {
        let page = store
            .read_stream(&stream, from, Direction::Forwards, PAGE)
            .await?;
        let n = page.len();
        if let Some(last) = page.last() {
            from = ReadFrom::Revision(last.revision + 1);
        }
        out.extend(page);
        if n < PAGE {
            return Ok(out);
        }
    }
}

async fn read_category_all(store: &dyn EventStore, category: &str) -> Result<Vec<RecordedEvent>> {
    let mut out = Vec::new();
    let mut after = 0;
    loop {
        let page = store.read_category(category, after, PAGE).await?;
        let n = page.len();
        if let Some(last) = page.last() {
            after = last.position;
        }
        out.extend(page);
        if n < PAGE {
            return Ok(out);
        }
    }
}

/// The scorecard of `nip` for `year` and `period` as it was at `as_of`, or `None` when the
/// officer had no history then.
pub async fn scorecard_as_of(
    store: &dyn EventStore,
    config: &DomainConfig,
    nip: &str,
    year: i32,
    period: Period,
    as_of: AsOf,
) -> Result<Option<Scorecard>> {
    let mut events = read_stream_all(store, &format!("officer-{nip}")).await?;
    // One SKP per post in the year: sequence numbers from 1 until a stream does not exist.
    for seq in 1..=1000u32 {
        let s = read_stream_all(store, &format!("skp-{nip}_{year}_{seq}")).await?;
        if s.is_empty() {
            break;
        }
        events.extend(s);
    }
    events.extend(read_category_all(store, "award").await?);
    events.extend(read_category_all(store, "training").await?);
    events.retain(|e| as_of.admits(e));
    events.sort_by_key(|e| e.position);

    let mut fold = Performance {
        config: config.clone(),
        ..Performance::default()
    };
    for e in events {
        fold.fold(&Envelope::new(e));
    }
    let officer = fold.officers.map.get(nip).cloned();
    let plans: Vec<PlanDoc> = fold
        .plans
        .map
        .values()
        .filter(|p| p.nip == nip)
        .cloned()
        .collect();
    if officer.is_none() && plans.is_empty() {
        return Ok(None);
    }
    let awards: Vec<AwardDoc> = fold.awards.map.values().flatten().cloned().collect();
    let mut completions: Vec<(String, CompletionLine)> = Vec::new();
    for p in fold.programmes.map.values() {
        if let Some(c) = p.completed.get(nip) {
            use chrono::Datelike;
            if c.completed_on.year() == year {
                let k = format!("{nip}/{year}/{}", p.program_id);
                completions.push((
                    k,
                    CompletionLine {
                        nip: nip.to_string(),
                        year,
                        program_id: p.program_id.clone(),
                        title: p.programme.as_ref().map(|x| x.title.clone()),
                        jp: c.jp,
                        completed_on: c.completed_on,
                    },
                ));
            }
        }
    }
    completions.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(Some(build(
        config,
        nip,
        year,
        period,
        officer.as_ref(),
        &plans,
        &awards,
        completions.into_iter().map(|(_, c)| c).collect(),
    )))
}

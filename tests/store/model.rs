//! Property test: random append sequences give the same outcomes and the same streams on every
//! backend as a deliberately simple in-memory model (a map of vectors).

use std::collections::HashMap;

use kinerja::store::writer::WriterOptions;
use kinerja::store::{
    AppendResult, Direction, ExpectedRevision, NewEvent, ReadFrom, StoreError, StreamId,
};
use proptest::prelude::*;
use serde_json::json;

use crate::fixture::{Backend, Kind};

#[derive(Debug, Clone)]
enum Op {
    Append {
        stream: usize,
        expected: u8,
        revision: u64,
        count: usize,
    },
    /// Send the last successful append again, same ids and expectation.
    RetryLast,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0usize..3, 0u8..4, 0u64..4, 1usize..4).prop_map(|(stream, expected, revision, count)| {
            Op::Append { stream, expected, revision, count }
        }),
        1 => Just(Op::RetryLast),
    ]
}

fn expectation(kind: u8, revision: u64) -> ExpectedRevision {
    match kind {
        0 => ExpectedRevision::Any,
        1 => ExpectedRevision::NoStream,
        2 => ExpectedRevision::StreamExists,
        _ => ExpectedRevision::Revision(revision),
    }
}

/// What the model says an append does.
#[derive(Default)]
struct Model {
    streams: HashMap<String, Vec<serde_json::Value>>,
}

impl Model {
    fn append(
        &mut self,
        stream: &str,
        expected: ExpectedRevision,
        data: &[serde_json::Value],
    ) -> Result<u64, Option<u64>> {
        let events = self.streams.entry(stream.to_string()).or_default();
        let actual = (events.len() as u64).checked_sub(1);
        let ok = match expected {
            ExpectedRevision::Any => true,
            ExpectedRevision::NoStream => actual.is_none(),
            ExpectedRevision::StreamExists => actual.is_some(),
            ExpectedRevision::Revision(n) => actual == Some(n),
        };
        if !ok {
            return Err(actual);
        }
        events.extend(data.iter().cloned());
        Ok(events.len() as u64 - 1)
    }
}

async fn run(kind: Kind, ops: Vec<Op>) {
    let Some(b) = Backend::new(kind, WriterOptions::default()).await else {
        return;
    };
    let store = b.store.clone();
    let mut model = Model::default();
    let mut last_ok: Option<(StreamId, ExpectedRevision, Vec<NewEvent>, AppendResult)> = None;
    let mut counter = 0u64;
    for op in ops {
        match op {
            Op::Append {
                stream,
                expected,
                revision,
                count,
            } => {
                let stream_id = StreamId::parse(format!("officer-{stream}")).unwrap();
                let expected = expectation(expected, revision);
                let data: Vec<_> = (0..count)
                    .map(|_| {
                        counter += 1;
                        json!({ "n": counter })
                    })
                    .collect();
                let events: Vec<NewEvent> =
                    data.iter().map(|d| NewEvent::new("T", d.clone())).collect();
                let got = store.append(&stream_id, expected, events.clone()).await;
                let want = model.append(stream_id.as_str(), expected, &data);
                match (&got, want) {
                    (Ok(r), Ok(rev)) => {
                        assert_eq!(r.revision, rev);
                        last_ok = Some((stream_id, expected, events, *r));
                    }
                    (Err(StoreError::WrongExpectedVersion { actual, .. }), Err(model_actual)) => {
                        assert_eq!(*actual, model_actual);
                    }
                    (got, want) => panic!("{kind:?}: store {got:?}, model {want:?}"),
                }
            }
            Op::RetryLast => {
                if let Some((stream, expected, events, first)) = &last_ok {
                    let again = store
                        .append(stream, *expected, events.clone())
                        .await
                        .unwrap();
                    assert_eq!(again, *first, "{kind:?}: a retry returns the first answer");
                }
            }
        }
    }
    for (stream, want) in &model.streams {
        let got: Vec<serde_json::Value> = store
            .read_stream(
                &StreamId::parse(stream.clone()).unwrap(),
                ReadFrom::Start,
                Direction::Forwards,
                10_000,
            )
            .await
            .unwrap()
            .iter()
            .map(|e| e.data_json())
            .collect();
        assert_eq!(&got, want, "{kind:?}: stream {stream}");
    }
    let total: usize = model.streams.values().map(Vec::len).sum();
    assert_eq!(store.head().await.unwrap().position, total as u64);
    store.shutdown().await;
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn random_appends_match_the_model_on_every_backend(ops in proptest::collection::vec(op(), 1..30)) {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async {
            run(Kind::Memory, ops.clone()).await;
            run(Kind::Sqlite, ops.clone()).await;
            run(Kind::Postgres, ops).await;
        });
    }
}

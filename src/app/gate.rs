//! One command at a time per stream within this process. Commands on the same stream (the
//! answers of one unit's survey year, a report and a feedback on one SKP) would otherwise each
//! load the stream, decide and append with the same expected revision, and all but one would
//! fail on it and start again: under load that is wasted work and, after [`super::MAX_ATTEMPTS`],
//! a 409 for a request that conflicted only with a neighbour. The gate makes them queue instead;
//! another process writing to the same store is still met by the retry in [`super::App::execute`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::OwnedMutexGuard;

/// The gates of the streams that have a command running or waiting.
#[derive(Debug, Default)]
pub struct StreamGates {
    open: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

/// Held while a command runs on its stream; the gate is forgotten when no one else waits.
pub struct GateGuard<'a> {
    gates: &'a StreamGates,
    key: String,
    gate: Arc<tokio::sync::Mutex<()>>,
    _held: OwnedMutexGuard<()>,
}

impl StreamGates {
    /// Wait until no other command of this process runs on `stream`.
    pub async fn enter(&self, stream: &str) -> GateGuard<'_> {
        let gate = {
            let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
            open.entry(stream.to_string()).or_default().clone()
        };
        let held = gate.clone().lock_owned().await;
        GateGuard {
            gates: self,
            key: stream.to_string(),
            gate,
            _held: held,
        }
    }

    /// Streams with a command running or waiting.
    pub fn len(&self) -> usize {
        self.open.lock().map_or(0, |o| o.len())
    }

    /// Whether no command is running or waiting.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Drop for GateGuard<'_> {
    fn drop(&mut self) {
        let mut open = self.gates.open.lock().unwrap_or_else(|e| e.into_inner());
        // The map's, this guard's and the held lock's: no one else waits for this stream.
        if Arc::strong_count(&self.gate) <= 3 {
            open.remove(&self.key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn commands_on_one_stream_queue_and_the_gate_is_forgotten_after() {
        let gates = Arc::new(StreamGates::default());
        let first = gates.enter("survey-A_2025").await;
        // Another stream is not held up.
        let other = gates.enter("survey-B_2025").await;
        drop(other);
        let g = gates.clone();
        let waiting = tokio::spawn(async move {
            let _second = g.enter("survey-A_2025").await;
        });
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished());
        drop(first);
        waiting.await.unwrap();
        assert!(gates.is_empty());
    }
}

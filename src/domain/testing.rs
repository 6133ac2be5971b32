//! A small given/when/then harness for deciders (style.md example 22): fold the given events,
//! run the decision on the state, and compare the produced events or the error code.

use super::codec::DomainEvent;
use super::error::DomainError;

/// Events already in the stream.
pub struct Given<E: DomainEvent> {
    state: E::State,
}

/// Starts a scenario from the stream's prior events.
pub fn given<E: DomainEvent>(events: impl IntoIterator<Item = E>) -> Given<E> {
    let events: Vec<E> = events.into_iter().collect();
    Given {
        state: E::fold(&events),
    }
}

impl<E: DomainEvent> Given<E> {
    /// Runs a decision on the folded state.
    pub fn when(self, decide: impl FnOnce(&E::State) -> Result<Vec<E>, DomainError>) -> Then<E> {
        let result = decide(&self.state);
        Then {
            state: self.state,
            result,
        }
    }
}

/// The outcome of a decision.
pub struct Then<E: DomainEvent> {
    state: E::State,
    result: Result<Vec<E>, DomainError>,
}

impl<E: DomainEvent> Then<E> {
    /// Expects exactly these events, and checks they fold and round-trip through JSON.
    pub fn then(self, expected: impl IntoIterator<Item = E>) -> E::State {
        let expected: Vec<E> = expected.into_iter().collect();
        let events = self.then_ok();
        assert_eq!(events, expected);
        events
            .iter()
            .fold(Self::roundtrip_all(&events, self.state), E::evolve)
    }

    /// Expects success and returns the events for custom assertions.
    pub fn then_ok(&self) -> Vec<E> {
        match &self.result {
            Ok(events) => events.clone(),
            Err(e) => panic!("expected events, got {} ({e})", e.code()),
        }
    }

    /// Expects a rejection with this code.
    pub fn then_err(self, code: &str) {
        match self.result {
            Ok(events) => panic!("expected {code}, got events {events:?}"),
            Err(e) => assert_eq!(e.code(), code, "{e}"),
        }
    }

    fn roundtrip_all(events: &[E], state: E::State) -> E::State {
        for e in events {
            let back = E::from_data(e.event_type(), e.schema_version(), &e.to_data());
            assert_eq!(
                back.as_ref(),
                Ok(e),
                "JSON round trip of {}",
                e.event_type()
            );
            let stored =
                E::from_stored(e.event_type(), e.schema_version(), &e.to_data().to_string());
            assert_eq!(
                stored.as_ref(),
                Ok(e),
                "round trip of {} through its stored text",
                e.event_type()
            );
        }
        state
    }
}

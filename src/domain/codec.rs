//! The serialisation contract between the domain events and the event store, plus the fold that
//! rebuilds a stream's state. Every event enum implements [`DomainEvent`]: a stable PascalCase
//! `event_type`, a `schema_version`, `to_data` (the variant's fields as a JSON object, not wrapped)
//! and `from_data` (the inverse, upcasting older versions first).

use std::fmt::Debug;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::error::DomainError;

/// An event enum of one stream category. The enums are internally tagged on `"type"`; the tag is
/// removed by [`DomainEvent::to_data`] and put back by [`DomainEvent::from_data`], because the
/// store keeps it in its own `event_type` column.
pub trait DomainEvent: Serialize + DeserializeOwned + Clone + Debug + PartialEq {
    /// The folded state of the stream.
    type State: Default + Clone + Debug;

    /// The stream category (`{category}-{id}`), a lowercase word without `-`.
    const CATEGORY: &'static str;

    /// The stable PascalCase event type, e.g. `"ReportFiled"`.
    fn event_type(&self) -> &'static str;

    /// The schema version written with this event. Starts at 1.
    fn schema_version(&self) -> u32 {
        1
    }

    /// Applies one event to the state. Never panics.
    fn evolve(state: Self::State, event: &Self) -> Self::State;

    /// Rebuilds a state from the stream's events.
    fn fold<'a>(events: impl IntoIterator<Item = &'a Self>) -> Self::State
    where
        Self: 'a,
    {
        events
            .into_iter()
            .fold(Self::State::default(), Self::evolve)
    }

    /// Brings the data of an older schema version to the current one. The default accepts
    /// version 1 only.
    fn upcast(event_type: &str, schema_version: u32, data: Value) -> Result<Value, DomainError> {
        if schema_version == 1 {
            Ok(data)
        } else {
            Err(DomainError::UnsupportedSchemaVersion {
                event_type: event_type.to_owned(),
                version: schema_version,
            })
        }
    }

    /// The variant's fields as a JSON object (without the `type` tag).
    fn to_data(&self) -> Value {
        match serde_json::to_value(self) {
            Ok(Value::Object(mut map)) => {
                map.remove("type");
                Value::Object(map)
            }
            _ => Value::Object(serde_json::Map::new()),
        }
    }

    /// Decodes a stored event: upcasts, re-inserts the tag and deserialises.
    fn from_data(event_type: &str, schema_version: u32, data: &Value) -> Result<Self, DomainError> {
        let decode = |reason: String| DomainError::EventDecode {
            event_type: event_type.to_owned(),
            reason,
        };
        let data = Self::upcast(event_type, schema_version, data.clone())?;
        let Value::Object(mut map) = data else {
            return Err(decode("data bukan objek JSON".to_owned()));
        };
        map.insert("type".to_owned(), Value::String(event_type.to_owned()));
        let event: Self = serde_json::from_value(Value::Object(map)).map_err(|e| {
            let msg = e.to_string();
            if msg.starts_with("unknown variant") {
                DomainError::UnknownEventType {
                    event_type: event_type.to_owned(),
                }
            } else {
                decode(msg)
            }
        })?;
        if event.event_type() == event_type {
            Ok(event)
        } else {
            Err(DomainError::UnknownEventType {
                event_type: event_type.to_owned(),
            })
        }
    }

    /// Decodes a stored event from its data as stored (JSON text): the tag is put in front of
    /// the text and the event read from it at once, without a JSON tree of the data first. When
    /// that does not give an event of the same type and schema version (older data to upcast,
    /// malformed data), it decodes as [`DomainEvent::from_data`] does, with its errors.
    fn from_stored(event_type: &str, schema_version: u32, data: &str) -> Result<Self, DomainError> {
        if let Some(rest) = data.trim_start().strip_prefix('{') {
            let rest = rest.trim_start();
            let tag = serde_json::to_string(event_type).unwrap_or_default();
            let mut text = String::with_capacity(data.len() + tag.len() + 10);
            text.push_str("{\"type\":");
            text.push_str(&tag);
            if !rest.starts_with('}') {
                text.push(',');
            }
            text.push_str(rest);
            if let Ok(event) = serde_json::from_str::<Self>(&text)
                && event.event_type() == event_type
                && event.schema_version() == schema_version
            {
                return Ok(event);
            }
        }
        let value = serde_json::from_str::<Value>(data).unwrap_or(Value::Null);
        Self::from_data(event_type, schema_version, &value)
    }
}

/// `{category}-{id}`.
pub(crate) fn stream_name(category: &str, id: &str) -> String {
    format!("{category}-{id}")
}

-- Stored events whose ids appear in the batch (?1: JSON array of hex-encoded UUIDs).
select position, event_id, stream_id, revision, event_type, schema_version, data, metadata, recorded_at, hash
from events
where event_id in (select unhex(value) from json_each(?1))

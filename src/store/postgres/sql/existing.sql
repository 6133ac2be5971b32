-- Stored events whose ids appear in the batch.
select position, event_id, stream_id, revision, event_type, schema_version, data, metadata, recorded_at, hash
from events
where event_id = any($1)

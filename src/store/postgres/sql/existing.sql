-- Stored events whose ids appear in the batch (one index probe per id).
select e.position, e.event_id, e.stream_id, e.revision, e.event_type, e.schema_version, e.data,
       e.metadata, e.recorded_at, e.hash
from unnest($1::uuid[]) as w(event_id)
join events e on e.event_id = w.event_id

-- The events at the positions of an array ($1), in position order.
select position, event_id, stream_id, revision, event_type, schema_version, data, metadata, recorded_at, hash
from events
where position = any($1)
order by position

select position, event_id, stream_id, revision, event_type, schema_version, data, metadata, recorded_at, hash
from events
where category = $1 and position > $2
order by position
limit $3

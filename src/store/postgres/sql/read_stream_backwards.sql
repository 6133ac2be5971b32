select position, event_id, stream_id, revision, event_type, schema_version, data, metadata, recorded_at, hash
from events
where stream_id = $1 and revision <= $2
order by revision desc
limit $3

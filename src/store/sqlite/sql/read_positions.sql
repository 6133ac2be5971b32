-- The events at the positions of a JSON array (?1), in position order.
select position, event_id, stream_id, revision, event_type, schema_version, data, metadata, recorded_at, hash
from events
where position in (select value from json_each(?1))
order by position

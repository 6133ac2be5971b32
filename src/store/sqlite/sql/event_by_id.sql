-- The stored event with this id (?1: the 16-byte UUID), if any.
select position, event_id, stream_id, revision, event_type, schema_version, data, metadata, recorded_at, hash
from events
where event_id = ?1

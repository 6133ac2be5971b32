-- No LIMIT: the caller stops stepping after its limit (raw::Readers::read_events); a bound
-- LIMIT would make SQLite prepare the statement again each time it runs.
select position, event_id, stream_id, revision, event_type, schema_version, data, metadata, recorded_at, hash
from events
where event_type = ?1 and position > ?2
order by position

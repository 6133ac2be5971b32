-- The whole batch in one statement (?1: a JSON array of rows, one array per event:
-- [position, event_id hex, stream_id, revision, category, event_type, schema_version, data,
--  metadata, recorded_at, hash hex]).
insert into events
    (position, event_id, stream_id, revision, category, event_type, schema_version, data, metadata,
     recorded_at, hash)
select value ->> 0, unhex(value ->> 1), value ->> 2, value ->> 3, value ->> 4, value ->> 5,
       value ->> 6, value ->> 7, value ->> 8, value ->> 9, unhex(value ->> 10)
from json_each(?1)

-- Last revision of each stream named in the batch (?1: JSON array of stream ids).
select stream_id, max(revision) as revision
from events
where stream_id in (select value from json_each(?1))
group by stream_id

-- Last revision of each stream named in the batch.
select stream_id, max(revision) as revision
from events
where stream_id = any($1)
group by stream_id

-- Last revision of each stream named in the batch (one index probe per stream).
select s.stream_id,
       (select e.revision from events e
        where e.stream_id = s.stream_id
        order by e.revision desc
        limit 1) as revision
from unnest($1::text[]) as s(stream_id)

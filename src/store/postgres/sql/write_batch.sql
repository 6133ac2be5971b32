-- The whole batch in one statement: the events ($1..$11, one array per column), the newly
-- completed Merkle nodes ($12..$14), the new head ($15..$17) and the wake-up of live subscribers
-- in every instance ($18, delivered at COMMIT). An event id already stored is not inserted: the
-- writer compares `inserted` with the rows it sent and, when they differ, rolls back and plans
-- the batch again with the stored events in view (a retried append).
with new_events as (
    insert into events
        (position, event_id, stream_id, revision, category, event_type, schema_version, data,
         metadata, recorded_at, hash)
    select * from unnest(
        $1::bigint[], $2::uuid[], $3::text[], $4::bigint[], $5::text[], $6::text[], $7::bigint[],
        $8::text[], $9::text[], $10::bigint[], $11::bytea[])
    on conflict (event_id) do nothing
    returning 1
), new_nodes as (
    insert into merkle_nodes (level, idx, hash)
    select * from unnest($12::smallint[], $13::bigint[], $14::bytea[])
), new_head as (
    update log_head set position = $15, hash = $16, recorded_at = $17 where id = 1
)
select (select count(*) from new_events) as inserted, pg_notify('kinerja_events', $18)

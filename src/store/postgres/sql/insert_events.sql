-- The whole batch in one statement, one array per column.
insert into events
    (position, event_id, stream_id, revision, category, event_type, schema_version, data, metadata,
     recorded_at, hash)
select * from unnest(
    $1::bigint[], $2::uuid[], $3::text[], $4::bigint[], $5::text[], $6::text[], $7::bigint[],
    $8::text[], $9::text[], $10::bigint[], $11::bytea[])

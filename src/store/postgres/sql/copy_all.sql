copy (
    select position, event_id, stream_id, revision, event_type, schema_version, data, metadata, recorded_at, hash
    from events
    where position > :after
    order by position
    limit :limit
) to stdout (format binary)

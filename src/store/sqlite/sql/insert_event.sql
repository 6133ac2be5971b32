-- One event of a batch (the writer steps this once per event inside the batch's transaction).
insert into events
    (position, event_id, stream_id, revision, category, event_type, schema_version, data, metadata,
     recorded_at, hash)
values (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)

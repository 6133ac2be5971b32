-- The global event log (`$all`). One row per event; rows are never updated or deleted.
create table events (
    position       integer primary key,      -- 1-based position in $all, assigned by the one writer
    event_id       blob    not null unique,  -- 16-byte UUID: the idempotency key of the append
    stream_id      text    not null,         -- {category}-{id}
    revision       integer not null,         -- 0-based position within the stream
    category       text    not null,         -- text before the first '-' of stream_id ($ce- reads)
    event_type     text    not null,         -- stable name ($et- reads)
    schema_version integer not null,
    data           text    not null,         -- canonical JSON, byte for byte as hashed
    metadata       text    not null,         -- canonical JSON, byte for byte as hashed
    recorded_at    integer not null,         -- commit time, microseconds since the Unix epoch (UTC)
    hash           blob    not null,         -- SHA-256(previous hash || canonical envelope)
    unique (stream_id, revision)
);

create index events_by_category on events (category, position);
create index events_by_type on events (event_type, position);

-- The head of the log: exactly one row, moved by every committed batch in the same transaction.
create table log_head (
    id          integer primary key check (id = 1),
    position    integer not null,            -- position of the last event, 0 when empty
    hash        blob    not null,            -- hash of the last event, 32 zero bytes when empty
    recorded_at integer not null             -- commit time of the last event (µs), 0 when empty
);
insert into log_head (id, position, hash, recorded_at) values (1, 0, zeroblob(32), 0);

-- A ledger: refuse updates and deletes of events. (The hash chain catches anyone who drops these.)
create trigger events_are_immutable before update on events
begin
    select raise(abort, 'events are immutable');
end;
create trigger events_are_never_deleted before delete on events
begin
    select raise(abort, 'events are never deleted');
end;

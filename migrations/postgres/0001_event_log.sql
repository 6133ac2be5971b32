-- The global event log (`$all`). One row per event; rows are never updated or deleted.
create table events (
    position       bigint primary key,       -- 1-based position in $all, assigned by the one writer
    event_id       uuid   not null unique,   -- the idempotency key of the append
    stream_id      text   not null,          -- {category}-{id}
    revision       bigint not null,          -- 0-based position within the stream
    category       text   not null,          -- text before the first '-' of stream_id ($ce- reads)
    event_type     text   not null,          -- stable name ($et- reads)
    schema_version bigint not null,
    data           text   not null,          -- canonical JSON, byte for byte as hashed (not jsonb)
    metadata       text   not null,          -- canonical JSON, byte for byte as hashed
    recorded_at    bigint not null,          -- commit time, microseconds since the Unix epoch (UTC)
    hash           bytea  not null,          -- SHA-256(previous hash || canonical envelope)
    unique (stream_id, revision)
);

create index events_by_category on events (category, position);
create index events_by_type on events (event_type, position);

-- The head of the log: exactly one row. Every writer (one per service instance) locks it with
-- `select … for update` for its whole batch, so commit order is position order.
create table log_head (
    id          integer primary key check (id = 1),
    position    bigint not null,             -- position of the last event, 0 when empty
    hash        bytea  not null,             -- hash of the last event, 32 zero bytes when empty
    recorded_at bigint not null              -- commit time of the last event (µs), 0 when empty
);
insert into log_head (id, position, hash, recorded_at) values (1, 0, decode(repeat('00', 32), 'hex'), 0);

-- A ledger: refuse updates, deletes and truncation of events. (The hash chain catches anyone who
-- disables these.)
create function kinerja_events_are_immutable() returns trigger language plpgsql as $$
begin
    raise exception 'events are immutable: % refused', tg_op;
end;
$$;
create trigger events_are_immutable before update or delete on events
    for each row execute function kinerja_events_are_immutable();
create trigger events_are_never_truncated before truncate on events
    for each statement execute function kinerja_events_are_immutable();

-- The `audit` projection (disposable). One row per (event, officer it is about): an index into
-- the log; the entry is built from the event when the trail is read.
create table if not exists rm_audit (
    k text primary key,            -- {position, 20 digits}/{nip}
    nip text not null,
    position bigint not null,     -- position in $all
    event_type text not null,
    recorded_micros bigint not null  -- server time, microseconds since the epoch
);
create index if not exists rm_audit_nip on rm_audit (nip, position);
-- The officer each award stream belongs to (a revocation does not name them).
create table if not exists rm_audit_owner (
    k text primary key,            -- award-{uuid}
    doc text not null
);

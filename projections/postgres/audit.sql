-- The `audit` projection (disposable). One row per (event, officer it is about): an index into
-- the log; the entry is built from the event when the trail is read.
-- Keyed by officer, then position: an officer's trail is one range of the primary key (compared
-- byte by byte, "C", whatever the database's collation), so no second index.
create table if not exists rm_audit (
    k text collate "C" primary key, -- {nip}/{position, 20 digits}
    nip text not null,
    position bigint not null,     -- position in $all
    event_type text not null,
    recorded_micros bigint not null  -- server time, microseconds since the epoch
);
-- The officer each award stream belongs to (a revocation does not name them).
create table if not exists rm_audit_owner (
    k text primary key,            -- award-{uuid}
    doc text not null
);

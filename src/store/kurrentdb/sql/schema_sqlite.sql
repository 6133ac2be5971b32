-- The KurrentDB backend's own tables in the ledger database, beside the event-store schema
-- (events = the sealed log, merkle_nodes, tree_heads, log_head) that the SQLite migrations create.

-- Where each sealed event sits in the cluster's $all. Written by the sealer after the event is
-- sealed; a missing row (a crash in between) is filled in when the sealer seals the event again.
create table if not exists kurrentdb_sealed (
    position         integer primary key,    -- our dense 1-based position (events.position)
    event_id         blob    not null unique,
    commit_position  integer not null,       -- the server's commit position
    prepare_position integer not null,       -- the server's prepare position
    created_at       integer not null        -- the server's created time, µs since the epoch
);

-- Claimed once, when the ledger database is first used for a cluster's sealed log.
create table if not exists kurrentdb_ledger (
    id         integer primary key check (id = 1),
    claimed_at integer not null              -- µs since the epoch
);

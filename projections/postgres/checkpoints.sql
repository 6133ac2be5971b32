-- One row per projection: the version its tables were built with and the last position of
-- `$all` folded into them. Written in the same transaction as the read-model rows.
create table if not exists projection_checkpoints (
    name text primary key,
    version integer not null,
    position bigint not null,        -- last folded position of $all (0: nothing yet)
    updated_at timestamptz not null  -- server time of the last move
);

-- Which log the read models were folded from: the hash (hex) of its first event. Read models
-- that meet another log (a deleted and recreated event file, another database) are rebuilt.
create table if not exists projection_origin (
    k integer primary key check (k = 1),
    first_hash text not null
);

-- Complete subtrees of the RFC 6962 Merkle tree over $all, from level 4 up (16 leaves or more);
-- lower nodes are recomputed from events.hash. Written by the writer in each batch's transaction.
create table merkle_nodes (
    level smallint not null,                 -- the node covers 2^level leaves
    idx   bigint   not null,                 -- ... namely leaves [idx * 2^level, (idx+1) * 2^level)
    hash  bytea    not null,                 -- SHA-256 node hash (RFC 6962)
    primary key (level, idx)
);

-- Signed tree heads, published at intervals and on request; never changed.
create table tree_heads (
    tree_size    bigint primary key,         -- the head covers positions 1..=tree_size
    root_hash    bytea  not null,
    timestamp_ms bigint not null,            -- signing time, milliseconds since the Unix epoch (UTC)
    key_id       text   not null,            -- hex of the first 8 bytes of SHA-256(public key)
    signature    bytea  not null             -- ed25519 over the encoding in src/proofs/head.rs
);

create trigger merkle_nodes_are_immutable before update or delete on merkle_nodes
    for each row execute function kinerja_events_are_immutable();
create trigger merkle_nodes_are_never_truncated before truncate on merkle_nodes
    for each statement execute function kinerja_events_are_immutable();
create trigger tree_heads_are_immutable before update or delete on tree_heads
    for each row execute function kinerja_events_are_immutable();
create trigger tree_heads_are_never_truncated before truncate on tree_heads
    for each statement execute function kinerja_events_are_immutable();

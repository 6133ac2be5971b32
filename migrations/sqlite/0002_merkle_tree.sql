-- Complete subtrees of the RFC 6962 Merkle tree over $all, from level 4 up (16 leaves or more);
-- lower nodes are recomputed from events.hash. Written by the writer in each batch's transaction.
create table merkle_nodes (
    level integer not null,                  -- the node covers 2^level leaves
    idx   integer not null,                  -- ... namely leaves [idx * 2^level, (idx+1) * 2^level)
    hash  blob    not null,                  -- SHA-256 node hash (RFC 6962)
    primary key (level, idx)
) without rowid;

-- Signed tree heads, published at intervals and on request; never changed.
create table tree_heads (
    tree_size    integer primary key,        -- the head covers positions 1..=tree_size
    root_hash    blob    not null,
    timestamp_ms integer not null,           -- signing time, milliseconds since the Unix epoch (UTC)
    key_id       text    not null,           -- hex of the first 8 bytes of SHA-256(public key)
    signature    blob    not null            -- ed25519 over the encoding in src/proofs/head.rs
);

create trigger merkle_nodes_are_immutable before update on merkle_nodes
begin
    select raise(abort, 'merkle nodes are immutable');
end;
create trigger merkle_nodes_are_never_deleted before delete on merkle_nodes
begin
    select raise(abort, 'merkle nodes are never deleted');
end;
create trigger tree_heads_are_immutable before update on tree_heads
begin
    select raise(abort, 'tree heads are immutable');
end;
create trigger tree_heads_are_never_deleted before delete on tree_heads
begin
    select raise(abort, 'tree heads are never deleted');
end;

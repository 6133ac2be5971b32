-- The first head signed at a size is kept; a later one at the same size is ignored.
insert into tree_heads (tree_size, root_hash, timestamp_ms, key_id, signature)
values ($1, $2, $3, $4, $5)
on conflict (tree_size) do nothing

select tree_size, root_hash, timestamp_ms, key_id, signature
from tree_heads
where tree_size >= ?1
order by tree_size
limit ?2

select tree_size, root_hash, timestamp_ms, key_id, signature
from tree_heads
order by tree_size desc
limit 1

-- Stored Merkle nodes (?1: JSON array of [level, idx]).
select level, idx, hash
from merkle_nodes
where (level, idx) in (select value ->> 0, value ->> 1 from json_each(?1))

-- Newly completed Merkle nodes (?1: JSON array of [level, idx, hash hex]).
insert into merkle_nodes (level, idx, hash)
select value ->> 0, value ->> 1, unhex(value ->> 2)
from json_each(?1)

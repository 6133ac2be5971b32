-- Stored Merkle nodes at the given (level, idx) pairs.
select n.level, n.idx, n.hash
from merkle_nodes n
join unnest($1::smallint[], $2::bigint[]) as want(level, idx) on (n.level, n.idx) = (want.level, want.idx)

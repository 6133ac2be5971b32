-- Newly completed Merkle nodes, one array per column.
insert into merkle_nodes (level, idx, hash)
select * from unnest($1::smallint[], $2::bigint[], $3::bytea[])

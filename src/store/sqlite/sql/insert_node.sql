-- One newly completed Merkle node (level, index, hash).
insert into merkle_nodes (level, idx, hash) values (?1, ?2, ?3)

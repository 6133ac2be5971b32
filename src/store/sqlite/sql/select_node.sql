-- One stored Merkle node.
select hash from merkle_nodes where level = ?1 and idx = ?2

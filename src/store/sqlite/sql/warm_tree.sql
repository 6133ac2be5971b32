-- Every stored Merkle node's page, read once (the length forces each row's hash to be read).
select count(*) from merkle_nodes where length(hash) > 0

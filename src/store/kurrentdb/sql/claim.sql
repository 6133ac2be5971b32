insert into kurrentdb_ledger (id, claimed_at) values (1, $1) on conflict do nothing

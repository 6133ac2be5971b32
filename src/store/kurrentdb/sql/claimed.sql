select count(*) from kurrentdb_ledger

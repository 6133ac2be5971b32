-- Before a big read-model commit: no checkpoint on this connection when it commits.
pragma wal_autocheckpoint = 0

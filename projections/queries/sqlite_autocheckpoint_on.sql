-- After a big read-model commit: SQLite's default, a checkpoint when the WAL passes 1,000 pages.
pragma wal_autocheckpoint = 1000

-- Copy what the WAL holds into the read models' database without waiting for readers or writers.
pragma wal_checkpoint(PASSIVE)

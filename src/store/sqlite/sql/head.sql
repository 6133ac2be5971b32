-- The committed head of the log.
select position, hash, recorded_at from log_head where id = 1

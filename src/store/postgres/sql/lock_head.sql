-- Take the log head's row lock for the whole batch: writers of every instance serialise here.
select position, hash, recorded_at from log_head where id = 1 for update

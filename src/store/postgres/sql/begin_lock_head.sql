-- Open the batch's transaction and take the log head's row lock in one round trip (a simple
-- query of two statements): writers of every instance serialise here.
begin;
select position, hash, recorded_at from log_head where id = 1 for update

-- Take the write lock now, not at the first write: the head read next must not go stale.
begin immediate

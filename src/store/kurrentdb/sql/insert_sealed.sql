insert into kurrentdb_sealed (position, event_id, commit_position, prepare_position, created_at)
values ($1, $2, $3, $4, $5)
on conflict do nothing

insert into projection_checkpoints (name, version, position, updated_at)
values ($1, $2, 0, $3)
on conflict (name) do update set version = excluded.version, position = 0,
    updated_at = excluded.updated_at

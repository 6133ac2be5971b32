insert into projection_origin (k, first_hash) values (1, $1)
on conflict (k) do update set first_hash = excluded.first_hash

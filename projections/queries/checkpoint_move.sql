update projection_checkpoints set position = $1, updated_at = $2
where name = $3 and version = $4 and position = $5

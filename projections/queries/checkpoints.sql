select name, cast(version as bigint), position from projection_checkpoints

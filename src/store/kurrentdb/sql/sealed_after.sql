select position, event_id from kurrentdb_sealed where position > $1 order by position limit $2

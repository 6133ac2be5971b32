select count(*) from events where event_id = $1

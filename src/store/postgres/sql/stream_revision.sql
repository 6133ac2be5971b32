select max(revision) from events where stream_id = $1

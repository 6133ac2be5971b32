update log_head set position = ?1, hash = ?2, recorded_at = ?3 where id = 1

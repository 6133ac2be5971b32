select event_type, position from rm_audit
where k > $1
  and k < $2
  and ($3 is null or event_type = $3)
  and ($4 is null or recorded_micros >= $4)
  and ($5 is null or recorded_micros < $5)
order by k desc
limit $6

select event_type, position from rm_audit
where nip = $1
  and ($2 is null or event_type = $2)
  and ($3 is null or recorded_micros >= $3)
  and ($4 is null or recorded_micros < $4)
  and ($5 is null or position < $5)
order by position desc
limit $6

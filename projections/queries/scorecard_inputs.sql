select part, doc from (
  select 'a' as part, k, doc from rm_officer where k = $1
  union all select 'b' as part, k, doc from rm_plan where nip = $1 and year = $2
  union all select 'c' as part, k, doc from rm_award where nip = $1 and year = $2
  union all select 'd' as part, k, doc from rm_completion where nip = $1 and year = $2
) as s order by part, k

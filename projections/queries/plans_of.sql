select doc from rm_plan where nip = $1 and year = $2 order by k

select doc from rm_completion where nip = $1 and year = $2 order by k

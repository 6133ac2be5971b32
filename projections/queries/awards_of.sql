select doc from rm_award where nip = $1 and year = $2 order by k

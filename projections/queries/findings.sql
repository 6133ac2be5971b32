select doc from rm_finding where kind = $1 order by position, k

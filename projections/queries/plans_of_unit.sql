select doc from rm_plan where unit = $1 and year = $2 order by k

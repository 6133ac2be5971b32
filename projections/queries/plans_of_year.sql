select doc from rm_plan where year = $1 order by k

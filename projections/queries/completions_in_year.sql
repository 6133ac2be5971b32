select doc from rm_completion where year = $1 order by k

select k, doc from rm_officer where unit = $1 order by k

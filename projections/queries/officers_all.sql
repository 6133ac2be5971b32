select doc from rm_officer order by k

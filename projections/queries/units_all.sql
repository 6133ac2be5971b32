select doc from rm_unit order by k

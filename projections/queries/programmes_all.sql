select doc from rm_programme order by k

select doc from rm_survey where year = $1 order by k

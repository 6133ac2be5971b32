select doc from rm_survey where year = (select max(year) from rm_survey) order by k

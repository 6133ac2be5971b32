select doc from rm_survey where k = $1

select doc from rm_programme where k = $1

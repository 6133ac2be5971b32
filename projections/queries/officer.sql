select doc from rm_officer where k = $1

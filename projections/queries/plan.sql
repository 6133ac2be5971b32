select doc from rm_plan where k = $1

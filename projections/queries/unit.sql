select doc from rm_unit where k = $1

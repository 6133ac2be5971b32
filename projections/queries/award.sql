select doc from rm_award where k = $1

select first_hash from projection_origin where k = 1

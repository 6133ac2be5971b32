-- The officers whose NIPs are in the JSON array $1.
select k, doc from rm_officer where k in (select value from json_each($1)) order by k

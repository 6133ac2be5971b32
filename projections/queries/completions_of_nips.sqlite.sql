-- (nip, doc) of the training completions in year $2 of the officers whose NIPs are in the JSON
-- array $1.
select nip, doc from rm_completion
where nip in (select value from json_each($1)) and year = $2
order by k

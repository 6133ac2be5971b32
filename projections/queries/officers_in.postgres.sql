-- The officers whose NIPs are in the JSON array $1.
select k, doc from rm_officer where k in (select jsonb_array_elements_text($1::jsonb)) order by k

-- (nip, doc) of the SKPs of year $2 of the officers whose NIPs are in the JSON array $1.
select nip, doc from rm_plan
where nip in (select jsonb_array_elements_text($1::jsonb)) and year = $2
order by k

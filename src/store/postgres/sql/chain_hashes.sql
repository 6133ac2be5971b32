-- Chain hashes of the events at positions $1..=$2.
select position, hash from events where position between $1 and $2 order by position

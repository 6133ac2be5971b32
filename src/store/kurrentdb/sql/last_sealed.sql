select position, commit_position, prepare_position
from kurrentdb_sealed
order by position desc
limit 1

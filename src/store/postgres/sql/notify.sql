-- Wake live subscribers in every instance; delivered when the transaction commits.
select pg_notify('kinerja_events', $1)

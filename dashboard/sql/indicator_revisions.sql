-- One indicator's figures revised in this release against the one before.
select * from meta.revisions where indicator_id = $indicator_id

-- The files added, replaced or removed since the release before.
select * from meta.file_changes order by source, path

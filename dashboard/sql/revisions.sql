-- Every funding and returns figure revised since the release before, with both values and why.
select * from meta.revisions

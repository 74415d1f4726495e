-- What's new in this release against the one before (etl/revisions.py): one row; none for a release built before
-- releases were compared.
select * from meta.release_comparison

-- When the published warehouse was built, from how many files, and what was loaded, quarantined and rejected.
select
    builds.load_id,
    builds.built_at,
    builds.as_of,
    count(files.path) as files,
    count(files.rejected) as files_rejected,
    coalesce(sum(files.rows_read), 0) as rows_read,
    coalesce(sum(files.rows_loaded), 0) as rows_loaded,
    coalesce(sum(files.rows_quarantined), 0) as rows_quarantined
from meta.builds as builds
left join meta.load_files as files on true
group by all

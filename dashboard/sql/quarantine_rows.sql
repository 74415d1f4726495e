-- The quarantined rows of one dataset (file, line, what was wrong), up to $limit.
select source_file, source_row, problem from quarantine.rows where dataset = $dataset
order by source_file, source_row limit $limit

-- Quarantined rows by dataset and rule, most common first.
select dataset, rule, count(*) as rows, min(source_file) as example_file, min(source_row) as example_row
from quarantine.rows group by dataset, rule order by rows desc, dataset, rule

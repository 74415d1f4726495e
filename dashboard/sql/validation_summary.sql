-- Great Expectations results per dataset: expectations checked, how many failed, rows that broke a rule.
select dataset, count(distinct expectation || coalesce(column_name, '')) as expectations,
       count(distinct expectation || coalesce(column_name, '')) filter (where not success) as failed,
       sum(unexpected_count) as rows_breaking_a_rule, bool_and(element_count is null) as counts_withheld
from meta.validation_results group by dataset order by dataset

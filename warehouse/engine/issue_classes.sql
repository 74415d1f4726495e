-- Disclosure control's base table, as records for cells.sql: one per issue, its class being the combination of
-- flags the issue indicators count it by (raised, resolved, resolved late, lacking a field, ...). Counted per cell
-- and class, every issue-derived figure of a cell is a sum of classes, so a cell with no class of 1 to 4 issues
-- publishes no count from 1 to 4, however its figures are added or subtracted. From `issue_flags` (one row per
-- issue indicator and issue record).
select
    issue_ref,
    any_value(financial_year) as financial_year,
    any_value(quarter) as quarter,
    any_value(body_code) as body_code,
    any_value(body_type) as body_type,
    any_value(nation_code) as nation_code,
    any_value(region_code) as region_code,
    any_value(district_code) as district_code,
    any_value(size_band) as size_band,
    any_value(smaller_organisation) as smaller_organisation,
    any_value(principle) as principle,
    any_value(category) as category,
    string_agg(indicator_id || '=' || flags, ',' order by indicator_id, flags) as issue_class,
    1 as numerator
from issue_flags
group by issue_ref

-- Disclosure control's base table: for every period and breakdown cell, how many issues share each combination of
-- the flags the issue indicators count them by (raised, resolved, resolved late, lacking a field, ...). Every
-- issue-derived figure of a cell is a sum of these classes, so a cell with no class of 1 to 4 issues publishes no
-- count from 1 to 4, however its figures are added or subtracted. From `issue_flags` (one row per issue indicator
-- and issue record).
with issues as (
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
        string_agg(indicator_id || '=' || flags, ',' order by indicator_id, flags) as signature
    from issue_flags
    group by issue_ref
),
periods as (
    select *, 'year' as period_level, null::integer as period_quarter from issues where financial_year is not null
    union all
    select *, 'quarter' as period_level, quarter as period_quarter from issues where quarter is not null and financial_year is not null
)
select
    period_level,
    financial_year,
    period_quarter as quarter,
    case
        when grouping(body_code) = 0 then 'public_body'
        when grouping(body_type) = 0 then 'body_type'
        when grouping(nation_code) = 0 then 'nation'
        when grouping(region_code) = 0 then 'region'
        when grouping(district_code) = 0 then 'district'
        when grouping(size_band) = 0 then 'size_band'
        when grouping(smaller_organisation) = 0 then 'smaller_organisation'
        when grouping(principle) = 0 then 'principle'
        when grouping(category) = 0 then 'category'
        else 'all'
    end as breakdown,
    coalesce(body_code, body_type, nation_code, region_code, district_code, size_band,
             cast(smaller_organisation as varchar), principle, category) as breakdown_code,
    signature,
    count(*) as issues
from periods
group by grouping sets (
    (period_level, financial_year, period_quarter, signature),
    (period_level, financial_year, period_quarter, body_code, signature),
    (period_level, financial_year, period_quarter, body_type, signature),
    (period_level, financial_year, period_quarter, nation_code, signature),
    (period_level, financial_year, period_quarter, region_code, signature),
    (period_level, financial_year, period_quarter, district_code, signature),
    (period_level, financial_year, period_quarter, size_band, signature),
    (period_level, financial_year, period_quarter, smaller_organisation, signature),
    (period_level, financial_year, period_quarter, principle, signature),
    (period_level, financial_year, period_quarter, category, signature)
)

-- One indicator's value in every period (financial year and quarter) and every breakdown cell, from the records in
-- `indicator_records`. Parameters: $calculation (see warehouse/indicators/__init__.py CALCULATIONS) and
-- $breakdowns (the breakdowns the indicator supports). A record with a null breakdown column falls in that
-- breakdown's "not known" cell (breakdown_code null), so every breakdown's cells add up to its "all" cell.
-- Records with an issue_class (disclosure control's base table) are counted per class.
with periods as (
    select *, 'year' as period_level, null::integer as period_quarter
    from indicator_records where coalesce(for_year, true) and financial_year is not null
    union all
    select *, 'quarter' as period_level, quarter as period_quarter
    from indicator_records where quarter is not null and financial_year is not null
),
cells as (
    select
        period_level,
        financial_year,
        period_quarter as quarter,
        issue_class,
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
        count(*) filter (where lacking) as lacking,
        sum(numerator) as numerator_sum,
        sum(denominator) as denominator_sum,
        count(distinct subject) filter (where numerator > 0) as numerator_subjects,
        count(distinct subject) filter (where denominator > 0) as denominator_subjects,
        count(measure) as measured,
        median(measure) as median_measure
    from periods
    group by grouping sets (
        (period_level, financial_year, period_quarter, issue_class),
        (period_level, financial_year, period_quarter, body_code, issue_class),
        (period_level, financial_year, period_quarter, body_type, issue_class),
        (period_level, financial_year, period_quarter, nation_code, issue_class),
        (period_level, financial_year, period_quarter, region_code, issue_class),
        (period_level, financial_year, period_quarter, district_code, issue_class),
        (period_level, financial_year, period_quarter, size_band, issue_class),
        (period_level, financial_year, period_quarter, smaller_organisation, issue_class),
        (period_level, financial_year, period_quarter, principle, issue_class),
        (period_level, financial_year, period_quarter, category, issue_class)
    )
),
counted as (
    select
        *,
        case
            when $calculation in ('distinct_count', 'distinct_share') then numerator_subjects
            when $calculation = 'median' then null
            else numerator_sum
        end as numerator,
        case
            when $calculation in ('distinct_share', 'per_100') then denominator_subjects
            when $calculation = 'median' then measured
            when $calculation = 'distinct_count' then null
            else denominator_sum
        end as denominator
    from cells
    where breakdown in (select unnest(cast($breakdowns as varchar[])))
)
select
    period_level, financial_year, quarter, breakdown, breakdown_code, issue_class,
    numerator, denominator, lacking,
    case
        when $calculation in ('share', 'distinct_share', 'per_100') then 100 * numerator / nullif(denominator, 0)
        when $calculation = 'per_head' then numerator / nullif(denominator, 0)
        when $calculation in ('count', 'distinct_count') then numerator
        when $calculation = 'median' then median_measure
    end as value
from counted

-- One indicator's value in every period (financial year and quarter) and every breakdown cell, from the records in
-- `indicator_records`. Parameters: $calculation (see warehouse/indicators/__init__.py CALCULATIONS) and
-- $breakdowns (the breakdowns the indicator supports). A record with a null breakdown column falls in that
-- breakdown's "not known" cell (breakdown_code null), so every breakdown's cells add up to its "all" cell.
-- Records with an issue_class (disclosure control's base table) are counted per class.
--
-- Different subjects are counted in two plain aggregations, first per cell and subject, then per cell: a distinct
-- aggregate over grouping sets is many times slower. A calculation that counts no subjects has its subjects set to
-- null first (and one that takes no median, its measures), so its first aggregation is as small as its cells.
with records as (
    select * replace (
        case when $calculation in ('distinct_count', 'distinct_share', 'per_100') then subject end as subject,
        case when $calculation = 'median' then measure end as measure
    )
    from indicator_records
),
periods as (
    select *, 'year' as period_level, null::integer as period_quarter
    from records where coalesce(for_year, true) and financial_year is not null
    union all
    select *, 'quarter' as period_level, quarter as period_quarter
    from records where quarter is not null and financial_year is not null
),
subject_cells as (
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
        subject,
        count(*) filter (where lacking) as lacking,
        sum(numerator) as numerator_sum,
        sum(denominator) as denominator_sum,
        bool_or(numerator > 0) as in_numerator,
        bool_or(denominator > 0) as in_denominator,
        list(measure) filter (where measure is not null) as measures
    from periods
    group by grouping sets (
        (period_level, financial_year, period_quarter, issue_class, subject),
        (period_level, financial_year, period_quarter, body_code, issue_class, subject),
        (period_level, financial_year, period_quarter, body_type, issue_class, subject),
        (period_level, financial_year, period_quarter, nation_code, issue_class, subject),
        (period_level, financial_year, period_quarter, region_code, issue_class, subject),
        (period_level, financial_year, period_quarter, district_code, issue_class, subject),
        (period_level, financial_year, period_quarter, size_band, issue_class, subject),
        (period_level, financial_year, period_quarter, smaller_organisation, issue_class, subject),
        (period_level, financial_year, period_quarter, principle, issue_class, subject),
        (period_level, financial_year, period_quarter, category, issue_class, subject)
    )
),
cells as (
    select
        period_level, financial_year, quarter, issue_class, breakdown, breakdown_code,
        sum(lacking) as lacking,
        sum(numerator_sum) as numerator_sum,
        sum(denominator_sum) as denominator_sum,
        count(subject) filter (where in_numerator) as numerator_subjects,
        count(subject) filter (where in_denominator) as denominator_subjects,
        flatten(list(measures) filter (where measures is not null)) as measures
    from subject_cells
    where breakdown in (select unnest(cast($breakdowns as varchar[])))
    group by period_level, financial_year, quarter, issue_class, breakdown, breakdown_code
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
            when $calculation = 'median' then coalesce(len(measures), 0)
            when $calculation = 'distinct_count' then null
            else denominator_sum
        end as denominator
    from cells
)
select
    period_level, financial_year, quarter, breakdown, breakdown_code, issue_class,
    numerator, denominator, lacking,
    case
        when $calculation in ('share', 'distinct_share', 'per_100') then 100 * numerator / nullif(denominator, 0)
        when $calculation = 'per_head' then numerator / nullif(denominator, 0)
        when $calculation in ('count', 'distinct_count') then numerator
        when $calculation = 'median' then list_median(measures)
    end as value
from counted

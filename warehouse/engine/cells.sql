-- One indicator's value in every period (financial year and quarter) in the cells of one breakdown, from the records
-- in `indicator_records`. Parameters: $calculation (see warehouse/indicators/__init__.py CALCULATIONS) and
-- $breakdown (one of BREAKDOWNS; the build runs this once for each breakdown the indicator supports). A record with
-- a null breakdown column falls in that breakdown's "not known" cell (breakdown_code null), so every breakdown's
-- cells add up to its "all" cell.
--
-- Different subjects are counted in two plain aggregations, first per cell and subject, then per cell: a distinct
-- aggregate is many times slower, and one breakdown at a time is faster than grouping sets of them all. A calculation
-- that counts no subjects has its subjects set to null first, so its first aggregation is as small as its cells; only
-- a median keeps a list of measures, per cell (a list per cell and subject ran DuckDB out of memory at ten million
-- awards). `records` is read twice (for years and for quarters) and must not be materialised: at ten million
-- awards a copy of every record filled DuckDB's memory.
with records as not materialized (
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
breakdown_records as (
    select
        period_level,
        financial_year,
        period_quarter as quarter,
        case $breakdown
            when 'public_body' then body_code
            when 'body_type' then body_type
            when 'nation' then nation_code
            when 'region' then region_code
            when 'district' then district_code
            when 'size_band' then size_band
            when 'smaller_organisation' then cast(smaller_organisation as varchar)
            when 'principle' then principle
            when 'category' then category
        end as breakdown_code,
        subject, lacking, numerator, denominator, measure
    from periods
),
-- a median keeps every measure of a cell, and counts no subjects
median_cells as (
    select
        period_level, financial_year, quarter, breakdown_code,
        count(*) filter (where lacking) as lacking,
        sum(numerator) as numerator_sum,
        sum(denominator) as denominator_sum,
        null::bigint as numerator_subjects,
        null::bigint as denominator_subjects,
        list(measure) filter (where measure is not null) as measures
    from breakdown_records
    where $calculation = 'median'
    group by all
),
-- every other calculation: first per cell and subject (null for a calculation that counts none), then per cell;
-- the branch a calculation does not take is never run
subject_cells as (
    select
        period_level, financial_year, quarter, breakdown_code, subject,
        count(*) filter (where lacking) as lacking,
        sum(numerator) as numerator_sum,
        sum(denominator) as denominator_sum,
        bool_or(numerator > 0) as in_numerator,
        bool_or(denominator > 0) as in_denominator
    from breakdown_records
    where $calculation <> 'median'
    group by all
),
cells as (
    select
        period_level, financial_year, quarter, breakdown_code,
        sum(lacking) as lacking,
        sum(numerator_sum) as numerator_sum,
        sum(denominator_sum) as denominator_sum,
        count(subject) filter (where in_numerator) as numerator_subjects,
        count(subject) filter (where in_denominator) as denominator_subjects,
        null::double[] as measures
    from subject_cells
    group by all
    union all by name
    select * from median_cells
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
    period_level, financial_year, quarter, $breakdown as breakdown, breakdown_code,
    numerator, denominator, lacking,
    case
        when $calculation in ('share', 'distinct_share', 'per_100') then 100 * numerator / nullif(denominator, 0)
        when $calculation = 'per_head' then numerator / nullif(denominator, 0)
        when $calculation in ('count', 'distinct_count') then numerator
        when $calculation = 'median' then list_median(measures)
    end as value
from counted

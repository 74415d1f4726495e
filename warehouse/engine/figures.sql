-- Indicators' figures for any combination of filters and any windows of quarters, from `{facts_table}`
-- (warehouse/engine/facts.sql): the query-time engine. The dashboard runs it for every view; the build runs it for
-- every breakdown cell of every financial year and quarter (marts.indicator_values), so both give the same figures.
--
-- Parameters, all bound:
--   $indicators  the indicators wanted (an empty list: every one)
--   $windows     the periods wanted, each {window_name, period_level, financial_year, quarter, first_index, last_index}:
--                the quarters first_index to last_index (financial year start × 4 + quarter − 1)
--   $breakdown   the breakdown the figures are split by ('all': one figure per window)
--   $filtered    the breakdowns filtered on: an indicator that does not support one of them (or $breakdown) has no figures
--   one list per breakdown (its key): the codes chosen in that breakdown (an empty list: no filter)
--
-- In a window, flows (awards, consultations, meetings) add up over its quarters; a stock (a body's action plan,
-- a district's population) counts in its latest quarter in the window only. A record with a null breakdown column
-- falls in that breakdown's "not known" cell, and is left out by any filter on that breakdown. Medians' measures are
-- gathered only when a median is among the indicators the SQL is made for ({subject_measures}, {cell_measures}: else
-- no list, whose state for every group would not spill to disk).
with windows as (
    select unnest($windows, recursive := true)
),
indicators as (
    select indicator_id, calculation from marts.indicators
    where (len($indicators) = 0 or list_contains($indicators, indicator_id))
      and list_has_all(breakdowns, list_filter($filtered || [$breakdown], lambda b: b <> 'all'))
),
-- the facts chosen, added up by quarter and cell first (a cell's facts differ in breakdowns other than the one asked
-- for): a tenth as many rows, or fewer, to place in windows
chosen as (
    select
        indicator_id, period_index, {breakdown_case} as breakdown_code, subject, stock_of,
        sum(lacking) as lacking,
        sum(records) as records,
        sum(numerator) as numerator,
        sum(denominator) as denominator,
        bool_or(numerator > 0) as in_numerator,
        bool_or(denominator > 0) as in_denominator,
        {subject_measures} as measures
    from {facts_table} as facts
    where indicator_id in (select indicator_id from indicators)
      and period_index between (select min(first_index) from windows) and (select max(last_index) from windows)
      {filter_clauses}
    group by all
),
flows as (
    select windows.window_name, chosen.*
    from chosen join windows on chosen.period_index between windows.first_index and windows.last_index
    where chosen.stock_of is null
),
stocks as (
    select windows.window_name, chosen.*
    from chosen join windows on chosen.period_index between windows.first_index and windows.last_index
    where chosen.stock_of is not null
    qualify chosen.period_index = max(chosen.period_index) over (partition by chosen.indicator_id, windows.window_name, chosen.stock_of)
),
placed as (
    select * from flows union all by name select * from stocks
),
-- first per cell and subject (null for a calculation that counts none), then per cell
subject_cells as (
    select
        indicator_id, window_name, breakdown_code, subject,
        sum(lacking) as lacking,
        sum(records) as records,
        sum(numerator) as numerator_sum,
        sum(denominator) as denominator_sum,
        bool_or(in_numerator) as in_numerator,
        bool_or(in_denominator) as in_denominator,
        {subject_measures} as measures
    from placed
    group by all
),
cells as (
    select
        indicator_id, window_name, breakdown_code,
        sum(lacking) as lacking,
        sum(records) as records,
        sum(numerator_sum) as numerator_sum,
        sum(denominator_sum) as denominator_sum,
        count(subject) filter (where in_numerator) as numerator_subjects,
        count(subject) filter (where in_denominator) as denominator_subjects,
        count(subject) filter (where in_denominator and not in_numerator) as absent_subjects,
        count(subject) filter (where lacking > 0 and not in_denominator)
            + coalesce(sum(lacking) filter (where subject is null), 0) as lacking_subjects,
        {cell_measures} as measures
    from subject_cells
    group by all
),
counted as (
    select
        cells.* exclude (lacking),
        indicators.calculation,
        case
            when calculation in ('distinct_count', 'distinct_share') then numerator_subjects
            when calculation = 'distinct_absent' then absent_subjects
            when calculation = 'median' then null
            else numerator_sum
        end as numerator,
        case
            when calculation in ('distinct_share', 'distinct_absent', 'per_100') then denominator_subjects
            when calculation = 'median' then len(measures)
            when calculation = 'distinct_count' then null
            else denominator_sum
        end as denominator,
        -- what lacks a field is counted as the numerator is: different subjects never in the denominator (and records
        -- with no subject to count, such as an award with no place among districts without awards), or records
        case when calculation like 'distinct_%' then lacking_subjects else lacking end as lacking
    from cells join indicators using (indicator_id)
)
select
    counted.indicator_id,
    windows.window_name,
    windows.period_level,
    windows.financial_year,
    windows.quarter,
    $breakdown as breakdown,
    counted.breakdown_code,
    counted.numerator::double as numerator,
    counted.denominator::double as denominator,
    counted.lacking,
    counted.records,
    case
        when calculation in ('share', 'distinct_share', 'per_100') then 100 * counted.numerator / nullif(counted.denominator, 0)
        when calculation = 'per_head' then counted.numerator / nullif(counted.denominator, 0)
        when calculation in ('count', 'distinct_count', 'distinct_absent') then counted.numerator
        when calculation = 'median' then list_median(counted.measures)
    end::double as value
from counted join windows using (window_name)

-- marts.indicator_values: every indicator's value per period and breakdown cell (from `indicator_cells`, a frame the build registers for this statement, after
-- disclosure control), with its name in words, the change since the previous period and since the baseline
-- year ($baseline: periods.BASELINE_FINANCIAL_YEAR), and its RAG status against the indicator's thresholds. A suppressed cell has no figures (shown [c]).
-- A figure on a low base (fewer than $small_base things in its base: warehouse/indicators/__init__.py) has no RAG
-- status, and a change to or from one is marked (change_low_base).
create or replace table marts.indicator_values as
with cells as (
    select
        indicator_cells.*,
        cast(left(financial_year, 4) as integer) * 4 + coalesce(quarter, 1) - 1 as period_index,
        coalesce(case indicators.base
            when 'denominator' then indicator_cells.denominator < $small_base
            when 'records' then indicator_cells.records - coalesce(indicator_cells.lacking, 0) < $small_base
        end, false) as low_base
    from {indicator_cells} as indicator_cells
    join marts.indicators as indicators using (indicator_id)
),
names as (
    select breakdown, code, name from marts.breakdown_names
),
as_of as (
    select max(as_of) as as_of from meta.builds
)
select
    cells.indicator_id,
    indicators.principle,
    cells.period_level,
    cells.financial_year,
    cells.quarter,
    cells.financial_year || coalesce(' Q' || cells.quarter, '') as period,
    -- a quarter's (or a year's) last day has passed
    make_date(cast(left(cells.financial_year, 4) as integer), 4, 1)
        + to_months(3 * coalesce(cells.quarter, 4)) - interval 1 day <= (select as_of from as_of) as period_complete,
    cells.breakdown,
    cells.breakdown_code,
    case
        when cells.breakdown = 'all' then 'All'
        when cells.breakdown_code is null then 'Not known'
        else coalesce(names.name, cells.breakdown_code)
    end as breakdown_name,
    cells.value,
    indicators.unit,
    cells.numerator,
    cells.denominator,
    cells.lacking,
    cells.records,
    cells.low_base,
    cells.suppressed,
    cells.value - previous.value as change_since_previous,
    cells.low_base or previous.low_base as change_low_base,
    baseline.value as baseline_value,
    case when cells.financial_year > $baseline then cells.value - baseline.value end as change_since_baseline,
    case
        when cells.value is null or indicators.rag_green is null or cells.low_base then null
        when indicators.direction = 'higher' then
            case when cells.value >= indicators.rag_green then 'green' when cells.value >= indicators.rag_amber then 'amber' else 'red' end
        when indicators.direction = 'lower' then
            case when cells.value <= indicators.rag_green then 'green' when cells.value <= indicators.rag_amber then 'amber' else 'red' end
    end as rag
from cells
join marts.indicators as indicators using (indicator_id)
left join names on names.breakdown = cells.breakdown and names.code = cells.breakdown_code
left join cells as previous
    on previous.indicator_id = cells.indicator_id and previous.period_level = cells.period_level
   and previous.breakdown = cells.breakdown and previous.breakdown_code is not distinct from cells.breakdown_code
   and previous.period_index = cells.period_index - case when cells.period_level = 'year' then 4 else 1 end
left join cells as baseline
    on baseline.indicator_id = cells.indicator_id and baseline.period_level = 'year' and baseline.financial_year = $baseline
   and baseline.breakdown = cells.breakdown and baseline.breakdown_code is not distinct from cells.breakdown_code
order by indicators.sort_order, cells.period_level, cells.financial_year, cells.quarter, cells.breakdown, cells.breakdown_code

-- One indicator's facts, added to `{facts_table}`: its records (`indicator_records`: warehouse/engine/records.sql and its formula)
-- added up wherever their period, every breakdown (warehouse/breakdowns.py) and what they are counted by agree.
-- Adding up is exact for any combination of filters and any range of quarters: a figure is a sum of numerators,
-- denominators and records lacking a field; a count of different subjects keeps its subject; a stock (what a body
-- has at a quarter's end) keeps what it is a stock of, since only its latest quarter in a range counts; a median keeps
-- its measures ({measures}: their list for a median, else no list, whose state for every group would not spill
-- and ran out of memory at 10M awards). Parameters: $indicator_id, $calculation, $financial_years (the years this
-- statement adds up: as many as hold a few million records, etl/indicators.py's FACTS_BATCH_RECORDS, since grouping
-- every year of 10M awards at once ran out of memory).
-- A record with no financial year or quarter counts nowhere; nor does one of a body of a type the indicator does not
-- apply to ($applies_to: the types it does apply to).
insert into {facts_table} by name
with indicator_records as (
    {records}
),
places as (
    select gss_code as district_code, combined_authority_code from reference.localities where level = 'district'
)
select
    $indicator_id as indicator_id,
    records.financial_year,
    records.quarter,
    cast(left(records.financial_year, 4) as integer) * 4 + records.quarter - 1 as period_index,
    {breakdown_columns},
    records.stock_of,
    case when $calculation in ('distinct_count', 'distinct_share', 'distinct_absent', 'per_100') then records.subject end as subject,
    sum(records.numerator) as numerator,
    sum(records.denominator) as denominator,
    count(*) filter (where records.lacking) as lacking,
    count(*) as records,
    {measures} as measures
from indicator_records as records
left join places on places.district_code = records.district_code
where list_contains($financial_years, records.financial_year) and records.quarter is not null
  and (records.body_type is null or list_contains($applies_to, records.body_type))
group by all

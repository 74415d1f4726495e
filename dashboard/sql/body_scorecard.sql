-- Every public body of one type ($body_type; null for every type) on every indicator published by public body,
-- in one financial year ($financial_year), with the median of its peers (bodies of the same type) on each.
with cells as (
    select values.*, bodies.name as body_name, bodies.body_type as peer_type
    from marts.indicator_values as values
    join reference.public_bodies as bodies on bodies.code = values.breakdown_code
    where values.breakdown = 'public_body' and values.period_level = 'year' and values.financial_year = $financial_year
)
select
    cells.breakdown_code as body_code, cells.body_name, cells.peer_type as body_type, cells.indicator_id,
    indicators.name as indicator_name, indicators.principle, indicators.direction, indicators.sort_order,
    cells.value, cells.unit, cells.suppressed, cells.rag, cells.numerator, cells.denominator, cells.lacking,
    median(cells.value) over (partition by cells.indicator_id, cells.peer_type) as peer_median,
    count(cells.value) over (partition by cells.indicator_id, cells.peer_type) as peers_with_value
from cells
join marts.indicators as indicators using (indicator_id)
where $body_type is null or cells.peer_type = $body_type
order by indicators.sort_order, cells.body_name

-- One indicator in one period for the UK tile map: England's regions and the other three nations, with each tile's
-- position; a tile with no value has nulls.
select
    places.gss_code, places.name, places.level, places.tile_col, places.tile_row,
    cells.value, cells.suppressed, cells.numerator, cells.denominator, cells.lacking, cells.rag
from reference.localities as places
left join marts.indicator_values as cells
    on cells.breakdown = places.level and cells.breakdown_code = places.gss_code
   and cells.indicator_id = $indicator and cells.period = $period
where places.tile_col is not null
order by places.tile_row, places.tile_col

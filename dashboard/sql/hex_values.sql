-- One indicator in one period for the district hex map (when a HexJSON layout has been loaded).
select
    hexes.gss_code, hexes.name, hexes.q, hexes.r, hexes.layout,
    cells.value, cells.suppressed, cells.numerator, cells.denominator, cells.lacking, cells.rag
from reference.hex_layout as hexes
left join marts.indicator_values as cells
    on cells.breakdown = 'district' and cells.breakdown_code = hexes.gss_code
   and cells.indicator_id = $indicator and cells.period = $period
order by hexes.r, hexes.q

-- Indicator values (disclosure-controlled), in the chosen breakdown cell or every cell, for the chosen years.
select values.*, indicators.name as indicator_name
from marts.indicator_values as values
join marts.indicators as indicators using (indicator_id)
where values.financial_year between $from_year and $to_year
  and ($breakdown = 'all' and $code is null or values.breakdown = $breakdown and values.breakdown_code = $code)
  and ($principle is null or values.principle = $principle)
order by indicators.sort_order, values.period_level desc, values.financial_year, values.quarter, values.breakdown, values.breakdown_code
limit $limit

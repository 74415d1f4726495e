-- Indicator values (disclosure-controlled), in the chosen breakdown cell or every cell: the quarters chosen
-- ($from_period to $to_period, such as '2025-26 Q2') and every financial year they touch.
select values.*, indicators.name as indicator_name
from marts.indicator_values as values
join marts.indicators as indicators using (indicator_id)
where values.financial_year between substr($from_period, 1, 7) and substr($to_period, 1, 7)
  and (values.period_level = 'year' or values.period between $from_period and $to_period)
  and ($breakdown = 'all' and $code is null or values.breakdown = $breakdown and values.breakdown_code = $code)
  and ($principle is null or values.principle = $principle)
order by indicators.sort_order, values.period_level desc, values.financial_year, values.quarter, values.breakdown, values.breakdown_code
limit $limit

-- Every indicator's values in one breakdown cell ($breakdown, $code; 'all' and null for the total), at one period
-- level ($period_level: year or quarter), oldest first: the quarters $from_period to $to_period (such as
-- '2025-26 Q2'), or at year level every financial year they touch.
select values.*, indicators.name, indicators.direction, indicators.calculation, indicators.sort_order
from marts.indicator_values as values
join marts.indicators as indicators using (indicator_id)
where values.breakdown = $breakdown
  and values.breakdown_code is not distinct from $code
  and values.period_level = $period_level
  and values.financial_year between substr($from_period, 1, 7) and substr($to_period, 1, 7)
  and (values.period_level = 'year' or values.period between $from_period and $to_period)
order by indicators.sort_order, values.financial_year, values.quarter

-- Every indicator's values in one breakdown cell ($breakdown, $code; 'all' and null for the total), at one period
-- level ($period_level: year or quarter), for the financial years $from_year to $to_year, oldest first.
select values.*, indicators.name, indicators.direction, indicators.calculation, indicators.sort_order
from marts.indicator_values as values
join marts.indicators as indicators using (indicator_id)
where values.breakdown = $breakdown
  and values.breakdown_code is not distinct from $code
  and values.period_level = $period_level
  and values.financial_year between $from_year and $to_year
order by indicators.sort_order, values.financial_year, values.quarter

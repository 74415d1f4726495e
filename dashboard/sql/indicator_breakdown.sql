-- One indicator's values for every cell of one breakdown in one period.
select * from marts.indicator_values
where indicator_id = $indicator and breakdown = $breakdown and period = $period
order by value desc nulls last, breakdown_name

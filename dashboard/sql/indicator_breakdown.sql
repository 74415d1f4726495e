-- One indicator's values for every cell of one breakdown in one period: sizes in their natural order (micro to
-- super-major), anything else ranked from the highest value.
select values.* from marts.indicator_values as values
left join reference.size_bands as bands on $breakdown = 'size_band' and bands.code = values.breakdown_code
where values.indicator_id = $indicator and values.breakdown = $breakdown and values.period = $period
order by bands.sort_order nulls last, values.value desc nulls last, values.breakdown_name

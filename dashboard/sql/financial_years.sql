-- Every financial year the published figures cover, oldest first.
select distinct financial_year from marts.indicator_values where period_level = 'year' order by financial_year

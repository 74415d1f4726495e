-- Everything a global filter can be set to, by filter: its code, its name, the code it sits under, its order.
select 'body_type' as filter, code, name, null as parent, sort_order from reference.body_types
union all
select 'body', code, name, body_type, row_number() over (order by name) from reference.public_bodies
union all
select 'nation', gss_code, name, null, row_number() over (order by gss_code) from reference.localities where level = 'nation'
union all
select 'region', gss_code, name, nation_code, row_number() over (order by name) from reference.localities where level = 'region'
union all
select 'district', gss_code, name, coalesce(region_code, nation_code), row_number() over (order by name)
from reference.localities where level = 'district'
union all
select 'size', code, name, null, sort_order from reference.size_bands
union all
select 'principle', code, name, null, sort_order from reference.principles
union all
select 'year', financial_year, financial_year, null, row_number() over (order by financial_year)
from (select distinct financial_year from marts.indicator_values where period_level = 'year')
order by filter, sort_order

-- id: districts_without_awards
-- principle: participation
-- name: Districts with no awards
-- definition: >
--   The number of districts (local authority areas) for whose benefit no award was made in the period. The
--   denominator is the number of districts.
-- sources: [funding]
-- needs: the place that benefits (beneficiary location)
-- calculation: count
-- unit: districts
-- direction: lower
-- basis: The Covenant's participation principle, that communities everywhere can be heard and make a difference.
-- proposed_by_sector: false
-- breakdowns: [all, nation, region]
with districts as (
    select gss_code as district_code, region_code, nation_code from reference.localities where level = 'district'
),
quarters as (
    select distinct financial_year, quarter from marts.awards where financial_year is not null
),
funded_quarters as (
    select distinct financial_year, quarter, district_code from marts.awards where district_code is not null
),
years as (
    select distinct financial_year from quarters
),
funded_years as (
    select distinct financial_year, district_code from funded_quarters
)
select
    quarters.financial_year, quarters.quarter, false as for_year,
    districts.district_code, districts.region_code, districts.nation_code,
    case when funded_quarters.district_code is null then 1 else 0 end as numerator, 1 as denominator
from quarters
cross join districts
left join funded_quarters using (financial_year, quarter, district_code)
union all by name
select
    years.financial_year, null as quarter, true as for_year,
    districts.district_code, districts.region_code, districts.nation_code,
    case when funded_years.district_code is null then 1 else 0 end as numerator, 1 as denominator
from years
cross join districts
left join funded_years using (financial_year, district_code)
union all by name
select financial_year, quarter, 0 as numerator, 0 as denominator, true as lacking
from marts.awards
where district_code is null

-- id: funding_per_head
-- principle: participation
-- name: Funding per head of population
-- definition: >
--   The value in pounds of new awards to benefit a district, divided by the district's population (for a region
--   or nation, the sum over its districts). Districts with no awards count as £0. Counted by when the award was made.
-- sources: [funding]
-- needs: the place that benefits (beneficiary location) and an amount in pounds
-- calculation: per_head
-- unit: £ per head
-- direction: none
-- basis: The Covenant's participation principle, that communities everywhere can be heard and make a difference.
-- proposed_by_sector: false
-- breakdowns: [all, nation, region, district]
with quarters as (
    select distinct financial_year, quarter from marts.awards where financial_year is not null
),
districts as (
    select gss_code as district_code, region_code, nation_code, population from reference.localities
    where level = 'district' and population is not null
),
amounts as (
    select financial_year, quarter, district_code, sum(amount_gbp) as amount
    from marts.awards where district_code is not null and amount_gbp is not null
    group by all
),
years as (
    select distinct financial_year from quarters
),
year_amounts as (
    select financial_year, district_code, sum(amount) as amount from amounts group by all
)
-- each district once per quarter (towards the quarter) and once per year (towards the year): its population
-- is counted once in either
select
    quarters.financial_year, quarters.quarter, false as for_year,
    districts.district_code, districts.region_code, districts.nation_code,
    coalesce(amounts.amount, 0) as numerator, districts.population as denominator
from quarters
cross join districts
left join amounts using (financial_year, quarter, district_code)
union all by name
select
    years.financial_year, null as quarter, true as for_year,
    districts.district_code, districts.region_code, districts.nation_code,
    coalesce(year_amounts.amount, 0) as numerator, districts.population as denominator
from years
cross join districts
left join year_amounts using (financial_year, district_code)
union all by name
select
    financial_year, quarter, district_code, region_code, nation_code, 0 as numerator, 0 as denominator, true as lacking
from marts.awards
where district_code is null or amount_gbp is null

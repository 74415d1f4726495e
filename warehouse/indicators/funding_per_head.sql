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
-- pages: {localities: {map: 1}}
with quarters as (
    -- the awards to each district add up over the quarters chosen; its population is a stock, counted once in any
    -- range of quarters (in the latest)
    select distinct financial_year, quarter from marts.awards where financial_year is not null
),
districts as (
    select gss_code as district_code, region_code, nation_code, population from reference.localities
    where level = 'district' and population is not null
)
select
    quarters.financial_year, quarters.quarter, districts.district_code, districts.region_code, districts.nation_code,
    districts.district_code as stock_of, 0 as numerator, districts.population as denominator
from quarters
cross join districts
union all by name
select
    awards.financial_year, awards.quarter, districts.district_code, districts.region_code, districts.nation_code,
    sum(awards.amount_gbp) as numerator, 0 as denominator
from marts.awards as awards
join districts using (district_code)
where awards.amount_gbp is not null
group by all
union all by name
select
    financial_year, quarter, district_code, region_code, nation_code, 0 as numerator, 0 as denominator, true as lacking
from marts.awards
where district_code is null or amount_gbp is null

-- id: districts_without_awards
-- principle: participation
-- name: Districts with no awards
-- definition: >
--   The number of districts (local authority areas) for whose benefit no award was made in the period. The
--   denominator is the number of districts.
-- sources: [funding]
-- needs: the place that benefits (beneficiary location)
-- calculation: distinct_absent
-- unit: districts
-- direction: lower
-- basis: The Covenant's participation principle, that communities everywhere can be heard and make a difference.
-- proposed_by_sector: false
-- breakdowns: [all, nation, region]
with districts as (
    -- every district in every quarter of the awards is counted in the denominator, and in the numerator when it had an
    -- award that quarter: over any range of quarters, the districts of the denominator never in the numerator
    select gss_code as district_code, region_code, nation_code from reference.localities where level = 'district'
),
quarters as (
    select distinct financial_year, quarter from marts.awards where financial_year is not null
)
select
    quarters.financial_year, quarters.quarter, districts.district_code, districts.region_code, districts.nation_code,
    districts.district_code as subject, 0 as numerator, 1 as denominator
from quarters
cross join districts
union all by name
select distinct
    awards.financial_year, awards.quarter, districts.district_code, districts.region_code, districts.nation_code,
    districts.district_code as subject, 1 as numerator, 0 as denominator
from marts.awards as awards
join districts using (district_code)
union all by name
select financial_year, quarter, 0 as numerator, 0 as denominator, true as lacking
from marts.awards
where district_code is null

-- id: full_cost_recovery_funding_share
-- principle: recognition
-- name: Funding with full cost recovery
-- definition: >
--   Of the value of new awards in pounds whose agreement says whether it covers the full cost of the work
--   (including a fair share of overheads), the percentage that does. Counted by when the award was made.
-- sources: [funding]
-- needs: whether the award covers full costs, and an amount in pounds
-- calculation: share
-- unit: percent of value
-- direction: higher
-- target: 100
-- rag: {green: 90, amber: 75}
-- basis: >
--   A Compact (2010) commitment, and the sector's ask for long-term, flexible funding with full cost recovery.
-- proposed_by_sector: true
-- headline: true
-- breakdowns: [all, public_body, body_type, nation, region, district, size_band, smaller_organisation]
-- pages: {organisation_size: {by_size_band: 3}}
select
    financial_year, quarter, body_code, body_type, nation_code, region_code, district_code, size_band, smaller_organisation,
    case when full_cost_recovery and amount_gbp is not null then amount_gbp else 0 end as numerator,
    case when full_cost_recovery is not null and amount_gbp is not null then amount_gbp else 0 end as denominator,
    full_cost_recovery is null or amount_gbp is null as lacking
from marts.awards

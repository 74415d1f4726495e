-- id: funding_to_smaller_organisations
-- principle: recognition
-- name: Funding to smaller organisations
-- definition: >
--   Of the value of new awards in pounds to organisations whose income is known, the percentage going to smaller
--   organisations (annual income £500,000 and under). Counted by when the award was made.
-- sources: [funding]
-- needs: the recipient's income (from the organisation register), and an amount in pounds
-- calculation: share
-- unit: percent of value
-- direction: higher
-- basis: The sector's ask for equitable treatment of smaller organisations (annual income £500,000 and under).
-- proposed_by_sector: true
-- headline: true
-- breakdowns: [all, public_body, body_type, nation, region, district]
-- pages: {organisation_size: {headline: 1}}
select
    financial_year, quarter, body_code, body_type, nation_code, region_code, district_code,
    case when smaller_organisation and amount_gbp is not null then amount_gbp else 0 end as numerator,
    case when smaller_organisation is not null and amount_gbp is not null then amount_gbp else 0 end as denominator,
    smaller_organisation is null or amount_gbp is null as lacking
from marts.awards

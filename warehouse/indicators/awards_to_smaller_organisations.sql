-- id: awards_to_smaller_organisations
-- principle: recognition
-- name: Awards to smaller organisations
-- definition: >
--   Of the new awards to organisations whose income is known, the percentage made to smaller organisations (annual
--   income £500,000 and under). Counted by when the award was made.
-- sources: [funding]
-- needs: the recipient's income (from the organisation register)
-- calculation: share
-- unit: percent
-- direction: higher
-- basis: The sector's ask for equitable treatment of smaller organisations (annual income £500,000 and under).
-- proposed_by_sector: true
-- breakdowns: [all, public_body, body_type, nation, region, district]
-- pages: {organisation_size: {headline: 2}}
select
    financial_year, quarter, body_code, body_type, nation_code, region_code, district_code,
    case when smaller_organisation then 1 else 0 end as numerator,
    case when smaller_organisation is not null then 1 else 0 end as denominator,
    smaller_organisation is null as lacking
from marts.awards

-- id: organisations_engaged_smaller_share
-- principle: participation
-- name: Smaller organisations among those engaged
-- definition: >
--   Of the different organisations of known income that took part in a body's engagement meetings in the period,
--   the percentage that are smaller organisations (annual income £500,000 and under).
-- sources: [returns]
-- needs: the organisation's income (from the organisation register)
-- calculation: distinct_share
-- unit: percent
-- direction: higher
-- basis: The sector's ask for equitable treatment of smaller organisations, and to include them in engagement.
-- proposed_by_sector: true
-- headline: true
-- breakdowns: [all, public_body, body_type]
select
    engagement.financial_year, engagement.quarter, engagement.body_code, bodies.body_type,
    case when engagement.smaller_organisation then 1 else 0 end as numerator,
    case when engagement.smaller_organisation is not null then 1 else 0 end as denominator,
    engagement.smaller_organisation is null as lacking,
    engagement.organisation_id as subject
from marts.engagement as engagement
left join reference.public_bodies as bodies on bodies.code = engagement.body_code

-- id: organisations_engaged
-- principle: participation
-- name: Organisations engaged
-- definition: >
--   The number of different civil society organisations that took part in a body's engagement meetings in the
--   period (each organisation counted once however many meetings it attended). Counted by the quarter reported.
-- sources: [returns]
-- needs: nothing beyond the organisation's org-id
-- calculation: distinct_count
-- unit: organisations
-- direction: higher
-- basis: The Covenant's participation principle; the sector asks for a set number of engagement meetings.
-- proposed_by_sector: false
-- breakdowns: [all, public_body, body_type, size_band, smaller_organisation]
select
    engagement.financial_year, engagement.quarter, engagement.body_code, bodies.body_type,
    engagement.size_band, engagement.smaller_organisation,
    1 as numerator, 1 as denominator, engagement.organisation_id as subject
from marts.engagement as engagement
left join reference.public_bodies as bodies on bodies.code = engagement.body_code

-- id: consultations_with_published_response
-- principle: participation
-- name: Closed consultations with a published response
-- definition: >
--   Of the public consultations that closed in the period, and at least 12 weeks before the data was last
--   updated, the percentage whose government response has been published. Counted by when the consultation closed.
-- sources: [returns]
-- needs: nothing beyond the consultation (no response date means no response)
-- calculation: share
-- unit: percent
-- direction: higher
-- basis: >
--   Government consultation principles ask for a response within 12 weeks of a consultation closing; the sector
--   asks for genuine consultation. No numerical target is published.
-- proposed_by_sector: false
-- breakdowns: [all, public_body, body_type]
-- applies_to: [central]  # the government's consultation principles bind central government only
select
    financial_year_of(consultations.closed_on) as financial_year,
    financial_quarter_of(consultations.closed_on) as quarter,
    consultations.body_code, bodies.body_type,
    case when consultations.response_published then 1 else 0 end as numerator,
    1 as denominator
from marts.consultations as consultations
left join reference.public_bodies as bodies on bodies.code = consultations.body_code
where consultations.closed_on <= (select max(as_of) from meta.builds) - interval 84 day

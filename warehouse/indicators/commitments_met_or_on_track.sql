-- id: commitments_met_or_on_track
-- principle: accountability
-- name: Action plan commitments met or on track
-- definition: >
--   Of the commitments in bodies' action plans, the percentage met or on track. For a quarter, as each body
--   reported at its end; for a financial year, as each body last reported in it. By principle, the principle the
--   commitment serves.
-- sources: [returns]
-- needs: nothing beyond the commitment's status
-- calculation: share
-- unit: percent
-- direction: higher
-- basis: Each body's own action plan; the sector asks for reporting by public bodies and select committee oversight.
-- proposed_by_sector: true
-- breakdowns: [all, public_body, body_type, principle]
select
    commitments.financial_year, commitments.quarter, commitments.body_code, bodies.body_type, commitments.principle,
    commitments.body_code as stock_of,
    case when commitments.status in ('met', 'on track') then 1 else 0 end as numerator,
    1 as denominator
from marts.commitments as commitments
left join reference.public_bodies as bodies on bodies.code = commitments.body_code

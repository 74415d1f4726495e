-- id: action_plan_published
-- principle: accountability
-- name: Bodies with a published Covenant action plan
-- definition: >
--   Of the public bodies that made a return, the percentage that had published an action plan for implementing the
--   Covenant. For a quarter, as each body reported at its end; for a financial year, as each body last reported in it.
-- sources: [returns]
-- needs: nothing beyond the return
-- calculation: share
-- unit: percent of bodies
-- direction: higher
-- target: 100
-- rag: {green: 95, amber: 80}
-- basis: The sector's engagement report asks for departmental action plans with a set number of engagement meetings.
-- proposed_by_sector: true
-- headline: true
-- breakdowns: [all, public_body, body_type]
select
    financial_year, quarter, body_code, body_type,
    body_code as stock_of,
    case when action_plan_published then 1 else 0 end as numerator,
    1 as denominator
from marts.body_quarters

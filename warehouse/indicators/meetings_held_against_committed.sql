-- id: meetings_held_against_committed
-- principle: accountability
-- name: Engagement meetings held against those committed
-- definition: >
--   The engagement meetings with civil society that bodies held in the period, as a percentage of the meetings
--   their action plans committed them to hold in it. Over 100% means more meetings than committed.
-- sources: [returns]
-- needs: the number of meetings committed
-- calculation: share
-- unit: percent of committed
-- direction: higher
-- target: 100
-- rag: {green: 90, amber: 75}
-- basis: The sector's engagement report asks for action plans with a set number of engagement meetings.
-- proposed_by_sector: true
-- breakdowns: [all, public_body, body_type]
select
    financial_year, quarter, body_code, body_type,
    case when meetings_committed > 0 then meetings_held else 0 end as numerator,
    case when meetings_committed > 0 then meetings_committed else 0 end as denominator,
    coalesce(meetings_committed, 0) = 0 as lacking
from marts.body_quarters

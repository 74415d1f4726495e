-- id: meetings_held_against_committed
-- principle: accountability
-- name: Engagement meetings held against those committed
-- definition: >
--   Every engagement meeting with civil society that bodies held in the period, as a percentage of every meeting
--   their action plans committed them to hold in it. A return committing to none still adds the meetings it held,
--   so the figure can pass 100%: over 100% means more meetings than committed.
-- sources: [returns]
-- needs: the numbers of meetings committed and held
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
    -- a return lacking either number adds to neither side
    coalesce(meetings_held + 0 * meetings_committed, 0) as numerator,
    coalesce(meetings_committed + 0 * meetings_held, 0) as denominator,
    meetings_committed is null or meetings_held is null as lacking
from marts.body_quarters

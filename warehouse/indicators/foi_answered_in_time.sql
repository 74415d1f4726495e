-- id: foi_answered_in_time
-- principle: transparency
-- name: Freedom of information requests answered within 20 working days
-- definition: >
--   Of the freedom of information requests from civil society organisations a body received in the quarter, the
--   percentage answered within 20 working days. A return that does not state the number of requests is left out.
-- sources: [returns]
-- needs: the number of requests and how many were answered in time
-- calculation: share
-- unit: percent
-- direction: higher
-- target: 100
-- rag: {green: 90, amber: 80}
-- basis: >
--   The Freedom of Information Act 2000 (section 10) sets 20 working days; the Information Commissioner monitors
--   public authorities that answer fewer than 90% in time.
-- proposed_by_sector: false
-- breakdowns: [all, public_body, body_type]
select
    financial_year, quarter, body_code, body_type,
    case when foi_requests is not null and foi_answered_in_time is not null then foi_answered_in_time else 0 end as numerator,
    case when foi_requests is not null and foi_answered_in_time is not null then foi_requests else 0 end as denominator,
    foi_requests is null or foi_answered_in_time is null as lacking
from marts.body_quarters

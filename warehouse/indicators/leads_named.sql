-- id: leads_named
-- principle: accountability
-- name: Bodies with a ministerial lead and a senior official lead named
-- definition: >
--   Of the public bodies that made a return, the percentage that had named both a ministerial (or, for a local
--   body, an elected member) lead and a senior official lead for the Covenant. It does not apply to integrated care
--   boards, which have neither a minister nor elected members. For a quarter, as each body reported
--   at its end; for a financial year, as each body last reported in it.
-- sources: [returns]
-- needs: nothing beyond the return
-- calculation: share
-- unit: percent of bodies
-- direction: higher
-- target: 100
-- rag: {green: 95, amber: 80}
-- basis: The sector's engagement report asks for ministerial and senior official leads in every department.
-- proposed_by_sector: true
-- breakdowns: [all, public_body, body_type]
-- pages: {public_bodies: {leads: 1}}
-- applies_to: [central, local_authority, combined_authority, police_and_crime_commissioner]  # a minister or an elected member; an integrated care board has neither
select
    financial_year, quarter, body_code, body_type,
    body_code as stock_of,
    case when ministerial_lead_named and senior_official_lead_named then 1 else 0 end as numerator,
    1 as denominator
from marts.body_quarters

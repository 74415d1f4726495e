-- id: design_with_civil_society_early
-- principle: partnership
-- name: Design projects involving civil society before options were set
-- definition: >
--   Of the design projects a body reported, the percentage that involved civil society before the options were
--   set. Counted in the quarter the body reported them.
-- sources: [returns]
-- needs: whether civil society was involved before options were set
-- calculation: share
-- unit: percent
-- direction: higher
-- basis: >
--   The Covenant's partnership principle: effective service delivery and policy making, designed with civil
--   society. No numerical target is published.
-- proposed_by_sector: false
-- breakdowns: [all, public_body, body_type]
select
    policies.financial_year, policies.quarter, policies.body_code, bodies.body_type,
    case when policies.civil_society_involved_early then 1 else 0 end as numerator,
    case when policies.civil_society_involved_early is not null then 1 else 0 end as denominator,
    policies.civil_society_involved_early is null as lacking
from marts.policies as policies
left join reference.public_bodies as bodies on bodies.code = policies.body_code
where policies.kind = 'design project'

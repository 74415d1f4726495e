-- id: policies_impact_assessed
-- principle: recognition
-- name: New policies assessed for their impact on civil society
-- definition: >
--   Of the new policies, laws, guidance and design projects a body reported, the percentage whose implications for
--   civil society were assessed. Counted in the quarter the body reported them.
-- sources: [returns]
-- needs: whether the impact on civil society was assessed
-- calculation: share
-- unit: percent
-- direction: higher
-- basis: >
--   One of the Covenant's published progress signs: "the implications for civil society of new policies,
--   legislation and guidance are assessed effectively". No numerical target is published.
-- proposed_by_sector: false
-- breakdowns: [all, public_body, body_type]
select
    policies.financial_year, policies.quarter, policies.body_code, bodies.body_type,
    case when policies.impact_assessed then 1 else 0 end as numerator,
    case when policies.impact_assessed is not null then 1 else 0 end as denominator,
    policies.impact_assessed is null as lacking
from marts.policies as policies
left join reference.public_bodies as bodies on bodies.code = policies.body_code

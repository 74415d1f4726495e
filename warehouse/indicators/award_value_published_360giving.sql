-- id: award_value_published_360giving
-- principle: transparency
-- name: Grant value published in 360Giving form
-- definition: >
--   Of the value of grants a body says in its return it awarded to civil society in the quarter, the percentage it
--   published in 360Giving form (the value of its awards in the funding files for that quarter, counted up to what
--   it declared). A return that does not state the value awarded is left out.
-- sources: [returns, funding]
-- needs: the value of grants awarded, stated in the return
-- calculation: share
-- unit: percent of value
-- direction: higher
-- target: 100
-- basis: Government adopted the 360Giving Data Standard for its grants data in 2019; the Covenant's transparency principle.
-- proposed_by_sector: false
-- headline: true
-- breakdowns: [all, public_body, body_type]
-- applies_to: [central]  # the 360Giving standard is central government's grants data standard
-- base: none  # a share of the whole value a body declares, not of a sample of records: no low base
with published as (
    select body_code, financial_year, quarter, sum(amount_gbp) as amount
    from marts.awards
    where body_code is not null and amount_gbp is not null
    group by all
)
select
    returns.financial_year, returns.quarter, returns.body_code, returns.body_type,
    case when returns.grants_awarded_value is not null
         then least(coalesce(published.amount, 0), returns.grants_awarded_value) else 0 end as numerator,
    coalesce(returns.grants_awarded_value, 0) as denominator,
    returns.grants_awarded_value is null as lacking
from marts.body_quarters as returns
left join published using (body_code, financial_year, quarter)

-- id: endings_with_three_months_notice
-- principle: partnership
-- name: Funding endings with three months' written notice
-- definition: >
--   Of the funding relationships a body reported ending, the percentage where written notice was given at least
--   three months before the funding ended. An ending with no notice date counts as no notice. Counted in the
--   quarter the body reported the ending.
-- sources: [returns]
-- needs: nothing beyond the ending (no notice date means no notice)
-- calculation: share
-- unit: percent
-- direction: higher
-- target: 100
-- rag: {green: 90, amber: 75}
-- basis: A Compact (2010) commitment to three months' written notice, with a rationale, before funding ends.
-- proposed_by_sector: false
-- headline: true
-- breakdowns: [all, public_body, body_type]
select
    endings.financial_year, endings.quarter, endings.body_code, bodies.body_type,
    case when endings.three_months_notice then 1 else 0 end as numerator,
    1 as denominator
from marts.funding_endings as endings
left join reference.public_bodies as bodies on bodies.code = endings.body_code

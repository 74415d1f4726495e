-- id: endings_with_written_rationale
-- principle: transparency
-- name: Funding endings with a written rationale
-- definition: >
--   Of the funding relationships a body reported ending, the percentage where the organisation was given the
--   reasons in writing. Counted in the quarter the body reported the ending.
-- sources: [returns]
-- needs: whether a written rationale was given
-- calculation: share
-- unit: percent
-- direction: higher
-- target: 100
-- rag: {green: 90, amber: 75}
-- basis: A Compact (2010) commitment to give a written rationale with notice before funding ends.
-- proposed_by_sector: false
-- breakdowns: [all, public_body, body_type]
select
    endings.financial_year, endings.quarter, endings.body_code, bodies.body_type,
    case when endings.written_rationale then 1 else 0 end as numerator,
    case when endings.written_rationale is not null then 1 else 0 end as denominator,
    endings.written_rationale is null as lacking
from marts.funding_endings as endings
left join reference.public_bodies as bodies on bodies.code = endings.body_code

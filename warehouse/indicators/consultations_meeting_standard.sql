-- id: consultations_meeting_standard
-- principle: participation
-- name: Consultations open 12 weeks, or shorter with a stated reason
-- definition: >
--   Of the public consultations that closed in the period, the percentage that were open for 12 weeks or more, or
--   that stated a reason for a shorter period. Counted by when the consultation closed, as last reported.
-- sources: [returns]
-- needs: nothing beyond the consultation's opening and closing dates
-- calculation: share
-- unit: percent
-- direction: higher
-- target: 100
-- rag: {green: 90, amber: 75}
-- basis: >
--   A Compact (2010) commitment to 12-week consultations, or an explanation of a shorter period. In 2012 the
--   National Audit Office found 40% of 209 consultations ran under 12 weeks.
-- proposed_by_sector: false
-- headline: true
-- breakdowns: [all, public_body, body_type]
-- applies_to: [central]  # the Compact and the government's consultation principles bind central government, not councils
select
    financial_year_of(consultations.closed_on) as financial_year,
    financial_quarter_of(consultations.closed_on) as quarter,
    consultations.body_code, bodies.body_type,
    case when consultations.meets_consultation_standard then 1 else 0 end as numerator,
    1 as denominator
from marts.consultations as consultations
left join reference.public_bodies as bodies on bodies.code = consultations.body_code

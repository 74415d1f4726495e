-- id: rejected_applicants_given_feedback
-- principle: partnership
-- name: Rejected applicants given feedback
-- definition: >
--   Of the applicants for funding a body turned down in the quarter, the percentage given feedback on their
--   application. A return that does not state the number turned down is left out.
-- sources: [returns]
-- needs: the number of rejected applicants and how many were given feedback
-- calculation: share
-- unit: percent
-- direction: higher
-- basis: The Covenant's partnership principle of shared learning. No numerical target is published.
-- proposed_by_sector: false
-- breakdowns: [all, public_body, body_type]
select
    financial_year, quarter, body_code, body_type,
    case when rejected_applicants is not null and rejected_applicants_given_feedback is not null
         then rejected_applicants_given_feedback else 0 end as numerator,
    case when rejected_applicants is not null and rejected_applicants_given_feedback is not null
         then rejected_applicants else 0 end as denominator,
    rejected_applicants is null or rejected_applicants_given_feedback is null as lacking
from marts.body_quarters

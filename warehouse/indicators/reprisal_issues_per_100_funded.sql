-- id: reprisal_issues_per_100_funded
-- principle: recognition
-- name: Issues about reprisal or self-censorship per 100 funded organisations
-- definition: >
--   Issues raised about reprisal or self-censorship in the period (and not withdrawn), per 100 different organisations awarded funding
--   in the same period (by the same body, in the same place or of the same size, for a breakdown). Counted by when
--   the issue was raised. Counts under 5 are suppressed.
-- sources: [issues, funding]
-- needs: nothing beyond the issue and the award
-- calculation: per_100
-- unit: per 100 organisations
-- direction: lower
-- basis: >
--   The Covenant's warning sign that organisations "report self-censorship"; the real-time issue reporting
--   mechanism is a sector proposal.
-- proposed_by_sector: true
-- issue_figures: {numerator: reprisal}
-- breakdowns: [all, public_body, body_type, nation, region, size_band]
select
    financial_year, quarter, body_code, body_type, nation_code, region_code, district_code, size_band,
    1 as numerator, 0 as denominator, null as subject, issue_ref
from marts.issues
where category = 'reprisal or self-censorship' and status <> 'withdrawn'
union all
select
    financial_year, quarter, body_code, body_type, nation_code, region_code, district_code, size_band,
    0, 1, recipient_org_id, null
from marts.awards

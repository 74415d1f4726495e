-- id: issues_raised
-- principle: accountability
-- name: Issues raised
-- definition: >
--   The number of issues civil society organisations raised about public bodies through the issue reporting
--   mechanism in the period, leaving out issues the organisation withdrew (withdrawn while open, and not reopened
--   since). By place and size, the reporting organisation's; by principle and category, the issue's. Counts under
--   5 are suppressed, with other cells where needed so that none can be worked out.
-- sources: [issues]
-- needs: nothing beyond the issue
-- calculation: count
-- unit: issues
-- direction: none
-- basis: The sector's engagement report asks for a real-time issue reporting mechanism.
-- proposed_by_sector: true
-- issue_figures: {numerator: raised, denominator: raised}
-- breakdowns: [all, public_body, body_type, nation, region, size_band, principle, category]
-- pages: {issues: {headline: 1, trend: 1, by_category: 1, by_principle: 1, by_body_type: 1}}
select
    financial_year, quarter, body_code, body_type, nation_code, region_code, district_code, size_band,
    principle, category, issue_ref,
    1 as numerator, 1 as denominator
from marts.issues
where status <> 'withdrawn'

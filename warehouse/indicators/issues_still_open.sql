-- id: issues_still_open
-- principle: accountability
-- name: Issues still open
-- definition: >
--   Of the issues raised in the period and not withdrawn, the number open when the data was last updated: not yet
--   resolved or closed, or reopened and not resolved or closed since. The open backlog, by when each issue was
--   raised (so the older the period, the longer its issues have waited). Counts under 5 are suppressed, with other
--   cells where needed so that none can be worked out.
-- sources: [issues]
-- needs: nothing beyond the issue
-- calculation: count
-- unit: issues
-- direction: lower
-- basis: The sector's engagement report asks for a real-time issue reporting mechanism that gets issues resolved.
-- proposed_by_sector: true
-- issue_figures: {numerator: open, denominator: raised}
-- breakdowns: [all, public_body, body_type, nation, region, size_band, principle, category]
-- pages: {issues: {backlog: 1}}
select
    financial_year, quarter, body_code, body_type, nation_code, region_code, district_code, size_band,
    principle, category, issue_ref,
    case when status = 'open' then 1 else 0 end as numerator,
    1 as denominator
from marts.issues
where status <> 'withdrawn'

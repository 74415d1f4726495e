-- id: issues_median_days_to_resolve
-- principle: accountability
-- name: Median days to resolve an issue
-- definition: >
--   Of the issues raised in the period that are resolved when the data was last updated (resolved or closed, and
--   not reopened since), the median number of days from being raised to being first resolved (half took longer,
--   half less). The first resolution counts even if the issue was reopened and resolved again later; it is the
--   first resolved event, or the closing of an issue closed without one. Suppressed when fewer than 5 issues were
--   resolved.
-- sources: [issues]
-- needs: dates the issue was raised and resolved, in order
-- calculation: median
-- unit: days
-- direction: lower
-- basis: The sector's engagement report asks for a real-time issue reporting mechanism that gets issues resolved.
-- proposed_by_sector: true
-- issue_figures: {denominator: resolved}
-- breakdowns: [all, public_body, body_type, nation, region, size_band, principle, category]
-- pages: {issues: {headline: 3, trend: 3}}
select
    financial_year, quarter, body_code, body_type, nation_code, region_code, district_code, size_band,
    principle, category, issue_ref,
    case when days_to_resolve >= 0 then days_to_resolve end as measure,
    days_to_resolve < 0 as lacking
from marts.issues
where status = 'resolved'

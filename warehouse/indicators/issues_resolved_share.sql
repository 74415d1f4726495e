-- id: issues_resolved_share
-- principle: accountability
-- name: Issues resolved
-- definition: >
--   Of the issues raised in the period and not withdrawn, the percentage resolved by the time the data was last
--   updated: resolved or closed, and not reopened since (a reopened issue is open until it is next resolved, closed
--   or withdrawn). Counts under 5 are suppressed, with other cells where needed so that none can be worked out.
-- sources: [issues]
-- needs: nothing beyond the issue
-- calculation: share
-- unit: percent
-- direction: higher
-- basis: The sector's engagement report asks for a real-time issue reporting mechanism that gets issues resolved.
-- proposed_by_sector: true
-- headline: true
-- issue_figures: {numerator: resolved, denominator: raised}
-- breakdowns: [all, public_body, body_type, nation, region, size_band, principle, category]
-- pages: {issues: {headline: 2, trend: 2, by_body_type: 2}}
select
    financial_year, quarter, body_code, body_type, nation_code, region_code, district_code, size_band,
    principle, category, issue_ref,
    case when status = 'resolved' then 1 else 0 end as numerator, 1 as denominator
from marts.issues
where status <> 'withdrawn'

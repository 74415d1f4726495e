-- id: issues_unresolved_after_90_days
-- principle: accountability
-- name: Issues not resolved within 90 days
-- definition: >
--   Of the issues raised in the period and not withdrawn, the percentage that went more than 90 days without being
--   resolved: resolved, but first resolved more than 90 days after being raised; or open (never resolved, or
--   reopened and not resolved since) and raised more than 90 days before the data was last updated (an open issue
--   raised less than that before is not, or not yet, among them). Counts under 5 are suppressed, with other cells
--   where needed so that none can be worked out.
-- sources: [issues]
-- needs: nothing beyond the issue
-- calculation: share
-- unit: percent
-- direction: lower
-- basis: The sector's engagement report asks for a real-time issue reporting mechanism that gets issues resolved.
-- proposed_by_sector: true
-- issue_figures: {numerator: late, denominator: raised}
-- breakdowns: [all, public_body, body_type, nation, region, size_band, principle, category]
-- pages: {issues: {headline: 4}}
select
    financial_year, quarter, body_code, body_type, nation_code, region_code, district_code, size_band,
    principle, category, issue_ref,
    case when days_to_resolve > 90
              or (status = 'open' and raised_on < (select max(as_of) from meta.builds) - interval 90 day)
         then 1 else 0 end as numerator,
    1 as denominator
from marts.issues
where status <> 'withdrawn'

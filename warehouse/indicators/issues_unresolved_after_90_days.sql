-- id: issues_unresolved_after_90_days
-- principle: accountability
-- name: Issues not resolved within 90 days
-- definition: >
--   Of the issues raised in the period, not withdrawn and raised at least 90 days before the data was last updated,
--   the percentage not resolved within 90 days of being raised (resolved later, or still open). Counts under 5 are
--   suppressed, with other cells where needed so that none can be worked out.
-- sources: [issues]
-- needs: nothing beyond the issue
-- calculation: share
-- unit: percent
-- direction: lower
-- basis: The sector's engagement report asks for a real-time issue reporting mechanism that gets issues resolved.
-- proposed_by_sector: true
-- suppress: [numerator, denominator]
-- breakdowns: [all, public_body, body_type, nation, region, district, size_band, principle, category]
select
    financial_year, quarter, body_code, body_type, nation_code, region_code, district_code, size_band,
    principle, category,
    case when status = 'open' or days_to_resolve > 90 then 1 else 0 end as numerator, 1 as denominator
from marts.issues
where status <> 'withdrawn'
  and raised_on <= (select max(as_of) from meta.builds) - interval 90 day

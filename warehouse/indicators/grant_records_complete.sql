-- id: grant_records_complete
-- principle: transparency
-- name: Complete grant records
-- definition: >
--   Of the new awards published, the percentage whose record has all four of: the recipient's official org-id
--   (a charity, company or other register number, not one the funder made up), the award's length, its grant
--   programme and the place that benefits. Counted by when the award was made.
-- sources: [funding]
-- needs: nothing beyond the award (a missing field makes the record incomplete)
-- calculation: share
-- unit: percent
-- direction: higher
-- target: 100
-- basis: >
--   The 360Giving Data Standard, government's grants data standard since 2019, and the Covenant's transparency
--   principle.
-- proposed_by_sector: false
-- headline: true
-- breakdowns: [all, public_body, body_type, nation, region, district, size_band, smaller_organisation]
select
    financial_year, quarter, body_code, body_type, nation_code, region_code, district_code, size_band, smaller_organisation,
    case when recipient_org_id is not null and not starts_with(recipient_org_id, '360G-')
              and duration_months is not null
              and coalesce(programme_title, programme_code) is not null
              and beneficiary_geocode is not null
         then 1 else 0 end as numerator,
    1 as denominator
from marts.awards

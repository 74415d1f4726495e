-- id: awards_two_years_or_more
-- principle: partnership
-- name: Awards of 24 months or more
-- definition: >
--   Of the new awards whose length is known (stated in months, or from planned start and end dates), the
--   percentage lasting 24 months (two years) or more. Counted by when the award was made.
-- sources: [funding]
-- needs: the award's length (duration, or planned start and end dates)
-- calculation: share
-- unit: percent
-- direction: higher
-- basis: "The sector's ask for long-term funding: multi-year awards let organisations plan and keep staff."
-- proposed_by_sector: true
-- breakdowns: [all, public_body, body_type, nation, region, district, size_band, smaller_organisation]
-- pages: {organisation_size: {by_size_band: 1}}
select
    financial_year, quarter, body_code, body_type, nation_code, region_code, district_code, size_band, smaller_organisation,
    case when duration_months >= 24 then 1 else 0 end as numerator,
    case when duration_months is not null then 1 else 0 end as denominator,
    duration_months is null as lacking
from marts.awards

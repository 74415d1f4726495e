-- id: awards_three_years_or_more
-- principle: partnership
-- name: Awards of 36 months or more
-- definition: >
--   Of the new awards whose length is known (stated in months, or from planned start and end dates), the
--   percentage lasting 36 months (three years) or more. Counted by when the award was made.
-- sources: [funding]
-- needs: the award's length (duration, or planned start and end dates)
-- calculation: share
-- unit: percent
-- direction: higher
-- basis: A Compact (2010) commitment to funding for three years or more where appropriate, and the sector's ask for long-term funding.
-- proposed_by_sector: true
-- breakdowns: [all, public_body, body_type, nation, region, district, size_band, smaller_organisation]
select
    financial_year, quarter, body_code, body_type, nation_code, region_code, district_code, size_band, smaller_organisation,
    case when duration_months >= 36 then 1 else 0 end as numerator,
    case when duration_months is not null then 1 else 0 end as denominator,
    duration_months is null as lacking
from marts.awards

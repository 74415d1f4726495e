-- id: awards_paid_in_advance
-- principle: partnership
-- name: Awards paid in advance
-- definition: >
--   Of the new awards whose agreement says when payment is made, the percentage paid in advance of the work rather
--   than in arrears. Counted by when the award was made.
-- sources: [funding]
-- needs: whether the award is paid in advance
-- calculation: share
-- unit: percent
-- direction: higher
-- target: 100
-- rag: {green: 90, amber: 75}
-- basis: A Compact (2010) commitment to payment in advance where appropriate, and the sector's ask for payment up front.
-- proposed_by_sector: true
-- headline: true
-- breakdowns: [all, public_body, body_type, nation, region, district, size_band, smaller_organisation]
-- pages: {organisation_size: {by_size_band: 2, by_smaller_organisation: 1}}
select
    financial_year, quarter, body_code, body_type, nation_code, region_code, district_code, size_band, smaller_organisation,
    case when paid_in_advance then 1 else 0 end as numerator,
    case when paid_in_advance is not null then 1 else 0 end as denominator,
    paid_in_advance is null as lacking
from marts.awards

-- id: agreements_without_advocacy_clause
-- principle: recognition
-- name: Funding agreements without an advocacy-restricting clause
-- definition: >
--   Of the new awards whose agreement says whether it restricts the recipient's advocacy, the percentage with no
--   such clause (a "gagging clause"). Counted by when the award was made.
-- sources: [funding]
-- needs: whether the agreement has an advocacy-restricting clause
-- calculation: share
-- unit: percent
-- direction: higher
-- target: 100
-- rag: {green: 95, amber: 85}
-- basis: The sector's engagement report asks for contract clauses that restrict advocacy to be removed.
-- proposed_by_sector: true
-- breakdowns: [all, public_body, body_type, nation, region, district, size_band, smaller_organisation]
select
    financial_year, quarter, body_code, body_type, nation_code, region_code, district_code, size_band, smaller_organisation,
    case when not advocacy_restriction_clause then 1 else 0 end as numerator,
    case when advocacy_restriction_clause is not null then 1 else 0 end as denominator,
    advocacy_restriction_clause is null as lacking
from marts.awards

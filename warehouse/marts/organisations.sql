-- One row per organisation in the register, with its NCVO size band and smaller-organisation flag.
create or replace table marts.organisations as
with register as (
    select * from staging.organisations
),
places as (
    select gss_code, name as district_name, region_code, nation_code from reference.localities where level = 'district'
)
select
    -- ids
    register.org_id,
    register.name,
    register.charity_number,
    register.company_number,
    register.organisation_type,
    -- size
    register.latest_income,
    register.income_period_end,
    register.size_band,
    register.smaller_organisation,
    -- place
    register.postcode,
    register.district_code,
    places.district_name,
    places.region_code,
    places.nation_code,
    -- lineage
    register.source_file,
    register.source_row,
    register.load_id
from register
left join places on places.gss_code = register.district_code

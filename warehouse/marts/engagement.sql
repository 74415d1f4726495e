-- One row per organisation engaged at an engagement meeting, with the organisation's size where it is known.
create or replace table marts.engagement as
select
    engaged.body_code, engaged.financial_year, engaged.quarter, engaged.financial_year || ' Q' || engaged.quarter as period,
    engaged.meeting_date, lower(engaged.meeting_type) as meeting_type, engaged.organisation_id,
    coalesce(orgs.size_band, 'unknown') as size_band, orgs.smaller_organisation,
    engaged.source_file, engaged.source_row, engaged.load_id
from staging.return_engagement as engaged
left join marts.organisations as orgs on orgs.org_id = engaged.organisation_id

-- One row per public body per quarter it made a return for: plan, leads, meetings, feedback, FOI.
create or replace table marts.body_quarters as
with summary as (
    select * from staging.return_summary
)
select
    summary.body_code,
    bodies.name as body_name,
    bodies.body_type,
    coalesce(bodies.parent_department, case when bodies.body_type = 'ministerial_department' then bodies.code end) as department_code,
    summary.financial_year,
    summary.quarter,
    summary.financial_year || ' Q' || summary.quarter as period,
    summary.action_plan_published,
    summary.action_plan_url,
    summary.ministerial_lead_named,
    summary.senior_official_lead_named,
    summary.meetings_committed,
    summary.meetings_held,
    summary.rejected_applicants,
    summary.rejected_applicants_given_feedback,
    summary.foi_requests,
    summary.foi_answered_in_time,
    summary.grants_awarded_value,
    summary.source_file,
    summary.file_sha256,
    summary.load_id
from summary
left join reference.public_bodies as bodies on bodies.code = summary.body_code

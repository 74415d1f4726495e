-- One row per public body per quarter it made a return for: plan, leads, meetings, feedback, FOI, and whether it came
-- in on time (by the due date of reference.periods; "date not given" when the return does not say when it was sent).
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
    summary.submitted_on,
    calendar.return_due as due_on,
    case when summary.submitted_on is null then 'date not given'
         when summary.submitted_on > calendar.return_due then 'late'
         else 'on time' end as timeliness,
    summary.source_file,
    summary.file_sha256,
    summary.load_id
from summary
left join reference.public_bodies as bodies on bodies.code = summary.body_code
left join reference.periods as calendar on calendar.financial_year = summary.financial_year and calendar.quarter = summary.quarter

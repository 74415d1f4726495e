-- One row per issue, from its events: who it is about, when it was raised and resolved, its status now.
-- Confidential fields never reach the warehouse; this table is the basis of disclosure-controlled counts.
create or replace table marts.issues as
with events as (
    select * from staging.issue_events
),
ordered as (
    select
        *,
        row_number() over (partition by issue_ref order by occurred_at, event_id) as event_order,
        row_number() over (partition by issue_ref order by occurred_at desc, event_id desc) as reverse_order
    from events
),
first_event as (
    select * from ordered where event_order = 1
),
last_event as (
    select issue_ref, event_type as last_event_type, occurred_at as last_event_at from ordered where reverse_order = 1
),
milestones as (
    select
        issue_ref,
        min(occurred_at) filter (where event_type = 'raised') as raised_at,
        max(occurred_at) filter (where event_type in ('resolved', 'closed')) as resolved_at,
        count(*) filter (where event_type = 'reopened') as times_reopened,
        count(*) filter (where event_type = 'escalated') > 0 as escalated,
        count(*) as events
    from events
    group by issue_ref
)
select
    first_event.issue_ref,
    first_event.body_code,
    bodies.body_type,
    first_event.principle,
    first_event.category,
    first_event.reporter_size_band as size_band,
    first_event.district_code,
    places.region_code,
    places.nation_code,
    coalesce(milestones.raised_at, first_event.occurred_at) as raised_at,
    cast(coalesce(milestones.raised_at, first_event.occurred_at) as date) as raised_on,
    first_event.financial_year,
    first_event.quarter,
    first_event.financial_year || ' Q' || first_event.quarter as period,
    case
        when last_event.last_event_type in ('resolved', 'closed') then 'resolved'
        when last_event.last_event_type = 'withdrawn' then 'withdrawn'
        else 'open'
    end as status,
    case when last_event.last_event_type in ('resolved', 'closed') then milestones.resolved_at end as resolved_at,
    case when last_event.last_event_type in ('resolved', 'closed')
         then date_diff('day', coalesce(milestones.raised_at, first_event.occurred_at), milestones.resolved_at) end as days_to_resolve,
    milestones.raised_at is null as raised_event_missing,
    milestones.resolved_at < milestones.raised_at as resolved_before_raised,
    milestones.times_reopened,
    milestones.escalated,
    milestones.events
from first_event
join milestones using (issue_ref)
join last_event using (issue_ref)
left join reference.public_bodies as bodies on bodies.code = first_event.body_code
left join reference.localities as places on places.gss_code = first_event.district_code

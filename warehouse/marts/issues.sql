-- One row per issue, from its events as loaded (staging.issue_events): who it is about, when it was raised and
-- first resolved, its status now. Confidential fields never reach the warehouse; this table is the basis of
-- disclosure-controlled counts.
--
-- The lifecycle (data_contracts/issue_events.yaml says the same):
-- - Order: an issue's events count in the order they happened (occurred_utc: occurred_at is the UK clock time,
--   which runs an hour back each October); events at one time in the order raised,
--   acknowledged, escalated, withdrawn, resolved, closed, reopened (the same order etl/sources/issues.py judges by).
-- - The ETL has already quarantined every event before the issue's raising, every `raised` after its first one,
--   and every event but `reopened` that comes after a `withdrawn` or `closed` with no `reopened` between. So no
--   loaded event comes before the loaded raising, and a closure or withdrawal is followed only by a reopening.
-- - Status: an issue is open from its raising, and again from each reopening, until its next `resolved`, `closed`
--   or `withdrawn`, which decides it: 'resolved' (resolved or closed) or 'withdrawn'. Events after that and before
--   a reopening do not change it (closing a resolved issue is normal; an acknowledgement after a resolution, or a
--   withdrawal of a resolved issue, leaves it resolved). With none since the last opening it is 'open'.
-- - Resolution: the first `resolved` or `closed` event (closing is the resolution of an issue closed with no
--   `resolved` event before it). resolved_at and days_to_resolve are the first resolution's, even when the issue
--   was reopened and resolved again since, and are set only for issues whose status is 'resolved'.
--   days_to_resolve counts calendar days from the raising to the first resolution, so it is never negative.
-- - An issue whose `raised` event is not loaded (missing or quarantined) is taken as raised at its first loaded
--   event, and flagged raised_event_missing.
create or replace table marts.issues as
with events as (
    select
        *,
        row_number() over (
            partition by issue_ref
            order by occurred_utc,
                     case event_type when 'raised' then 0 when 'acknowledged' then 1 when 'escalated' then 2
                                     when 'withdrawn' then 3 when 'resolved' then 4 when 'closed' then 5
                                     when 'reopened' then 6 end,
                     event_id
        ) as event_order
    from staging.issue_events
),
first_event as (
    select * from events where event_order = 1
),
last_opening as (
    -- the last reopening (0 when never reopened: the issue is open from its first event)
    select issue_ref, coalesce(max(event_order) filter (where event_type = 'reopened'), 0) as opened_order
    from events
    group by issue_ref
),
outcome as (
    -- the first resolved, closed or withdrawn event since the last opening: it decides the status
    select events.issue_ref, arg_min(events.event_type, events.event_order) as outcome_type
    from events
    join last_opening using (issue_ref)
    where events.event_type in ('resolved', 'closed', 'withdrawn') and events.event_order > last_opening.opened_order
    group by events.issue_ref
),
milestones as (
    select
        issue_ref,
        arg_min(occurred_at, event_order) filter (where event_type = 'raised') as raised_at,
        arg_min(occurred_at, event_order) filter (where event_type in ('resolved', 'closed')) as first_resolved_at,
        count(*) filter (where event_type = 'reopened') as times_reopened,
        count(*) filter (where event_type = 'escalated') > 0 as escalated,
        count(*) as events
    from events
    group by issue_ref
),
issues as (
    select
        first_event.*,
        coalesce(milestones.raised_at, first_event.occurred_at) as issue_raised_at,
        case
            when outcome.outcome_type in ('resolved', 'closed') then 'resolved'
            when outcome.outcome_type = 'withdrawn' then 'withdrawn'
            else 'open'
        end as issue_status,
        milestones.first_resolved_at,
        milestones.raised_at is null as raised_event_missing,
        milestones.times_reopened,
        milestones.escalated,
        milestones.events as event_count
    from first_event
    join milestones using (issue_ref)
    left join outcome using (issue_ref)
)
select
    issues.issue_ref,
    issues.body_code,
    bodies.body_type,
    issues.principle,
    issues.category,
    issues.reporter_size_band as size_band,
    issues.district_code,
    places.region_code,
    places.nation_code,
    issues.issue_raised_at as raised_at,
    cast(issues.issue_raised_at as date) as raised_on,
    issues.financial_year,
    issues.quarter,
    issues.financial_year || ' Q' || issues.quarter as period,
    issues.issue_status as status,
    case when issues.issue_status = 'resolved' then issues.first_resolved_at end as resolved_at,
    case when issues.issue_status = 'resolved'
         then date_diff('day', issues.issue_raised_at, issues.first_resolved_at) end as days_to_resolve,
    issues.raised_event_missing,
    issues.times_reopened,
    issues.escalated,
    issues.event_count as events
from issues
left join reference.public_bodies as bodies on bodies.code = issues.body_code
left join reference.localities as places on places.gss_code = issues.district_code

-- One row per public consultation (as last reported): its length in weeks and whether it met the Compact's
-- 12-week standard (or stated a reason for a shorter period), and whether a response was published.
create or replace table marts.consultations as
with reported as (
    select *, row_number() over (partition by body_code, consultation_ref order by financial_year desc, quarter desc) as latest
    from staging.return_consultations
)
select
    body_code, financial_year, quarter, financial_year || ' Q' || quarter as period,
    consultation_ref, title, opened_on, closed_on,
    date_diff('day', opened_on, closed_on) / 7.0 as weeks_open,
    date_diff('day', opened_on, closed_on) >= 84 as open_twelve_weeks,
    shorter_period_reason,
    date_diff('day', opened_on, closed_on) >= 84 or shorter_period_reason is not null as meets_consultation_standard,
    civil_society_involved_early,
    response_published_on,
    response_published_on is not null as response_published,
    source_file, source_row, load_id
from reported
where latest = 1

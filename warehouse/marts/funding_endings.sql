-- One row per funding ending: notice given in days, whether it met three months' written notice, and whether
-- a written rationale was given.
create or replace table marts.funding_endings as
select
    body_code, financial_year, quarter, financial_year || ' Q' || quarter as period,
    ending_ref, recipient_org_id, funding_ended_on, notice_given_on,
    date_diff('day', notice_given_on, funding_ended_on) as notice_days,
    coalesce(notice_given_on <= funding_ended_on - interval 3 month, false) as three_months_notice,
    written_rationale,
    source_file, source_row, load_id
from staging.return_funding_endings

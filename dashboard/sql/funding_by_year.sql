-- Funding headlines per financial year, optionally for one type of public body.
-- Shares are of the awards that state the field; `*_unknown` counts the awards that do not.
select
    financial_year,
    count(*) as awards,
    sum(amount_gbp) as amount,
    avg(case when smaller_organisation then 1.0 when smaller_organisation = false then 0.0 end) as share_awards_smaller,
    sum(case when smaller_organisation then amount_gbp end) / nullif(sum(case when smaller_organisation is not null then amount_gbp end), 0) as share_amount_smaller,
    count(*) filter (where smaller_organisation is null) as smaller_unknown,
    avg(case when duration_months >= 24 then 1.0 when duration_months is not null then 0.0 end) as share_24_months,
    count(*) filter (where duration_months is null) as duration_unknown,
    avg(case when paid_in_advance then 1.0 when paid_in_advance = false then 0.0 end) as share_paid_in_advance,
    count(*) filter (where paid_in_advance is null) as paid_in_advance_unknown
from marts.awards
where $body_type is null or body_type = $body_type
group by financial_year
order by financial_year

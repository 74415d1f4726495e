-- marts.issue_figures: every count of issues that an issue indicator publishes (raised, resolved, still open, not
-- resolved within 90 days, raised about reprisal), for every cell disclosure control covers, with what it decided:
-- published (the count is given; zeros too), suppressed (a count from 1 to 4, or one that would let such a count be
-- worked out: at least 1) or withheld (a part of a group too small to break down: at least 0). From
-- `issue_figure_statuses` (etl/disclosure.py), whose true counts of figures not published never leave the build.
create or replace table marts.issue_figures as
select
    figure,
    period_level,
    financial_year,
    quarter,
    financial_year || coalesce(' Q' || quarter, '') as period,
    breakdown,
    breakdown_code,
    case when status = 'published' then count end as count,
    status
from issue_figure_statuses
where figure <> 'median'  -- a median's status decides whether marts.indicator_values shows it; it is no count
order by figure, period_level, financial_year, quarter, breakdown, breakdown_code nulls first

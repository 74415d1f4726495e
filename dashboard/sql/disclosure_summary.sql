-- Disclosure control of the issue figures, by breakdown: how many counts are published, suppressed ([c]: a count
-- from 1 to 4, or one that would let such a count be worked out) and withheld ([c]: part of a total too small to break
-- down), zeros included.
select
    breakdown,
    period_level,
    count(*) as counts,
    count(*) filter (where status = 'published') as published,
    count(*) filter (where status = 'suppressed') as suppressed,
    count(*) filter (where status = 'withheld') as withheld
from marts.issue_figures
group by breakdown, period_level
order by period_level desc, min(case breakdown when 'all' then 0 else 1 end), breakdown

-- return_periods.sql for a release built before returns said when they were sent: none is counted as late.
select body_code, period, 'date not given' as timeliness from marts.body_quarters order by body_code, period

-- Every quarter each public body made a return for (marts.body_quarters), and whether it came in on time, for the
-- coverage of returns.
select body_code, period, timeliness from marts.body_quarters order by body_code, period

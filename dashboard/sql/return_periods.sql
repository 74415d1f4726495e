-- Every quarter each public body made a return for (marts.body_quarters), for the coverage of returns.
select body_code, period from marts.body_quarters order by body_code, period

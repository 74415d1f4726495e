-- One public body's returns, quarter by quarter: action plan, leads, meetings, feedback, FOI.
select * from marts.body_quarters where body_code = $body_code order by financial_year, quarter

-- marts.body_quarters for the chosen public body or type of body and quarters.
select t.* from marts.body_quarters as t
left join reference.public_bodies as bodies on bodies.code = t.body_code
where t.financial_year || ' Q' || t.quarter between $from_period and $to_period
  and ($body is null or t.body_code = $body)
  and ($body_type is null or bodies.body_type = $body_type)
order by t.financial_year, t.quarter, t.body_code
limit $limit

-- The rows an indicator's formula returns, one per record it counts, before aggregation, in these columns (those a
-- formula leaves out are null): etl/indicators.py puts the formula after this, `union all by name`, and the whole
-- is `indicator_records` within the one statement that reads it (warehouse/engine/facts.sql), never a view kept in
-- the session. Not a table: ten million award records would fill DuckDB's memory. A record counts towards its
-- quarter and every range of quarters that holds it, unless it is a stock (`stock_of` set: what a body or place has
-- at a quarter's end, such as an action plan or a population), which counts in a range only in the latest quarter
-- the range holds for the same `stock_of`.
select
    cast(null as varchar) as financial_year,
    cast(null as integer) as quarter,
    cast(null as varchar) as body_code,
    cast(null as varchar) as body_type,
    cast(null as varchar) as nation_code,
    cast(null as varchar) as region_code,
    cast(null as varchar) as district_code,
    cast(null as varchar) as size_band,
    cast(null as boolean) as smaller_organisation,
    cast(null as varchar) as principle,
    cast(null as varchar) as category,
    cast(null as double) as numerator,
    cast(null as double) as denominator,
    cast(null as boolean) as lacking,
    cast(null as double) as measure,
    cast(null as varchar) as subject,  -- what a count of different things counts (an organisation, a district)
    cast(null as varchar) as stock_of,  -- what a stock is of (a body, a district); null for a flow
    cast(null as varchar) as issue_ref  -- the issue an issue-derived record comes from
where false

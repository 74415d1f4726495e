-- The rows an indicator's formula returns, one per record it counts, before aggregation: `indicator_records`, a view
-- over the formula of the indicator being built (etl/indicators.py makes it, in these columns: those a formula
-- leaves out are null). A view, not a table: ten million award records would fill DuckDB's memory. A record counts
-- towards its quarter and every range of quarters that holds it, unless it is a stock (`stock_of` set: what a body or
-- place has at a quarter's end, such as an action plan or a population), which counts in a range only in the latest
-- quarter the range holds for the same `stock_of`.
create or replace temp table indicator_record_columns (
    financial_year varchar,
    quarter integer,
    body_code varchar,
    body_type varchar,
    nation_code varchar,
    region_code varchar,
    district_code varchar,
    size_band varchar,
    smaller_organisation boolean,
    principle varchar,
    category varchar,
    numerator double,
    denominator double,
    lacking boolean,
    measure double,
    subject varchar,  -- what a count of different things counts (an organisation, a district)
    stock_of varchar,  -- what a stock is of (a body, a district); null for a flow
    issue_ref varchar  -- the issue an issue-derived record comes from
);

create or replace temp view indicator_records as select * from indicator_record_columns

-- The rows an indicator's formula returns, one per record it counts, before aggregation: `indicator_records`, a view
-- over the formula of the indicator being built (etl/indicators.py makes it, in these columns: those a formula
-- leaves out are null). A view, not a table: ten million award records would fill DuckDB's memory. A record counts
-- towards its quarter (when `quarter` is set) and towards its financial year (unless `for_year` is false: a stock
-- measured at the end of each quarter counts only its last quarter towards the year).
create or replace temp table indicator_record_columns (
    financial_year varchar,
    quarter integer,
    for_year boolean,
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
    subject varchar,
    issue_ref varchar  -- the issue an issue-derived record comes from
);

create or replace temp view indicator_records as select * from indicator_record_columns

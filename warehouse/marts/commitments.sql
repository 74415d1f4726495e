-- One row per commitment in a body's action plan per quarter, with its status at the end of that quarter.
create or replace table marts.commitments as
select
    body_code, financial_year, quarter, financial_year || ' Q' || quarter as period,
    commitment_ref, principle, commitment, lower(status) as status, due_date,
    source_file, source_row, load_id
from staging.return_commitments

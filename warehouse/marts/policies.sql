-- One row per new policy, law, guidance or design project: impact on civil society assessed, civil society
-- involved before options were set, and the agreements made under it with an advocacy-restricting clause.
create or replace table marts.policies as
select
    body_code, financial_year, quarter, financial_year || ' Q' || quarter as period,
    policy_ref, title, lower(kind) as kind, impact_assessed, civil_society_involved_early,
    new_agreements, agreements_with_advocacy_clause,
    source_file, source_row, load_id
from staging.return_policies

-- Period helpers for the models: a date's UK financial year ('2025-26') and quarter (1 = April to June).
create or replace macro financial_year_of(day) as
    cast(year(day) - (month(day) < 4)::integer as varchar) || '-'
    || lpad(cast((year(day) - (month(day) < 4)::integer + 1) % 100 as varchar), 2, '0');
create or replace macro financial_quarter_of(day) as ((month(day) + 8) % 12) // 3 + 1;

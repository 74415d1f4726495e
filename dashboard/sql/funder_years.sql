-- Every funder's awards by financial year (marts.awards): how many awards, from how many of its files, and its
-- latest award date, for which funders' files are in for each year.
select
    coalesce(body_name, funding_org_name) as funder,
    financial_year,
    count(*) as awards,
    count(distinct source_file) as files,
    max(award_date) as latest_award
from marts.awards
group by all
order by funder, financial_year

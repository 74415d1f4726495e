-- Awards and funding by the recipient's size band in one financial year, for the chosen funder and place.
select
    bands.code as size_band, bands.name, bands.sort_order,
    count(awards.grant_id) as awards,
    coalesce(sum(awards.amount_gbp), 0) as amount,
    median(awards.amount_gbp) as median_amount,
    median(awards.duration_months) as median_months
from reference.size_bands as bands
left join marts.awards as awards
    on awards.size_band = bands.code and awards.financial_year = $financial_year
   and ($body is null or awards.body_code = $body) and ($body_type is null or awards.body_type = $body_type)
   and ($district is null or awards.district_code = $district) and ($region is null or awards.region_code = $region)
   and ($nation is null or awards.nation_code = $nation)
group by all
order by bands.sort_order

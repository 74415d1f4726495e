-- Awards and funding by the recipient's size band in one financial year, for the chosen funder and place: the awards
-- chosen are aggregated first, then joined to the bands (every band shown, with none where it has no award).
with chosen as (
    select size_band, count(*) as awards, sum(amount_gbp) as amount, median(amount_gbp) as median_amount,
           median(duration_months) as median_months
    from marts.awards
    where financial_year = $financial_year
      and ($body is null or body_code = $body) and ($body_type is null or body_type = $body_type)
      and ($district is null or district_code = $district) and ($region is null or region_code = $region)
      and ($nation is null or nation_code = $nation)
    group by size_band
)
select
    bands.code as size_band, bands.name, bands.sort_order,
    coalesce(chosen.awards, 0) as awards,
    coalesce(chosen.amount, 0) as amount,
    chosen.median_amount,
    chosen.median_months
from reference.size_bands as bands
left join chosen on chosen.size_band = bands.code
order by bands.sort_order

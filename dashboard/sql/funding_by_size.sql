-- Awards and funding by the recipient's size band in the quarters $from_period to $to_period, for the chosen funder
-- and place: the awards chosen are aggregated first, then joined to the bands (every band shown, with none where it
-- has no award). A combined authority is its districts (no join of every award to its place).
with chosen as (
    select awards.size_band, count(*) as awards, sum(awards.amount_gbp) as amount, median(awards.amount_gbp) as median_amount,
           median(awards.duration_months) as median_months
    from marts.awards as awards
    where awards.period between $from_period and $to_period
      and ($body is null or awards.body_code = $body) and ($body_type is null or awards.body_type = $body_type)
      and ($district is null or awards.district_code = $district) and ($region is null or awards.region_code = $region)
      and ($nation is null or awards.nation_code = $nation)
      and ($combined_authority is null or awards.district_code in (
          select gss_code from reference.localities where combined_authority_code = $combined_authority))
    group by awards.size_band
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

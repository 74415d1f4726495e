-- Awards, as loaded from the funders' 360Giving files, for the chosen funder, place, recipient size (a band, or smaller or larger organisations)
-- and quarters.
select * from marts.awards
where period between $from_period and $to_period
  and ($body is null or body_code = $body)
  and ($body_type is null or body_type = $body_type)
  and ($district is null or district_code = $district)
  and ($region is null or region_code = $region)
  and ($nation is null or nation_code = $nation)
  and ($size is null or size_band = $size or ($size = 'smaller' and smaller_organisation)
       or ($size = 'larger' and not smaller_organisation))
  and ($combined_authority is null
       or district_code in (select gss_code from reference.localities where combined_authority_code = $combined_authority))
order by award_date, grant_id
limit $limit

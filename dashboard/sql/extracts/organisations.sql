-- The organisation register, for the chosen place and size.
select * from marts.organisations
where ($district is null or district_code = $district)
  and ($region is null or region_code = $region)
  and ($nation is null or nation_code = $nation)
  and ($size is null or size_band = $size or ($size = 'smaller' and smaller_organisation)
       or ($size = 'larger' and not smaller_organisation))
  and ($combined_authority is null
       or district_code in (select gss_code from reference.localities where combined_authority_code = $combined_authority))
order by org_id
limit $limit

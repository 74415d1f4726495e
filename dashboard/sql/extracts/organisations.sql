-- The organisation register, for the chosen place and size.
select * from marts.organisations
where ($district is null or district_code = $district)
  and ($region is null or region_code = $region)
  and ($nation is null or nation_code = $nation)
  and ($size is null or size_band = $size)
order by org_id
limit $limit

-- Awards, as loaded from the funders' 360Giving files, for the chosen funder, place, recipient size and years.
select * from marts.awards
where financial_year between $from_year and $to_year
  and ($body is null or body_code = $body)
  and ($body_type is null or body_type = $body_type)
  and ($district is null or district_code = $district)
  and ($region is null or region_code = $region)
  and ($nation is null or nation_code = $nation)
  and ($size is null or size_band = $size)
order by award_date, grant_id
limit $limit

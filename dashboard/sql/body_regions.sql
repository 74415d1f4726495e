-- Each public body's region (local bodies in England; null for national bodies and those elsewhere).
select code, region_code from reference.public_bodies order by code

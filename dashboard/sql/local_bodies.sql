-- The local public bodies in a place ($place: a nation, region or district GSS code), by type and name.
select bodies.code, bodies.name, types.name as body_type
from reference.public_bodies as bodies
join reference.body_types as types on types.code = bodies.body_type
where types.scope = 'local' and $place in (bodies.gss_code, bodies.region_code, bodies.nation_code)
order by types.sort_order, bodies.name

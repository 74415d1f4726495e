-- The district hex map's layout (when a HexJSON layout has been loaded): each district's position.
select gss_code, name, q, r, layout from reference.hex_layout order by r, q

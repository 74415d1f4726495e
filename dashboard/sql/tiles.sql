-- The UK tile map: England's regions and the other three nations, with each tile's position.
select gss_code, name, level, tile_col, tile_row from reference.localities where tile_col is not null order by tile_row, tile_col

"""Localities: a map of nations and regions (and of districts when a HexJSON layout has been loaded), rankings,
and the local public bodies of the place chosen."""

import math
from urllib.parse import quote

import polars as pl
import streamlit as st

from dashboard import compare, components, figures, filters, layout, queries
from dashboard import format as fmt
from warehouse.indicators import shown_on

layout.page_header(
    "Localities",
    "How places compare: funding per head and the other indicators published by nation, region and district, on a "
    "map and as a ranking, with the local public bodies of the place you choose in the filters.",
)
info = layout.data_status()
if info is None:
    st.stop()
selection = filters.sidebar()
chosen_place = next(((b, code) for _, b, code in selection.chosen_breakdowns if b in compare.PLACES), None)
if chosen_place:  # a briefing on the place chosen (the district, combined authority, region or nation)
    components.briefing_download(dict([chosen_place]), selection.names[next(k for k, b, _ in selection.chosen_breakdowns
                                                                            if b == chosen_place[0])])
declared = queries.indicators().filter(pl.col("breakdowns").list.contains("region") & ~pl.col("disclosure_controlled"))
names = dict(zip(declared["indicator_id"], declared["name"], strict=True))
[opens_on] = shown_on("localities", "map")
indicator_id = filters.page_choice("Indicator", list(names), "place_indicator", format_func=names.get,
                                  default=list(names).index(opens_on) if opens_on in names else 0)
indicator = declared.filter(pl.col("indicator_id") == indicator_id).row(0, named=True)
span = selection.headline_span(info["as_of"])
period = figures.span_name(*span)
unit = indicator["unit"]
window = [figures.span(figures.NOW, *span)]
hexes = queries.run("hex_layout")
level = "districts" if hexes.height and st.radio("Map", ["nations and regions", "districts"], horizontal=True,
                                                 key="place_map") == "districts" else "nations and regions"
places = ("district",) if level == "districts" else ("region", "nation")
kept = selection.without("nation", "combined_authority")  # the map shows every place, with the other filters
values = pl.concat([queries.figures([indicator_id], window, b, kept) for b in places], how="vertical_relaxed").select(
    pl.col("breakdown_code").alias("gss_code"), "value", "numerator", "denominator", "lacking", pl.lit(False).alias("suppressed"))
if not set(selection.record_filters) <= set(indicator["breakdowns"]):
    st.info(components.not_given(indicator, selection))
others = [selection.names[key] for key, b, _ in selection.chosen_breakdowns if b not in compare.PLACES and key != "principle"]
if others:
    st.caption(f"The map and rankings follow the {fmt.markdown_text(', '.join(others))} chosen.")
if level == "districts":
    cells = components.shown(hexes.join(values, on="gss_code", how="left"), unit)
    odd = cells["layout"][0] in ("odd-r", "odd-q")
    x = [q + (0.5 if (r % 2 == 1) == odd else 0) for q, r in zip(cells["q"], cells["r"])]
    y = [-r * math.sqrt(3) / 2 for r in cells["r"]]
    trace = {"type": "scatter", "x": x, "y": y, "mode": "markers",
             "customdata": [(fmt.chart_text(name), shown) for name, shown in cells.select("name", "shown").rows()],
             "hovertemplate": "%{customdata[0]}: %{customdata[1]}<extra></extra>",
             "marker": {"symbol": "hexagon", "size": 14, "color": cells["value"].to_list(), "colorscale": "Cividis_r",
                        "showscale": True, "colorbar": {"title": {"text": unit}}, "line": {"color": "#ffffff", "width": 1}}}
    height, y_axis = 640, {"scaleanchor": "x"}
else:
    # a tile per English region and per other nation, laid out roughly as on a map
    cells = components.shown(queries.run("tiles").join(values, on="gss_code", how="left"), unit)
    rows, cols = int(cells["tile_row"].max()) + 1, int(cells["tile_col"].max()) + 1
    z = [[None] * cols for _ in range(rows)]
    text = [[""] * cols for _ in range(rows)]
    for row in cells.iter_rows(named=True):
        z[row["tile_row"]][row["tile_col"]] = row["value"]
        text[row["tile_row"]][row["tile_col"]] = f"{fmt.chart_text(row['name'])}<br>{row['shown']}"
    trace = {"type": "heatmap", "z": z, "text": text, "texttemplate": "%{text}", "textfont": {"size": 13}, "hoverinfo": "text",
             "colorscale": "Cividis_r", "xgap": 6, "ygap": 6, "colorbar": {"title": {"text": unit}}, "hoverongaps": False}
    height, y_axis = 620, {"autorange": "reversed"}
figure = components.figure([trace], height=height, xaxis={"visible": False}, yaxis=y_axis | {"visible": False},
                           plot_bgcolor="#ffffff")
map_view = figures.place_map(cells, indicator, period, level == "districts", bool(hexes.height))
table = cells.select(pl.col("name").alias("Place"), pl.col("gss_code").alias("GSS code"),
                     *components.numbers(cells, {"value": "Value"}, unit),
                     pl.col("numerator").alias("Numerator"), pl.col("denominator").alias("Denominator"),
                     pl.col("lacking").alias("Records lacking the field"))
st.header("The map")
components.chart(map_view.title, map_view.summary, figure, table, file_stem=f"{indicator_id}-map-{period}",
                 sources=tuple(indicator["sources"]), left_out=map_view.left_out)

st.header("Districts ranked")
if "district" in indicator["breakdowns"]:
    components.indicator_breakdown(indicator, "district", selection, span, highlight=selection.chosen("district"))
else:
    st.markdown(components.not_given(indicator, selection))
compare.places(selection, queries.indicators(), span)

place = next((selection.values[k] for k in ("district", "region", "nation") if selection.values.get(k)), None)
if place:
    bodies = queries.run("local_bodies", place=place)
    place_name = selection.names[next(k for k in ("district", "region", "nation") if selection.values.get(k))]
    st.header(f"Local public bodies in {fmt.markdown_text(place_name)}")
    if bodies.is_empty():
        st.markdown("No local public body in the reference is in this place.")
    else:
        st.markdown("\n".join(f"- [{fmt.markdown_text(row['name'])}](public-bodies?body={quote(row['code'])}) "
                              f"({fmt.markdown_text(row['body_type'].lower())})"
                              for row in bodies.iter_rows(named=True)))
else:
    st.caption("Choose a nation, region or district in the filters to list its local public bodies.")

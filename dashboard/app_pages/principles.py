"""Principles: every indicator of one principle, with its trend by quarter and its breakdowns."""

import polars as pl
import streamlit as st

from dashboard import components, filters, layout, queries
from dashboard import format as fmt

layout.page_header(
    "Principles",
    "Every indicator of one Covenant principle: how it is defined and what it rests on, its value quarter by "
    "quarter, and how it varies between public bodies, places and sizes of organisation. Choose the principle "
    "(and any other filter) in the filters. The first indicator's charts are shown; open any other's to see its "
    "charts (a link keeps the ones you opened).",
)
if layout.data_status() is None:
    st.stop()
selection = filters.sidebar()
breakdown, code = selection.cell
principles = queries.filter_options().filter(pl.col("filter") == "principle")
names = dict(zip(principles["code"], principles["name"], strict=True))
principle = selection.principle or principles["code"][0]
declared = queries.indicators().filter(pl.col("principle") == principle)
st.header(names[principle])
if not selection.principle:
    st.caption("Showing the first principle; choose another in the filters.")

quarters = queries.indicator_values(breakdown, code, selection.from_period, selection.to_period, period_level="quarter")
years = queries.indicator_values(breakdown, code, selection.from_period, selection.to_period)

# the principle at a glance: every indicator's latest complete year (a year to date when that is all there is)
glance = declared.select("indicator_id", "name", "unit", "sort_order").join(
    components.latest_years(years).drop("name", "unit", "sort_order"), on="indicator_id", how="inner").sort("sort_order")
if glance.height:
    st.markdown(f"**At a glance: {selection.describe()}** (each indicator's latest complete financial year)")
    glance = components.shown(glance)
    st.dataframe(glance.select(
        pl.col("name").alias("Indicator"),
        pl.col("period").alias("Year"),
        pl.col("shown").alias("Value"),
        fmt.text_column("Since the year before", fmt.indicator_change, glance, "change_since_previous", "unit"),
        fmt.text_column("Since 2024-25", fmt.indicator_change, glance, "change_since_baseline", "unit"),
        pl.col("rag").str.to_titlecase().fill_null("No threshold").alias("RAG"),
    ), hide_index=True)

quarters_of = {key: rows for (key,), rows in quarters.partition_by("indicator_id", as_dict=True).items()}
years_of = {key: rows for (key,), rows in years.partition_by("indicator_id", as_dict=True).items()}
shown = False  # the first published indicator's charts are drawn as the page opens; the others' when opened
for indicator in declared.iter_rows(named=True):
    st.subheader(indicator["name"])
    st.markdown(indicator["definition"])
    st.caption(f"Rests on: {indicator['basis']}" + (" Proposed by the sector, not an existing obligation."
                                                    if indicator["proposed_by_sector"] else ""))
    series = quarters_of.get(indicator["indicator_id"], quarters.clear())
    if series.is_empty():
        st.info(f"Not published for {selection.describe()}: this indicator is given by "
                f"{', '.join(components.BREAKDOWN_WORDS.get(b, b) for b in indicator['breakdowns'] if b != 'all')}.")
        continue
    if shown:  # closed unless opened (kept in the link); never open by default, so a view's first stays its own
        charts = st.expander(f"Trend by quarter and comparison: {indicator['name']}", key=f"charts-{indicator['indicator_id']}",
                             bind="query-params")
        if not charts.open:
            continue
    else:
        charts, shown = st.container(), True
    with charts:
        components.indicator_trend(indicator, series, selection.describe())
        options = sorted((b for b in indicator["breakdowns"] if b != "all"), key=lambda b: b != "body_type")  # peers first
        year_rows = years_of.get(indicator["indicator_id"], years.clear())
        if not options or year_rows.is_empty():
            continue
        latest = year_rows.filter(pl.col("period_complete")).select(pl.col("period").max()).item() or year_rows["period"].max()
        by = filters.page_choice(f"Compare {indicator['name'].lower()} in {latest} by", options, f"by-{indicator['indicator_id']}",
                                 format_func=lambda b: components.BREAKDOWN_WORDS.get(b, b))
        components.indicator_breakdown(indicator, by, latest, filtered=breakdown != "all")

"""Principles: every indicator of one principle, with its trend by quarter and its breakdowns."""

import plotly.graph_objects as go
import polars as pl
import streamlit as st

from dashboard import components, filters, layout, queries
from dashboard import format as fmt

layout.page_header(
    "Principles",
    "Every indicator of one Covenant principle: how it is defined and what it rests on, its value quarter by "
    "quarter, and how it varies between public bodies, places and sizes of organisation. Choose the principle "
    "(and any other filter) in the filters.",
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

quarters = queries.indicator_values(breakdown, code, selection.from_year, selection.to_year, period_level="quarter")
years = queries.indicator_values(breakdown, code, selection.from_year, selection.to_year)
BREAKDOWN_WORDS = {"public_body": "public body", "body_type": "type of public body", "nation": "nation", "region": "region",
                   "district": "district", "size_band": "organisation size",
                   "smaller_organisation": "smaller and larger organisations", "principle": "principle", "category": "issue category"}

for indicator in declared.iter_rows(named=True):
    st.subheader(indicator["name"])
    st.markdown(indicator["definition"])
    st.caption(f"Rests on: {indicator['basis']}" + (" Proposed by the sector, not an existing obligation."
                                                    if indicator["proposed_by_sector"] else ""))
    series = quarters.filter(pl.col("indicator_id") == indicator["indicator_id"])
    if series.is_empty():
        st.info(f"Not published for {selection.describe()}: this indicator is given by "
                f"{', '.join(BREAKDOWN_WORDS.get(b, b) for b in indicator['breakdowns'] if b != 'all')}.")
        continue
    unit = indicator["unit"]
    shown = series.with_columns(
        pl.struct("value", "suppressed").map_elements(lambda r: fmt.indicator_value(r["value"], unit, r["suppressed"]),
                                                      return_dtype=pl.Utf8).alias("shown"))
    figure = go.Figure(go.Scatter(x=shown["period"], y=shown["value"], mode="lines+markers", name=indicator["name"],
                                  text=shown["shown"], hovertemplate="%{x}: %{text}<extra></extra>"))
    figure.update_layout(xaxis_title="Quarter", yaxis_title=unit.capitalize(), showlegend=False)
    published = shown.filter(pl.col("value").is_not_null())
    if published.height:
        last = published.row(-1, named=True)
        first = published.row(0, named=True)
        summary = (f"{fmt.indicator_value(last['value'], unit)} in {last['period']}"
                   + (f", {'up' if last['value'] > first['value'] else 'down' if last['value'] < first['value'] else 'unchanged'} "
                      f"from {fmt.indicator_value(first['value'], unit)} in {first['period']}." if published.height > 1 else "."))
    else:
        summary = "Every quarter is suppressed to protect the confidentiality of the people who raised issues."
    if shown["suppressed"].any():
        summary += f" {shown['suppressed'].sum()} quarters are suppressed ([c]): fewer than 5 issues, or one could be worked out."
    table = shown.select(pl.col("period").alias("Quarter"), pl.col("shown").alias("Value"),
                         pl.col("numerator").alias("Numerator"), pl.col("denominator").alias("Denominator"),
                         pl.col("lacking").alias("Records lacking the field"), pl.col("rag").alias("RAG"))
    components.chart(f"{indicator['name']} by quarter", summary, figure, table,
                     file_stem=f"{indicator['indicator_id']}-by-quarter-{selection.describe()}",
                     left_out=f"{fmt.count(series['lacking'].sum())} records left out for lacking {indicator['needs']}.")

    options = sorted((b for b in indicator["breakdowns"] if b != "all"), key=lambda b: b != "body_type")  # peers first
    year_rows = years.filter(pl.col("indicator_id") == indicator["indicator_id"])
    if not options or year_rows.is_empty():
        continue
    latest = year_rows.filter(pl.col("period_complete")).select(pl.col("period").max()).item() or year_rows["period"].max()
    by = st.selectbox(f"Compare {indicator['name'].lower()} in {latest} by", options,
                      format_func=lambda b: BREAKDOWN_WORDS.get(b, b), key=f"by-{indicator['indicator_id']}")
    cells = queries.indicator_breakdown(indicator["indicator_id"], by, latest)
    cells = cells.with_columns(
        pl.struct("value", "suppressed").map_elements(lambda r: fmt.indicator_value(r["value"], unit, r["suppressed"]),
                                                      return_dtype=pl.Utf8).alias("shown"))
    ranked = cells.filter(pl.col("value").is_not_null())
    bars = go.Figure(go.Bar(x=ranked["value"], y=ranked["breakdown_name"], orientation="h", text=ranked["shown"],
                            hovertemplate="%{y}: %{text}<extra></extra>"))
    bars.update_layout(yaxis_autorange="reversed", xaxis_title=unit.capitalize(), height=max(300, 22 * ranked.height + 80))
    top, bottom = (ranked.row(0, named=True), ranked.row(-1, named=True)) if ranked.height else (None, None)
    if top and top["value"] != bottom["value"]:
        summary = (f"In {latest}, {top['breakdown_name']} had the highest value ({top['shown']}) and "
                   f"{bottom['breakdown_name']} the lowest ({bottom['shown']}) of {ranked.height} shown.")
    elif top:
        summary = f"In {latest}, {'the one' if ranked.height == 1 else f'all {ranked.height}'} shown had {top['shown']}."
    else:
        summary = f"No {BREAKDOWN_WORDS.get(by, by)} has a value in {latest}."
    hidden = cells.filter(pl.col("value").is_null())
    if hidden.height:
        summary += f" {hidden.height} have no value shown (suppressed, or nothing counted)."
    table = cells.select(pl.col("breakdown_name").alias(BREAKDOWN_WORDS.get(by, by).capitalize()), pl.col("breakdown_code").alias("Code"),
                         pl.col("shown").alias("Value"), pl.col("numerator").alias("Numerator"),
                         pl.col("denominator").alias("Denominator"), pl.col("lacking").alias("Records lacking the field"),
                         pl.col("rag").alias("RAG"))
    components.chart(f"{indicator['name']} by {BREAKDOWN_WORDS.get(by, by)}, {latest}", summary, bars, table,
                     file_stem=f"{indicator['indicator_id']}-by-{by}-{latest}")

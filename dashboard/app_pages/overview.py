"""Overview: each principle's headline figures with their change and RAG status, what changed most, and when the
data was loaded and whether it passed validation."""

import plotly.graph_objects as go
import polars as pl
import streamlit as st

from dashboard import components, filters, layout, queries
from dashboard import format as fmt

layout.page_header(
    "Overview",
    "How public bodies are doing against the Civil Society Covenant: the headline figure for each principle in the "
    "latest financial year, its change since the year before and since the 2024-25 baseline, and its RAG status "
    "where a standard sets a threshold. Use the filters to see one public body, type of body, place or size of "
    "organisation.",
)
info = layout.data_status()
if info is None:
    st.stop()
selection = filters.sidebar()
breakdown, code = selection.cell
declared = queries.indicators()
values = queries.indicator_values(breakdown, code, selection.from_year, selection.to_year)
if selection.principle:
    declared = declared.filter(pl.col("principle") == selection.principle)
    values = values.filter(pl.col("principle") == selection.principle)
if values.is_empty():
    st.warning(f"There are no figures for {selection.describe()}. Widen the financial years or clear a filter.")
    st.stop()

values = values.with_columns(
    pl.when(pl.col("period_complete")).then(pl.col("period")).otherwise(pl.format("{} (to date)", "period")).alias("period_label"))
latest = values.group_by("indicator_id").agg(pl.all().sort_by("financial_year").last())
definitions = dict(zip(declared["indicator_id"], declared["definition"], strict=True))
needs = dict(zip(declared["indicator_id"], declared["needs"], strict=True))
st.caption(f"Figures for {selection.describe()}. Latest year: {latest['period_label'].max()}.")

principles = queries.filter_options().filter(pl.col("filter") == "principle")
for principle, name in zip(principles["code"], principles["name"], strict=True):
    chosen = declared.filter((pl.col("principle") == principle) & pl.col("headline"))
    rows = latest.filter(pl.col("indicator_id").is_in(chosen["indicator_id"].to_list())).sort("sort_order")
    if rows.is_empty():
        continue
    st.subheader(name)
    columns = st.columns(max(rows.height, 2))
    for column, row in zip(columns, rows.iter_rows(named=True)):
        components.headline(column, row | {"needs": needs[row["indicator_id"]]}, definitions[row["indicator_id"]])

# what changed most: the change since the previous year, the right way round for each indicator
sign = pl.when(pl.col("direction") == "lower").then(-1).when(pl.col("direction") == "higher").then(1).otherwise(None)
moved = (latest.filter(pl.col("change_since_previous").is_not_null() & (pl.col("direction") != "none"))
         .with_columns((pl.col("change_since_previous") * sign).alias("better_by"))
         .filter(pl.col("unit").is_in(fmt.PERCENT_UNITS)).sort("better_by"))
if moved.height:
    st.subheader("What changed most since the year before")
    worse, better = moved.head(3).filter(pl.col("better_by") < 0), moved.tail(3).reverse().filter(pl.col("better_by") > 0)
    for title, group in (("Improved most", better), ("Worsened most", worse)):
        if group.height:
            st.markdown(f"**{title}**")
            st.markdown("\n".join(
                f"- {r['name']}: {fmt.indicator_value(r['value'], r['unit'])} in {r['period_label']} "
                f"({fmt.indicator_change(r['change_since_previous'], r['unit'])})" for r in group.iter_rows(named=True)))

# the headline percentages over the years
trend = values.filter(pl.col("indicator_id").is_in(declared.filter(pl.col("headline"))["indicator_id"].to_list())
                      & pl.col("unit").is_in(fmt.PERCENT_UNITS)).sort("sort_order", "financial_year")
if trend.height:
    figure = go.Figure()
    for (indicator_name,), group in trend.group_by("name", maintain_order=True):
        figure.add_trace(go.Scatter(x=group["period_label"], y=group["value"], name=indicator_name, mode="lines+markers",
                                    hovertemplate="%{x}: %{y:.1f}%<extra>" + indicator_name + "</extra>"))
    figure.update_layout(yaxis_title="Per cent", yaxis_range=[0, 105], xaxis_title="Financial year",
                         legend=dict(orientation="h", y=-0.25))
    first_year, last_year = trend["financial_year"].min(), trend["financial_year"].max()
    ends = trend.group_by("indicator_id").agg(pl.col("value").sort_by("financial_year").first().alias("first"),
                                               pl.col("value").sort_by("financial_year").last().alias("last"))
    rose = ends.filter(pl.col("last") > pl.col("first")).height
    summary = (f"Of the {ends.height} headline percentages, {rose} rose and {ends.height - rose} did not between "
               f"{first_year} and {last_year}." if first_year != last_year else
               f"The headline percentages in {first_year}; choose more years to see the trend.")
    table = trend.select(pl.col("name").alias("Indicator"), pl.col("period_label").alias("Financial year"),
                         pl.col("value").round(1).alias("Value (%)"), pl.col("numerator").alias("Numerator"),
                         pl.col("denominator").alias("Denominator"), pl.col("lacking").alias("Records lacking the field"),
                         pl.col("rag").alias("RAG"))
    components.chart("Headline percentages by financial year", summary, figure, table,
                     file_stem=f"headline-percentages-{selection.describe()}",
                     left_out=f"Records left out for lacking the field they need: {fmt.count(trend['lacking'].sum())} across these figures.")

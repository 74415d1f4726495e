"""Overview: each principle's headline figures with their change and RAG status, what changed most, and when the
data was loaded and whether it passed validation."""

import polars as pl
import streamlit as st

from dashboard import components, filters, layout, queries
from dashboard import format as fmt
from etl import periods

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
values = queries.indicator_values(breakdown, code, selection.from_period, selection.to_period)
if selection.principle:
    declared = declared.filter(pl.col("principle") == selection.principle)
    values = values.filter(pl.col("principle") == selection.principle)
if values.is_empty():
    st.warning(f"There are no figures for {selection.describe()}. Widen the financial years or clear a filter.")
    st.stop()

values = values.with_columns(
    pl.when(pl.col("period_complete")).then(pl.col("period")).otherwise(pl.format("{} (to date)", "period")).alias("period_label"))
latest = components.latest_years(values)
definitions = dict(zip(declared["indicator_id"], declared["definition"], strict=True))
latest = latest.with_columns(pl.col("indicator_id").is_in(declared.filter(pl.col("headline"))["indicator_id"].to_list())
                             .alias("headline_indicator"))
needs = dict(zip(declared["indicator_id"], declared["needs"], strict=True))
st.caption(f"Figures for {selection.describe()}, in {latest['period_label'].max()}"
           + (" (the latest complete financial year; the Principles page shows the year to date)." if latest["period_complete"].all() else "."))

principles = queries.filter_options().filter(pl.col("filter") == "principle")
for principle, name in zip(principles["code"], principles["name"], strict=True):
    chosen = declared.filter((pl.col("principle") == principle) & pl.col("headline"))
    rows = latest.filter(pl.col("indicator_id").is_in(chosen["indicator_id"].to_list())).sort("sort_order")
    if rows.is_empty():
        continue
    st.header(name)
    columns = st.columns(max(rows.height, 2))
    for column, row in zip(columns, rows.iter_rows(named=True)):
        components.headline(column, row | {"needs": needs[row["indicator_id"]]}, definitions[row["indicator_id"]])

# what changed most: the change since the previous year, the right way round for each indicator
sign = pl.when(pl.col("direction") == "lower").then(-1).when(pl.col("direction") == "higher").then(1).otherwise(None)
moved = (latest.filter(pl.col("change_since_previous").is_not_null() & (pl.col("direction") != "none"))
         .with_columns((pl.col("change_since_previous") * sign).alias("better_by"))
         .filter(pl.col("unit").is_in(fmt.PERCENT_UNITS)).sort("better_by", "sort_order"))  # ties in a fixed order
if moved.height:
    st.header("What changed most since the year before")
    worse, better = moved.head(3).filter(pl.col("better_by") < 0), moved.tail(3).reverse().filter(pl.col("better_by") > 0)
    for title, group in (("Improved most", better), ("Worsened most", worse)):
        if group.height:
            st.markdown(f"**{title}**")
            st.markdown("\n".join(
                f"- {r['name']}: {fmt.indicator_value(r['value'], r['unit'])} in {r['period_label']} "
                f"({fmt.indicator_change(r['change_since_previous'], r['unit'])})" for r in group.iter_rows(named=True)))

# where each headline percentage stands now against the 2024-25 baseline
now = latest.filter(pl.col("headline_indicator") & pl.col("unit").is_in(fmt.PERCENT_UNITS)
                    & pl.col("value").is_not_null() & pl.col("baseline_value").is_not_null()).sort("sort_order")
if now.height and now["period_label"].max() == periods.BASELINE_FINANCIAL_YEAR:
    st.caption(f"The years chosen end in the {periods.BASELINE_FINANCIAL_YEAR} baseline itself: choose later years to see "
               "the headline percentages against it.")
elif now.height:
    year = now["period_label"].max()
    lines = [{"type": "scatter", "x": [row["baseline_value"], row["value"]], "y": [row["name"], row["name"]], "mode": "lines",
              "line": {"color": "#b1b4b6", "width": 3}, "showlegend": False, "hoverinfo": "skip"} for row in now.iter_rows(named=True)]
    figure = components.figure(lines + [
        {"type": "scatter", "x": now["baseline_value"].to_list(), "y": now["name"].to_list(), "mode": "markers",
         "name": "2024-25 (baseline)", "marker": {"symbol": "circle-open", "size": 12, "color": "#0b0c0c", "line": {"width": 2}},
         "hovertemplate": "%{y}: %{x:.1f}% in 2024-25<extra></extra>"},
        {"type": "scatter", "x": now["value"].to_list(), "y": now["name"].to_list(), "mode": "markers", "name": year,
         "marker": {"symbol": "circle", "size": 12, "color": "#0072B2"},
         "hovertemplate": "%{y}: %{x:.1f}% in " + year + "<extra></extra>"},
    ], xaxis=components.axis("Per cent", range=[0, 105]), yaxis={"autorange": "reversed"},
        height=max(320, 44 * now.height + 100), legend={"orientation": "h", "y": -0.2})
    better = now.filter(((pl.col("direction") == "higher") & (pl.col("value") > pl.col("baseline_value")))
                        | ((pl.col("direction") == "lower") & (pl.col("value") < pl.col("baseline_value"))))
    summary = f"{better.height} of the {now.height} headline percentages are better in {year} than in the 2024-25 baseline."
    table = now.select(pl.col("name").alias("Indicator"), pl.col("baseline_value").round(1).alias("2024-25 (%)"),
                       pl.col("value").round(1).alias(f"{year} (%)"), pl.col("change_since_baseline").round(1).alias("Change (points)"),
                       pl.col("rag").alias("RAG"), pl.col("lacking").alias("Records lacking the field"))
    components.chart(f"Headline percentages: {year} against the 2024-25 baseline", summary, figure, table,
                     file_stem=f"headline-percentages-{selection.describe()}",
                     left_out=f"Records left out for lacking the field they need: {fmt.count(now['lacking'].sum())} across these figures in {year}.")

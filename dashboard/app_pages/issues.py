"""Issues: what civil society organisations raised through the issue reporting mechanism, how fast it was
resolved, by category, principle and type of body. Every figure is disclosure-controlled in the warehouse."""

import datetime as dt

import polars as pl
import streamlit as st

from dashboard import components, figures, filters, layout, queries
from dashboard import format as fmt
from warehouse.indicators import shown_on

# what the page draws, declared on the indicators (their `pages`): headline metrics, trends by year, the open backlog
HEADLINES, TRENDS = shown_on("issues", "headline"), shown_on("issues", "trend")
[BACKLOG] = shown_on("issues", "backlog")


def backlog(indicator: dict, quarters: pl.DataFrame, as_of: dt.date, described: str) -> None:
    """The issues still open, by the quarter they were raised in and so how long they have waited."""
    points = components.shown(quarters, indicator["unit"]).with_columns(
        fmt.text_column("waiting", lambda period: fmt.waited_since_quarter(period, as_of), quarters, "period"))
    figure = components.figure([{"type": "bar", "x": [f"{p}<br>{w}" for p, w in zip(points["period"], points["waiting"])],
                                 "y": points["value"].to_list(), "text": points["shown"].to_list(), "textposition": "outside",
                                 "hovertemplate": "%{x}: %{text} open<extra></extra>"}],
                               xaxis=components.axis("Quarter raised, and how long its issues have waited"),
                               yaxis=components.axis("Issues still open", rangemode="tozero"))
    summary = figures.backlog_summary(points)
    table = points.select(pl.col("period").alias("Quarter raised"), pl.col("waiting").alias("Waited by " + f"{as_of:%-d %B %Y}"),
                          *components.numbers(points, {"value": "Still open", "denominator": "Raised (not withdrawn)"},
                                              indicator["unit"]))
    components.chart("The open backlog by age", summary, figure, table, file_stem=f"issues-still-open-by-quarter-{described}", sources=tuple(indicator["sources"]),
                     left_out="No issue is left out for lacking a field; withdrawn issues are not counted.")

layout.page_header(
    "Issues",
    "Issues civil society organisations raised about public bodies through the real-time issue reporting "
    "mechanism: how many, about what, how many were resolved and how fast. Reporters fear reprisal, so no "
    "reporter or issue text is ever shown, and any count under 5 is suppressed and shown as [c], with other "
    "figures where needed so that none can be worked out (an attack that adds up every published figure every way "
    "it can recovers none). Issue figures are published by financial year for the whole country and by public "
    "body, type of body, nation, region, the reporter's size, principle and category, one at a time; by quarter "
    "for the whole country only; not by district.",
)
info = layout.data_status()
if info is None:
    st.stop()
selection = filters.sidebar()
declared = {row["indicator_id"]: row for row in queries.indicators().iter_rows(named=True)}
published = declared[HEADLINES[0]]["breakdowns"]  # as every issue indicator's
breakdown, code = selection.issue_cell(published)
note = selection.issue_note(published)
if note:
    st.info(note)
years = queries.indicator_values(breakdown, code, selection.from_period, selection.to_period).filter(
    pl.col("indicator_id").is_in(HEADLINES + TRENDS))
if years.is_empty():
    st.warning(f"There are no issue figures for {selection.describe()} in the financial years chosen.")
    st.stop()

headlines = figures.issue_headlines(years, declared, HEADLINES)
st.subheader(headlines.heading)
for column, metric in zip(st.columns(len(headlines.metrics)), headlines.metrics):
    if metric.row:
        components.headline(column, metric.row, metric.declared["definition"])

# by financial year: quarters of few issues are mostly suppressed
for indicator in TRENDS:
    series = years.filter(pl.col("indicator_id") == indicator).sort("financial_year")
    if series.height:
        components.indicator_trend(declared[indicator], series, selection.describe(), level="year")

span = (figures.period_index(f"{headlines.year} Q1"), figures.period_index(f"{headlines.year} Q4"))
for by in ("category", "principle", "body_type"):
    for indicator in shown_on("issues", f"by_{by}"):
        if by in declared[indicator]["breakdowns"]:
            components.indicator_breakdown(declared[indicator], by, selection, span, highlight=selection.chosen(by))

still_open = queries.indicator_values(breakdown, code, selection.from_period, selection.to_period, period_level="quarter").filter(
    pl.col("indicator_id") == BACKLOG)
if still_open.height:
    backlog(declared[BACKLOG], still_open, info["as_of"], selection.describe())
elif breakdown != "all":
    st.subheader("The open backlog by age")
    st.markdown(f"Quarterly issue figures are published for the whole country only, so the open backlog by the quarter "
                f"its issues were raised is not shown for {selection.describe()}: a quarter's count for one body, place or "
                "size is mostly under 5. The yearly figures above follow your choice; clear it to see the backlog.")

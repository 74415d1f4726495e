"""Issues: what civil society organisations raised through the issue reporting mechanism, how fast it was
resolved, by category, principle and type of body. Every figure is disclosure-controlled in the warehouse."""

import polars as pl
import streamlit as st

from dashboard import components, filters, layout, queries

ISSUE_INDICATORS = ("issues_raised", "issues_resolved_share", "issues_median_days_to_resolve", "issues_unresolved_after_90_days")

layout.page_header(
    "Issues",
    "Issues civil society organisations raised about public bodies through the real-time issue reporting "
    "mechanism: how many, about what, how many were resolved and how fast. Reporters fear reprisal, so no "
    "reporter or issue text is ever shown, and any count under 5 is suppressed and shown as [c], with other "
    "figures where needed so that none can be worked out.",
)
if layout.data_status() is None:
    st.stop()
selection = filters.sidebar()
breakdown, code = selection.cell
declared = {row["indicator_id"]: row for row in queries.indicators().iter_rows(named=True)}
years = queries.indicator_values(breakdown, code, selection.from_period, selection.to_period).filter(
    pl.col("indicator_id").is_in(ISSUE_INDICATORS))
if years.is_empty():
    st.warning(f"There are no issue figures for {selection.describe()}: issues are counted by public body, type of "
               "body, the reporter's place and size, principle and category.")
    st.stop()

complete = years.filter(pl.col("period_complete"))  # a year to date is not compared with whole years
latest = (complete if complete.height else years).group_by("indicator_id").agg(pl.all().sort_by("financial_year").last())
st.subheader(f"In {latest['period'].max()}{'' if latest['period_complete'].all() else ' (to date)'}")
columns = st.columns(len(ISSUE_INDICATORS))
for column, indicator in zip(columns, ISSUE_INDICATORS):
    rows = latest.filter(pl.col("indicator_id") == indicator)
    if rows.height:
        row = rows.row(0, named=True)
        components.headline(column, row | {"name": declared[indicator]["name"], "direction": declared[indicator]["direction"],
                                           "needs": declared[indicator]["needs"]}, declared[indicator]["definition"])

# by financial year: quarters of few issues are mostly suppressed
for indicator in ("issues_raised", "issues_resolved_share", "issues_median_days_to_resolve"):
    series = years.filter(pl.col("indicator_id") == indicator).sort("financial_year")
    if series.height:
        components.indicator_trend(declared[indicator], series, selection.describe(), level="year")

period = (complete if complete.height else years)["period"].max()
for by in ("category", "principle", "body_type"):
    if by in declared["issues_raised"]["breakdowns"]:
        components.indicator_breakdown(declared["issues_raised"], by, period, filtered=breakdown != "all")
components.indicator_breakdown(declared["issues_resolved_share"], "body_type", period, filtered=breakdown != "all")

"""Overview: the headline figures, per financial year, and when the data was loaded."""

import plotly.graph_objects as go
import polars as pl
import streamlit as st

from dashboard import format as fmt
from dashboard import layout, queries
from etl import periods

layout.page_header(
    "Overview",
    "How public bodies are doing against the Civil Society Covenant: funding practice per financial year, "
    "from the 2024-25 baseline to the latest quarter.",
)
info = layout.data_status()
if info is None:
    st.stop()
current_year = periods.financial_year(info["as_of"])

body_types = queries.body_types()
labels = dict(zip(body_types["code"], body_types["plural"]))
choice = st.selectbox("Type of public body", [None, *labels], format_func=lambda c: "All public bodies" if c is None else labels[c],
                      key="body_type")
years = queries.funding_by_year(body_type=choice)
if years.is_empty():
    st.warning("No awards match this selection.")
    st.stop()
# the current financial year is not over: say so wherever it is shown
years = years.with_columns(
    pl.when(pl.col("financial_year") == current_year).then(pl.format("{} (to date)", "financial_year"))
    .otherwise("financial_year").alias("year_label")
)

latest = years.row(-1, named=True)
previous = years.row(-2, named=True) if years.height > 1 else None
st.subheader(f"Funding in {latest['year_label']}")
columns = st.columns(4)
columns[0].metric("Awards", fmt.count(latest["awards"]))
columns[1].metric("Amount awarded", fmt.money(latest["amount"]))
for column, label, field in (
    (columns[2], "Share of awards to smaller organisations", "share_awards_smaller"),
    (columns[3], "Share of awards of 24 months or more", "share_24_months"),
):
    delta = fmt.change_points(latest[field] - previous[field]) if previous and previous[field] is not None else None
    column.metric(label, fmt.percent(latest[field]), delta=delta, help="Change since the previous financial year")

figure = go.Figure(go.Bar(x=years["year_label"], y=years["amount"] / 1e6, marker_color="#1d70b8",
                          hovertemplate="%{x}: £%{y:,.1f}m<extra></extra>"))
figure.update_layout(title="Amount awarded by financial year", yaxis_title="Amount awarded (£ million)", xaxis_title="Financial year",
                     yaxis_tickprefix="£", yaxis_ticksuffix="m", yaxis_tickformat=",.0f", margin=dict(t=50, b=40), height=360)
st.plotly_chart(figure, config={"displayModeBar": False})
full_years = years.filter(pl.col("financial_year") != current_year)
if full_years.height:
    best = full_years.sort("amount", descending=True).row(0, named=True)
    st.caption(f"Of the complete financial years, {best['financial_year']} had the most funding awarded: "
               f"{fmt.money(best['amount'])} across {fmt.count(best['awards'])} awards.")

table = years.select(
    pl.col("year_label").alias("Financial year"),
    pl.col("awards").map_elements(fmt.count, return_dtype=pl.Utf8).alias("Awards"),
    pl.col("amount").map_elements(fmt.money, return_dtype=pl.Utf8).alias("Amount awarded"),
    pl.col("share_awards_smaller").map_elements(fmt.percent, return_dtype=pl.Utf8).alias("Awards to smaller organisations"),
    pl.col("share_24_months").map_elements(fmt.percent, return_dtype=pl.Utf8).alias("Awards of 24 months or more"),
    pl.col("share_paid_in_advance").map_elements(fmt.percent, return_dtype=pl.Utf8).alias("Paid in advance"),
)
st.dataframe(table, hide_index=True)
left_out = years.select(pl.col("smaller_unknown", "duration_unknown", "paid_in_advance_unknown").sum()).row(0, named=True)
st.caption(
    f"Left out for lacking the field: recipient size {fmt.count(left_out['smaller_unknown'])} awards, "
    f"duration {fmt.count(left_out['duration_unknown'])}, payment in advance {fmt.count(left_out['paid_in_advance_unknown'])}."
)

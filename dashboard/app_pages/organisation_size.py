"""Organisation size: how funding, award length and payment in advance differ by the recipient's size, and how
smaller organisations (income £500,000 and under) fare."""

import polars as pl
import streamlit as st

from dashboard import components, filters, layout, queries
from dashboard import format as fmt
from etl import periods

layout.page_header(
    "Organisation size",
    "Whether smaller organisations get a fair share: funding, award length and payment in advance by the "
    "recipient's size (NCVO bands, from annual income), and the smaller-organisation view (income £500,000 and "
    "under), which the sector asks to be treated equitably.",
)
info = layout.data_status()
if info is None:
    st.stop()
selection = filters.sidebar()
current = periods.financial_year(info["as_of"])
year = selection.latest_complete_year(info["as_of"])
st.caption(f"{selection.describe()}; the size charts are for {year}{' (to date)' if year == current else ''}.")

sizes = queries.run("funding_by_size", financial_year=year, body=selection.values.get("body"),
                    body_type=selection.values.get("body_type"), district=selection.values.get("district"),
                    region=selection.values.get("region"), nation=selection.values.get("nation"))
total_amount, total_awards = sizes["amount"].sum(), sizes["awards"].sum()
if total_awards == 0:
    st.warning(f"No awards match {selection.describe()} in {year}. Widen the financial years or clear a filter.")
    st.stop()
sizes = sizes.with_columns((100 * pl.col("amount") / total_amount).alias("share_amount"),
                           (100 * pl.col("awards") / total_awards).alias("share_awards"))
figure = components.figure([
    {"type": "bar", "x": sizes["name"].to_list(), "y": sizes["share_awards"].to_list(), "name": "Share of awards",
     "hovertemplate": "%{x}: %{y:.1f}% of awards<extra></extra>"},
    {"type": "bar", "x": sizes["name"].to_list(), "y": sizes["share_amount"].to_list(), "name": "Share of funding",
     "hovertemplate": "%{x}: %{y:.1f}% of funding<extra></extra>"},
], barmode="group", yaxis=components.axis("Per cent"), xaxis=components.axis("Recipient's size (annual income)"),
    legend={"orientation": "h", "y": -0.3})
known = sizes.filter(pl.col("size_band") != "unknown")
small = known.filter(pl.col("size_band").is_in(["micro", "small"]))
summary = (f"In {year}, micro and small organisations (income under £100k) received "
           f"{fmt.indicator_value(small['share_awards'].sum(), 'percent')} of awards but "
           f"{fmt.indicator_value(small['share_amount'].sum(), 'percent')} of funding.")
table = sizes.select(pl.col("name").alias("Size"), pl.col("awards").alias("Awards"),
                     fmt.text_column("Funding", fmt.money, sizes, "amount"),
                     pl.col("share_awards").round(1).alias("Share of awards (%)"),
                     pl.col("share_amount").round(1).alias("Share of funding (%)"),
                     fmt.text_column("Median award", fmt.money, sizes, "median_amount"),
                     pl.col("median_months").alias("Median length (months)"))
unknown = sizes.filter(pl.col("size_band") == "unknown")["awards"].sum()
st.header("Funding by size of organisation")
components.chart(f"Awards and funding by recipient size, {year}", summary, figure, table,
                 file_stem=f"funding-by-size-{year}-{selection.describe()}",
                 left_out=f"{fmt.count(unknown)} awards went to organisations whose income is not known (shown as Unknown income).")

declared = {row["indicator_id"]: row for row in queries.indicators().iter_rows(named=True)}
for indicator_id in ("awards_two_years_or_more", "awards_paid_in_advance", "full_cost_recovery_funding_share"):
    components.indicator_breakdown(declared[indicator_id], "size_band", year, filtered=selection.cell[0] != "all")

st.header("Smaller organisations")
breakdown, code = selection.cell
values = queries.indicator_values(breakdown, code, selection.from_period, selection.to_period)
columns = st.columns(2)
for column, indicator_id in zip(columns, ("funding_to_smaller_organisations", "awards_to_smaller_organisations")):
    rows = values.filter((pl.col("indicator_id") == indicator_id) & (pl.col("financial_year") == year))
    if rows.height:
        components.headline(column, rows.row(0, named=True) | {"needs": declared[indicator_id]["needs"]},
                            declared[indicator_id]["definition"])
    else:
        column.info(f"{declared[indicator_id]['name']}: not published for {selection.describe()}.")
components.indicator_breakdown(declared["awards_paid_in_advance"], "smaller_organisation", year,
                               filtered=selection.cell[0] != "all")

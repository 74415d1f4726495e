"""Organisation size: how funding, award length and payment in advance differ by the recipient's size, and how
smaller organisations (income £500,000 and under) fare."""

import polars as pl
import streamlit as st

from dashboard import components, figures, filters, layout, queries
from dashboard import format as fmt
from etl import periods
from warehouse.indicators import shown_on

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
span = selection.headline_span(info["as_of"])
year = figures.span_name(*span) + ("" if figures.last_day(span[1]) <= info["as_of"] else " (to date)")
st.caption(f"{selection.who()}, {year}" + (" (the latest complete financial year of those chosen)" if selection.whole_years
                                         and selection.from_year != selection.to_year else "") + ".")

chosen = {f: selection.chosen(f) for f in ("public_body", "body_type", "district", "region", "nation", "combined_authority")}
sizes = queries.run("funding_by_size", from_period=figures.period_name(span[0]), to_period=figures.period_name(span[1]),
                    body=chosen["public_body"], body_type=chosen["body_type"], district=chosen["district"],
                    region=chosen["region"], nation=chosen["nation"], combined_authority=chosen["combined_authority"])
by_band = figures.funding_by_size(sizes, year)
if by_band is None:
    st.warning(f"No awards match {selection.describe()} in {year}. Widen the financial years or clear a filter.")
    st.stop()
sizes = by_band.sizes
figure = components.figure([
    {"type": "bar", "x": sizes["name"].to_list(), "y": sizes["share_awards"].to_list(), "name": "Share of awards",
     "hovertemplate": "%{x}: %{y:.1f}% of awards<extra></extra>"},
    {"type": "bar", "x": sizes["name"].to_list(), "y": sizes["share_amount"].to_list(), "name": "Share of funding",
     "hovertemplate": "%{x}: %{y:.1f}% of funding<extra></extra>"},
], barmode="group", yaxis=components.axis("Per cent"), xaxis=components.axis("Recipient's size (annual income)"),
    legend={"orientation": "h", "y": -0.3})
table = sizes.select(pl.col("name").alias("Size"), pl.col("awards").alias("Awards"),
                     *components.numbers(sizes, {"amount": "Funding"}, "£"),
                     *components.numbers(sizes, {"share_awards": "Share of awards", "share_amount": "Share of funding"}, "percent"),
                     *components.numbers(sizes, {"median_amount": "Median award"}, "£"),
                     *components.numbers(sizes, {"median_months": "Median length"}, "months"))
st.header("Funding by size of organisation")
if selection.values.get("size"):
    st.caption("This chart compares every size of organisation, so it does not follow the size chosen; the rest of the "
               "page marks it.")
components.chart(f"Awards and funding by recipient size, {year}", by_band.summary, figure, table,
                 file_stem=f"funding-by-size-{year}-{selection.describe()}", sources=("funding",),
                 left_out=f"{fmt.count(by_band.unknown_awards)} awards went to organisations whose income is not known (shown as Unknown income).")

indicators = queries.indicators()
declared = {row["indicator_id"]: row for row in indicators.iter_rows(named=True)}
by_size = shown_on("organisation_size", "by_size_band")
for indicator_id in by_size:
    components.indicator_breakdown(declared[indicator_id], "size_band", selection, span, highlight=selection.chosen("size_band"),
                                   together=by_size)

st.header("Smaller organisations")
smaller = shown_on("organisation_size", "headline")
values, _, baseline = components.view_headlines(selection, indicators.filter(pl.col("indicator_id").is_in(smaller)), info["as_of"])
metrics = figures.headline_metrics(values, declared, smaller)
for column, metric in zip(st.columns(len(metrics)), metrics):
    if metric.row:
        components.headline(column, metric.row, metric.declared["definition"], baseline or periods.BASELINE_FINANCIAL_YEAR)
    else:
        column.info(f"{metric.declared['name']}: {components.not_given(metric.declared, selection)}")
for indicator_id in shown_on("organisation_size", "by_smaller_organisation"):
    components.indicator_breakdown(declared[indicator_id], "smaller_organisation", selection, span,
                                   highlight=selection.chosen("smaller_organisation"))

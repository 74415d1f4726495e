"""Data dictionary: every field of every source, as its data contract defines it, and every table and column of
the published warehouse, with downloads."""

import polars as pl
import streamlit as st

import warehouse
from dashboard import components, filters, layout
from data_contracts.to_dictionary import dictionary

PUBLISHED = "The published warehouse (for analysts)"

layout.page_header(
    "Data dictionary",
    "Every field the dashboard loads, as the data contracts define it: its type, whether it is required, the values "
    "and ranges allowed, and what it means. Rows that break these rules are quarantined, not loaded.",
)

fields = dictionary()
sources = fields["source"].unique(maintain_order=True).to_list()
source = filters.page_choice("Source", [*sources, PUBLISHED], "dictionary_source")
if source == PUBLISHED:
    tables = pl.DataFrame(warehouse.table_docs())
    st.write("The tables analysts can query in `covenant.duckdb`, or download as Parquet. Figures from issue logs are "
             "published only in `marts.indicator_values`, with counts under 5 suppressed.")
    for name in tables["table"].unique(maintain_order=True).to_list():
        rows = tables.filter(pl.col("table") == name)
        st.header(name)
        st.write(rows["table_description"][0])
        components.show_table(rows.select(pl.col("column").alias("Column"), pl.col("description").alias("Description")))
    st.download_button("Download the warehouse tables' dictionary (CSV)", tables.write_csv(),
                       file_name="covenant-warehouse-dictionary.csv", mime="text/csv")
    st.stop()
chosen = fields.filter(pl.col("source") == source)
for dataset in chosen["dataset"].unique(maintain_order=True).to_list():
    rows = chosen.filter(pl.col("dataset") == dataset)
    st.header(f"{dataset.replace('_', ' ').capitalize()} ({rows['sheet_or_file'][0]})")
    components.show_table(rows.select(
        pl.col("title").alias("Column or title"), pl.col("field").alias("Field"), pl.col("type").alias("Type"),
        pl.col("required").alias("Required"), pl.col("allowed_values").alias("Allowed values"),
        pl.col("description").alias("Description"), pl.col("classification").alias("Classification"),
    ))
st.download_button("Download the whole data dictionary (CSV)", fields.write_csv(), file_name="covenant-data-dictionary.csv",
                   mime="text/csv")

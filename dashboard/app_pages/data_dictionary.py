"""Data dictionary: every field of every source, as its data contract defines it, with a download."""

import polars as pl
import streamlit as st

from dashboard import layout
from data_contracts.to_dictionary import dictionary

layout.page_header(
    "Data dictionary",
    "Every field the dashboard loads, as the data contracts define it: its type, whether it is required, the values "
    "and ranges allowed, and what it means. Rows that break these rules are quarantined, not loaded.",
)

fields = dictionary()
sources = fields["source"].unique(maintain_order=True).to_list()
source = st.selectbox("Source", sources, key="dictionary_source")
chosen = fields.filter(pl.col("source") == source)
for dataset in chosen["dataset"].unique(maintain_order=True).to_list():
    rows = chosen.filter(pl.col("dataset") == dataset)
    st.subheader(f"{dataset.replace('_', ' ').capitalize()} ({rows['sheet_or_file'][0]})")
    st.dataframe(
        rows.select(
            pl.col("title").alias("Column or title"), pl.col("field").alias("Field"), pl.col("type").alias("Type"),
            pl.col("required").alias("Required"), pl.col("allowed_values").alias("Allowed values"),
            pl.col("description").alias("Description"), pl.col("classification").alias("Classification"),
        ),
        hide_index=True,
    )
st.download_button("Download the whole data dictionary (CSV)", fields.write_csv(), file_name="covenant-data-dictionary.csv",
                   mime="text/csv")

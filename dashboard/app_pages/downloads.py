"""Data and downloads: an extract builder that follows the filters (CSV, Excel with a data dictionary, Parquet), the
whole warehouse table by table, and how every figure is calculated."""

import datetime as dt
from functools import partial

import polars as pl
import streamlit as st

from dashboard import components, extracts, filters, layout, queries
from warehouse import breakdowns

layout.page_header(
    "Data and downloads",
    "The rows behind every figure, for analysts. Choose a dataset: the extract follows the filters you have set "
    "(financial years, public body or type, place, organisation size). Excel files carry a data dictionary sheet. "
    "Figures from issue logs are published only as indicator values, with counts under 5 suppressed.",
)
if layout.data_status() is None:
    st.stop()
selection = filters.sidebar()
database = queries.database()
titles = {d.key: d for d in extracts.EXTRACTS}
PRINTED_PREVIEW_ROWS = 12  # the preview in print (two landscape sheets): its 200 rows of 26 columns took 50
EVERY = breakdowns.KEYS  # indicator values are published one breakdown at a time: the extract has the first filter's cells

st.header("Build an extract")
key = filters.page_choice("Dataset", list(titles), "dataset", format_func=lambda k: titles[k].title)
dataset = titles[key]
st.markdown(f"{dataset.description} Filters: {selection.describe()}.")
preview = queries.extract(key, selection.values, selection.from_period, selection.to_period, selection.issue_cell(EVERY), limit=201)
if preview.is_empty():
    st.warning("No rows match these filters. Widen the financial years or clear a filter.")
else:
    more = preview.height > 200
    st.caption(f"The first {min(preview.height, 200)} rows{' (the extract has more)' if more else ''}; "
               f"an extract holds at most {extracts.MAX_ROWS:,} rows.")
    components.show_table(preview.head(200), printed_rows=PRINTED_PREVIEW_ROWS)
    fmt_key = st.radio("Format", list(extracts.FORMATS), format_func=lambda f: extracts.FORMATS[f], horizontal=True,
                       key="extract_format")

    def build_file(key: str, values: dict, from_period: str, to_period: str, cell: tuple, fmt_key: str, described: str,
                   cite: str) -> bytes:
        frame = queries.extract(key, values, from_period, to_period, cell, database_path=database)  # made on click
        return extracts.file_bytes(frame, titles[key], fmt_key, described, cite)

    pinning = queries.pinning()
    cite = layout.citation(f"Data and downloads, {dataset.title}", selection.describe(markdown=False),
                           layout.pinned_url(pinning), pinning, dt.date.today())

    st.download_button(
        f"Download {dataset.title.lower()} ({fmt_key.upper()})",
        data=partial(build_file, key, dict(selection.values), selection.from_period, selection.to_period, selection.issue_cell(EVERY),
                     fmt_key, selection.describe(markdown=False), cite),
        file_name=f"covenant-{key}-{components.slug(selection.describe(markdown=False))}.{fmt_key}", mime=extracts.MIME[fmt_key],
        key="extract_download", on_click="ignore")
with st.expander(f"Data dictionary: {dataset.table}"):
    components.show_table(extracts.dictionary(dataset.table))

st.header("The whole warehouse")
st.markdown("Every published table as a Parquet file, to work on elsewhere (for example with DuckDB, polars or R). "
            "The same tables are in `covenant.duckdb`, which analysts with access to the server can open read-only.")
tables = queries.parquet_tables()
listing = pl.DataFrame({"Table": list(tables), "Size (MB)": [round(size / 1e6, 1) for size in tables.values()]})
components.show_table(listing)
table = st.selectbox("Table", list(tables), key="whole_table")
if table:
    st.download_button(f"Download {table} (Parquet)", data=partial(queries.parquet_bytes, table, queries.release()),
                       file_name=f"covenant-{table}.parquet", mime=extracts.MIME["parquet"], key="whole_download",
                       on_click="ignore")

st.header("How the figures are calculated")
st.markdown("Each indicator is declared once, with its definition, formula and sources; every page, extract and "
            "report computes it the same way. Records lacking the field an indicator needs are counted and left out.")
for row in queries.indicators().iter_rows(named=True):
    with st.expander(f"{row['principle'].capitalize()}: {row['name']}"):
        st.markdown(row["definition"])
        st.markdown(f"**Rests on:** {row['basis']}" + (" *Proposed by the sector.*" if row["proposed_by_sector"] else ""))
        st.markdown(f"**Sources:** {', '.join(row['sources'])}. **Unit:** {row['unit']}. **Better when:** {row['direction']}. "
                    f"**Left out when lacking:** {row['needs']}.")
        st.code(row["formula"], language="sql")

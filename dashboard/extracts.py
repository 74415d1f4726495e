"""What the dashboard lets people download: the rows behind the figures, following the filters, made safe to open
in a spreadsheet, with the data dictionary. Every extract reads the published warehouse, whose issue-derived figures
are already disclosure-controlled and which holds no reporter or issue text.

The functions here take plain values (no Streamlit): a download button calls them when it is clicked.
"""

from __future__ import annotations

import datetime as dt
import io
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import polars as pl

import warehouse
from etl.xlsx import write_workbook

SQL_DIR = Path(__file__).parent / "sql" / "extracts"
MAX_ROWS = 1_000_000  # an Excel sheet holds 1,048,576 rows; beyond this, analysts take the whole table as Parquet
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
FORMATS = {"csv": "CSV", "xlsx": "Excel (XLSX, with a data dictionary sheet)", "parquet": "Parquet"}
MIME = {"csv": "text/csv", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "parquet": "application/vnd.apache.parquet"}
LICENCE = ("Contains public sector information licensed under the Open Government Licence v3.0. Issue-derived counts "
           "under 5 are suppressed ([c]); no reporter's identity or issue text is included.")


@dataclass(frozen=True)
class Extract:
    """A published table offered on Data and downloads, filtered by the view and written as CSV, Excel or Parquet."""

    key: str  # also the name of its SQL file in sql/extracts/
    title: str
    table: str  # the warehouse table it comes from, whose columns the data dictionary describes
    description: str


EXTRACTS: tuple[Extract, ...] = (
    Extract("indicator_values", "Indicator values", "marts.indicator_values",
            "Every indicator for every period and breakdown as published, or for the first body, place or size chosen "
            "(the figures on the pages, which combine filters, are in each chart's own download)."),
    Extract("awards", "Awards (360Giving)", "marts.awards", "Each award made by a public body, with its funding practice."),
    Extract("body_quarters", "Returns: summary", "marts.body_quarters", "Each body's quarterly return: plan, leads, meetings, FOI."),
    Extract("commitments", "Returns: commitments", "marts.commitments", "Each action plan commitment and its status."),
    Extract("consultations", "Returns: consultations", "marts.consultations", "Each consultation, its length and response."),
    Extract("funding_endings", "Returns: funding endings", "marts.funding_endings", "Each funding ending, notice and rationale."),
    Extract("policies", "Returns: policies", "marts.policies", "Each new policy or design project and its assessment."),
    Extract("engagement", "Returns: engagement", "marts.engagement", "Each organisation at each engagement meeting."),
    Extract("organisations", "Organisation register", "marts.organisations", "Each organisation, its income and size band."),
)


def neutralised(frame: pl.DataFrame) -> pl.DataFrame:
    """Text cells that a spreadsheet would run as a formula (starting =, +, -, @, tab or carriage return) get a
    leading apostrophe, so they open as text. Numbers are left as numbers."""
    text = [name for name, dtype in frame.schema.items() if dtype == pl.Utf8]
    starts = "^[" + "".join("\\" + c if c in "+-" else c for c in FORMULA_STARTS) + "]"
    return frame.with_columns(
        pl.when(pl.col(name).str.contains(starts)).then(pl.lit("'") + pl.col(name)).otherwise(pl.col(name)).alias(name)
        for name in text
    )


def csv_bytes(frame: pl.DataFrame) -> bytes:
    return neutralised(frame).write_csv().encode("utf-8-sig")  # a byte-order mark: Excel then reads £ correctly


@cache
def extract_sql(key: str) -> str:
    """The SQL of an extract (`sql/extracts/<key>.sql`), run by queries.extract."""
    return (SQL_DIR / f"{key}.sql").read_text(encoding="utf-8")


@cache  # the descriptions ship with the code: read once per process (parsing them took about 20 ms a page view)
def dictionary(table: str) -> pl.DataFrame:
    docs = [row for row in warehouse.table_docs() if row["table"] == table]
    return pl.DataFrame({"Column": [r["column"] for r in docs], "Description": [r["description"] for r in docs]})


def file_bytes(frame: pl.DataFrame, dataset: Extract, fmt: str, described: str, cite: str | None = None) -> bytes:
    """An extract as CSV, XLSX (the rows, the data dictionary and what the extract is, with how to cite it) or
    Parquet."""
    if fmt == "csv":
        return csv_bytes(frame)
    if fmt == "parquet":
        out = io.BytesIO()
        frame.write_parquet(out, compression="zstd")
        return out.getvalue()
    safe = neutralised(frame)
    about = [("Dataset", dataset.title), ("What it holds", dataset.description), ("Filters", described),
             ("Rows", f"{frame.height:,}"), ("Made", dt.date.today().isoformat()), ("Licence and confidentiality", LICENCE),
             *([("Cite as", cite)] if cite else [])]
    words = dictionary(dataset.table)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "extract.xlsx"
        write_workbook(path, [
            ("Data", safe.columns, safe.iter_rows()),
            ("Data dictionary", words.columns, words.iter_rows()),
            ("About", ["Item", "Value"], about),
        ], constant_memory=True)
        return path.read_bytes()

"""What the dashboard lets people download: the rows behind a figure, made safe to open in a spreadsheet."""

from __future__ import annotations

import polars as pl

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


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

"""Issue event logs (CSV or JSON Lines). The reporter's identity and free text are dropped as the file is read:
they never reach the warehouse, not even its raw layer."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import polars as pl

from data_contracts import load_contract
from etl import normalise as n
from etl import periods
from etl.sources.files import SourceError, match_titles, read_csv_text

DATASET = load_contract("issue_events").dataset("issue_events")
CONFIDENTIAL = [f.name for f in DATASET.fields if f.confidential]
TITLES = {f.name: f.title for f in DATASET.fields}
PUBLIC = [f for f in TITLES if f not in CONFIDENTIAL]
REQUIRED = [f.name for f in DATASET.required]


def _read_jsonl(path: Path, name: str) -> pl.DataFrame:
    rows = []
    with open(path, encoding="utf-8-sig", errors="replace") as f:
        for number, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                raise SourceError(name, f"is not valid JSON Lines ({error.msg})", line=number) from None
            if not isinstance(record, dict):
                raise SourceError(name, "expected one JSON object per line", line=number)
            rows.append({k: (None if v is None else str(v)) for k, v in record.items() if k in TITLES} | {"source_row": number})
    if not rows:
        raise SourceError(name, "the file is empty; expected one JSON object per line", line=1)
    return pl.DataFrame(rows, infer_schema_length=None).with_columns(pl.exclude("source_row").cast(pl.Utf8))


def read(path: Path, name: str) -> dict[str, pl.DataFrame]:
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt"):
        frame = read_csv_text(path, name)
    elif suffix in (".jsonl", ".ndjson"):
        frame = _read_jsonl(path, name)
    else:
        raise SourceError(name, f"has an unknown file type {suffix!r}; expected .csv or .jsonl")
    frame, extras = match_titles(frame, {k: TITLES[k] for k in TITLES}, name, REQUIRED)
    # confidential fields and any other free text the sender added are dropped here
    return {"issue_events": frame.select("source_row", *PUBLIC)}


def normalise(frame: pl.DataFrame, as_of: dt.date | None = None) -> pl.DataFrame:
    occurred = pl.coalesce(
        pl.col("occurred_at").str.strip_chars().str.to_datetime("%Y-%m-%dT%H:%M:%S", strict=False),
        pl.col("occurred_at").str.strip_chars().str.to_datetime("%Y-%m-%d %H:%M:%S", strict=False),
        pl.col("occurred_at").str.strip_chars().str.to_datetime("%d/%m/%Y %H:%M", strict=False),
        n.date("occurred_at").cast(pl.Datetime("us")),
    )
    typed = frame.with_columns(
        n.text("event_id"), n.text("issue_ref"),
        n.text("event_type").str.to_lowercase().alias("event_type"),
        occurred.cast(pl.Datetime("us")).alias("occurred_at"),
        n.text("body"),
        n.text("principle").str.to_lowercase().alias("principle"),
        n.text("category").str.to_lowercase().alias("category"),
        n.text("reporter_size_band").str.to_lowercase().alias("reporter_size_band"),
        n.text("reporter_district").str.to_uppercase().alias("reporter_district"),
    )
    typed = n.body_codes(typed, "body", "body_code")
    typed = n.repair_geocodes(typed.with_columns(pl.lit(None, pl.Utf8).alias("_type")), "reporter_district", "_type").drop("_type")
    typed = typed.with_columns(
        periods.financial_year_expr("occurred_at").alias("financial_year"),
        periods.financial_quarter_expr("occurred_at").alias("quarter"),
    )
    kinds = DATASET.field("event_type").enum
    problem = (
        pl.when(pl.col("event_id").is_null()).then(pl.lit("event_id: missing (required)"))
        .when(pl.col("issue_ref").is_null()).then(pl.lit("issue_ref: missing (required)"))
        .when(~pl.col("event_type").is_in(kinds).fill_null(False)).then(pl.lit("event_type: not one of " + ", ".join(kinds)))
        .when(pl.col("occurred_at").is_null()).then(pl.lit("occurred_at: missing or not a date and time"))
        .when(pl.col("occurred_at").dt.date() > (as_of or dt.date.today())).then(pl.format("occurred_at: {} is in the future", pl.col("occurred_at")))
        .when(pl.col("body_code").is_null()).then(pl.lit("body: not a public body in the reference (unknown code, name or alias)"))
    )
    return typed.with_columns(problem.alias("problem"), pl.lit(None, pl.Utf8).alias("repairs"))

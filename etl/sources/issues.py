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


def normalise(frame: pl.DataFrame, as_of: dt.date | None = None, context=None) -> pl.DataFrame:
    typed = frame.with_columns(
        n.parse_problems([f for f in DATASET.fields if not f.confidential]).alias("_parse_problem"),
        n.text("event_id"), n.text("issue_ref"),
        n.text("event_type").str.to_lowercase().alias("event_type"),
        n.timestamp("occurred_at").alias("occurred_at"),
        n.text("body"),
        n.text("principle").str.to_lowercase().alias("principle"),
        n.text("category").str.to_lowercase().alias("category"),
        n.text("reporter_size_band").str.to_lowercase().alias("reporter_size_band"),
        n.text("reporter_district").str.to_uppercase().alias("reporter_district"),
    )
    typed = n.body_codes(typed, "body", "body_code")
    typed = n.district_codes(typed, "reporter_district", context)
    typed = typed.with_columns(
        periods.financial_year_expr("occurred_at").alias("financial_year"),
        periods.financial_quarter_expr("occurred_at").alias("quarter"),
    )
    problem = (
        pl.when(pl.col("_parse_problem").is_not_null()).then("_parse_problem")
        .when(pl.col("occurred_at").dt.date() > (as_of or dt.date.today())).then(pl.format("occurred_at: {} is in the future", pl.col("occurred_at")))
        .when(pl.col("body").is_not_null() & pl.col("body_code").is_null()).then(pl.format("body: '{}' is not a public body in the reference (unknown code, name or alias)", pl.col("body")))
    )
    # across rows: no event of an issue can come before the issue was raised
    raised_at = pl.col("occurred_at").filter(pl.col("event_type") == "raised").min().over("issue_ref")
    problem = problem.when((pl.col("event_type") != "raised") & (pl.col("occurred_at") < raised_at)).then(
        pl.format("occurred_at: '{}' is before the issue was raised ('{}'): events out of order",
                  pl.col("occurred_at").dt.strftime("%Y-%m-%d %H:%M"), raised_at.dt.strftime("%Y-%m-%d %H:%M")))
    return typed.with_columns(problem.alias("problem"), pl.lit(None, pl.Utf8).alias("repairs")).drop("_parse_problem")

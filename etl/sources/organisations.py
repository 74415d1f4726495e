"""The organisation register: recipients with their latest income (CSV or XLSX)."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from data_contracts import load_contract
from etl import normalise as n
from etl.sources.source import Source
from etl.sources.files import (SourceError, data_sheet, extras_as_json, match_titles, open_workbook, read_csv_text,
                               unforeseen_errors)

DATASET = load_contract("organisations").dataset("organisations")
TITLES = {f.name: f.title for f in DATASET.fields}
REQUIRED = [f.name for f in DATASET.required]


def read(path: Path, name: str) -> dict[str, pl.DataFrame]:
    suffix = path.suffix.lower()
    with unforeseen_errors(name, "an organisation register (CSV or XLSX) with the columns of its contract"):
        if suffix in (".csv", ".txt"):
            frame = read_csv_text(path, name, judge_rows=True)
        elif suffix in (".xlsx", ".xlsm"):
            frame = data_sheet(open_workbook(path, name), name, TITLES, REQUIRED, "organisations")
        else:
            raise SourceError(name, f"has an unknown file type {suffix!r}; expected .csv or .xlsx")
        frame, extras = match_titles(frame, TITLES, name, REQUIRED)
    return {"organisations": extras_as_json(frame, extras).select("source_row", *TITLES, "extra_fields", n.READ_PROBLEM)}


def normalise(frame: pl.DataFrame, context=None) -> pl.DataFrame:
    frame = n.with_parse_problems(frame, "problem", DATASET.required, convention=n.NUMBER_CONVENTION, read=True)
    frame = n.with_parse_problems(frame, "_optional_problem", [f for f in DATASET.fields if not f.required],
                                  convention=n.NUMBER_CONVENTION)
    typed = frame.with_columns(
        n.org_id("org_id", "charity_number", "company_number").alias("org_id"),
        n.text("name"), n.text("charity_number"), n.text("company_number"),
        n.text("organisation_type").str.to_lowercase().alias("organisation_type"),
        n.amount("latest_income", n.NUMBER_CONVENTION).alias("latest_income"),
        n.dated("income_period_end").alias("income_period_end"),
        n.text("postcode").str.to_uppercase().alias("postcode"),
        n.text("local_authority_code").str.to_uppercase().alias("local_authority_code"),
    )
    typed = n.empty_outside_contract(typed, DATASET.fields)  # before the size band: a negative income is no size
    typed = n.district_codes(typed, "local_authority_code", context)
    typed = typed.with_columns(
        n.size_band("latest_income").alias("size_band"),
        n.smaller_organisation("latest_income").alias("smaller_organisation"),
    )
    repairs = pl.concat_str([
        pl.when(pl.col("_optional_problem").is_not_null()).then(pl.format("{}: left empty", "_optional_problem")),
        pl.col(n.OUTSIDE_CONTRACT),
        pl.when(pl.col("geocode_repair") == "former_code").then(pl.lit("former district code mapped to the current one")),
    ], separator="; ", ignore_nulls=True)
    return typed.with_columns(repairs.replace("", None).alias("repairs")).drop("_optional_problem", n.OUTSIDE_CONTRACT)


SOURCE = Source("organisations", "organisations", "Organisation register", (".csv", ".xlsx"), read, True,
                lambda frames, context: {"organisations": normalise(frames["organisations"], context)},
                {"organisations": ("org_id",)}, position=1)

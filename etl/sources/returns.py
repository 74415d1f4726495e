"""Departmental returns: one XLSX workbook per public body per quarter, one sheet per dataset of the contract."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from data_contracts import load_contract
from etl import normalise as n
from etl.sources.files import SourceError, match_titles, open_workbook, read_sheet

CONTRACT = load_contract("returns")
SUMMARY = "return_summary"


def read(path: Path, name: str) -> dict[str, pl.DataFrame]:
    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        raise SourceError(name, f"has file type {path.suffix!r}; a departmental return is an .xlsx workbook (see `covenant template`)")
    book = open_workbook(path, name)
    sheets = {s.strip().lower(): s for s in book.sheet_names}
    frames = {}
    for dataset in CONTRACT.datasets:
        sheet = sheets.get(dataset.physical_name.lower())
        if sheet is None:
            raise SourceError(name, f"has no sheet {dataset.physical_name!r}; expected the sheets of the return template: "
                              + ", ".join(repr(d.physical_name) for d in CONTRACT.datasets))
        frame = read_sheet(book, name, sheet)
        titles = {f.name: f.title for f in dataset.fields}
        try:
            frame, _ = match_titles(frame, titles, name, [f.name for f in dataset.required])
        except SourceError as error:
            raise SourceError(name, f"sheet {dataset.physical_name!r}: {error.message}", line=1, column=error.column) from None
        frames[dataset.name] = frame.select("source_row", *titles, pl.lit(dataset.physical_name).alias("source_sheet"))
    summary = frames[SUMMARY]
    if summary.height != 1:
        raise SourceError(name, f"sheet 'Summary' has {summary.height} rows; expected exactly one (the body and quarter of the return)")
    return frames


def _integer(column: str) -> pl.Expr:
    return n.amount(column).cast(pl.Int64, strict=False)


def normalise(frames: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    """Typed sheets of any number of workbooks (told apart by `source_file`). Every sheet's rows carry the body
    and period of their workbook's Summary sheet."""
    summary = n.body_codes(frames[SUMMARY].with_columns(n.text("body_code").alias("body_as_written")), "body_as_written", "body_code_resolved")
    summary = summary.with_columns(
        pl.col("body_code_resolved").alias("body_code"),
        n.text("financial_year"),
        _integer("quarter").alias("quarter"),
        *[n.boolean(c).alias(c) for c in ("action_plan_published", "ministerial_lead_named", "senior_official_lead_named")],
        n.text("action_plan_url"),
        *[_integer(c).alias(c) for c in ("meetings_committed", "meetings_held", "rejected_applicants",
                                          "rejected_applicants_given_feedback", "foi_requests", "foi_answered_in_time")],
    ).drop("body_code_resolved")
    header_problem = (
        pl.when(pl.col("body_code").is_null()).then(pl.format("Public body code: {} is not a public body in the reference", pl.col("body_as_written")))
        .when(~pl.col("financial_year").str.contains(r"^20\d\d-\d\d$").fill_null(False)).then(pl.lit("Financial year: expected the form 2025-26"))
        .when(~pl.col("quarter").is_in([1, 2, 3, 4]).fill_null(False)).then(pl.lit("Quarter: expected 1, 2, 3 or 4"))
    )
    summary = summary.with_columns(header_problem.alias("problem"))
    # each workbook's Summary row gives the body and period of every other sheet in the same file
    keys = summary.select("source_file", "body_code", "financial_year", "quarter", pl.col("problem").alias("_return_problem"))
    out = {SUMMARY: summary.with_columns(
        pl.when(pl.col("problem").is_null())
        .then(
            pl.when(pl.col("meetings_held").is_null() | pl.col("meetings_committed").is_null()).then(pl.lit("Engagement meetings: missing or not a whole number"))
            .when((pl.col("meetings_held") < 0) | (pl.col("meetings_committed") < 0)).then(pl.lit("Engagement meetings: negative"))
            .when(pl.col("rejected_applicants_given_feedback") > pl.col("rejected_applicants")).then(pl.lit("Rejected applicants given feedback: more than rejected applicants"))
            .when(pl.col("foi_answered_in_time") > pl.col("foi_requests")).then(pl.lit("FOI requests answered within 20 working days: more than FOI requests"))
            .when(pl.col("action_plan_published").is_null()).then(pl.lit("Action plan published: expected Yes or No"))
        ).otherwise("problem").alias("problem"))}
    for dataset in CONTRACT.datasets:
        if dataset.name == SUMMARY:
            continue
        frame = frames[dataset.name]
        exprs = []
        for f in dataset.fields:
            if f.logical_type == "date":
                exprs.append(n.date(f.name).alias(f.name))
            elif f.logical_type == "boolean":
                exprs.append(n.boolean(f.name).alias(f.name))
            elif f.logical_type == "integer":
                exprs.append(_integer(f.name).alias(f.name))
            else:
                exprs.append(n.text(f.name).alias(f.name))
        typed = frame.with_columns(exprs).join(keys, on="source_file", how="left")
        problem = pl.when(pl.col("_return_problem").is_not_null()).then(pl.lit("the return's Summary sheet is invalid"))
        for f in dataset.fields:
            if f.required:
                problem = problem.when(pl.col(f.name).is_null()).then(pl.lit(f"{f.title}: missing or not a valid {f.logical_type}"))
            if f.enum:
                problem = problem.when(pl.col(f.name).is_not_null() & ~pl.col(f.name).cast(pl.Utf8).str.to_lowercase().is_in([str(v) for v in f.enum])).then(
                    pl.lit(f"{f.title}: not one of " + ", ".join(map(str, f.enum))))
        out[dataset.name] = typed.with_columns(problem.alias("problem")).drop("_return_problem")
    return out

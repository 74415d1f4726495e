"""Departmental returns: one XLSX workbook per public body per quarter, one sheet per dataset of the contract."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

from data_contracts import load_contract
from etl import normalise as n
from etl import periods
from etl.sources.source import Source
from etl.sources.files import SourceError, match_titles, open_workbook, read_sheet, unforeseen_errors

CONTRACT = load_contract("returns")
SUMMARY = "return_summary"


def read(path: Path, name: str) -> dict[str, pl.DataFrame]:
    with unforeseen_errors(name, "a departmental return in the return template (see `covenant template`)"):
        return _read(path, name)


def _read(path: Path, name: str) -> dict[str, pl.DataFrame]:
    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        raise SourceError(name, f"has file type {path.suffix!r}; a departmental return is an .xlsx workbook (see `covenant template`)")
    book = open_workbook(path, name)
    sheets: dict[str, str] = {}
    for sheet in book.visible():  # a hidden sheet (an old copy, say) is never read
        key = sheet.strip().lower()
        if key in sheets:
            raise SourceError(name, f"has two visible sheets named {n.quoted(sheet.strip())}, told apart only by case or "
                                    "spaces; expected one sheet of each name, as in the return template")
        sheets[key] = sheet
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


def _typed(frame: pl.DataFrame, dataset) -> pl.DataFrame:
    """Typed columns and `problem`: the first value that could not be read as its type."""
    frame = n.with_parse_problems(frame, "problem", dataset.fields, convention=n.NUMBER_CONVENTION, read=True)
    return frame.lazy().with_columns(  # lazily, as funding.normalise does
        *[n.typed(f.name, f.logical_type, n.NUMBER_CONVENTION).alias(f.name) for f in dataset.fields],
    ).with_columns(*[pl.col(f.name).str.to_lowercase() for f in dataset.fields if f.enum and f.logical_type == "string"]).collect()


def normalise(frames: dict[str, pl.DataFrame], as_of: dt.date | None = None) -> dict[str, pl.DataFrame]:
    """Typed sheets of any number of workbooks (told apart by `source_file`). Every sheet's rows carry the body
    and period of their workbook's Summary sheet. The contract's own checks (required, allowed values, ranges)
    run in Great Expectations after loading; the rules here are those across fields and sheets."""
    dataset = CONTRACT.dataset(SUMMARY)
    summary = _typed(frames[SUMMARY].with_columns(n.text("body_code").alias("body_as_written")), dataset)
    summary = n.body_codes(summary.drop("body_code"), "body_as_written", "body_code")
    year_problem = periods.financial_year_problem_expr("financial_year", n.quoted_expr(pl.col("financial_year")), as_of)
    summary = summary.with_columns(
        pl.when(pl.col("problem").is_not_null()).then("problem")
        .when(year_problem.is_not_null()).then(year_problem)
        .when(pl.col("body_as_written").is_not_null() & pl.col("body_code").is_null())
        .then(pl.format("Public body code: {} is not a public body in the reference", n.quoted_expr(pl.col("body_as_written"))))
        .when(pl.col("rejected_applicants_given_feedback") > pl.col("rejected_applicants"))
        .then(pl.lit("Rejected applicants given feedback: more than the rejected applicants"))
        .when(pl.col("foi_answered_in_time") > pl.col("foi_requests"))
        .then(pl.lit("FOI requests answered within 20 working days: more than the FOI requests"))
        .alias("problem")
    )
    # each workbook's Summary row gives the body and period of every other sheet in the same file
    keys = summary.select("source_file", "body_code", "financial_year", "quarter", pl.col("problem").alias("_summary_problem"))
    out = {SUMMARY: summary}
    for dataset in CONTRACT.datasets:
        if dataset.name == SUMMARY:
            continue
        typed = _typed(frames[dataset.name], dataset).join(keys, on="source_file", how="left")
        out[dataset.name] = typed.with_columns(
            pl.when(pl.col("problem").is_not_null()).then("problem")
            .when(pl.col("_summary_problem").is_not_null()).then(pl.format("the return's Summary sheet is invalid ({})", "_summary_problem"))
            .alias("problem")
        ).drop("_summary_problem")
    return out


SOURCE = Source("returns", "returns", "Departmental returns", (".xlsx",), read, False,
                lambda frames, context: normalise(frames, context.as_of),
                {SUMMARY: ("body_code", "financial_year", "quarter"), "return_commitments": ("source_file", "commitment_ref"),
                 "return_consultations": ("source_file", "consultation_ref"),
                 "return_funding_endings": ("source_file", "ending_ref"), "return_policies": ("source_file", "policy_ref")},
                position=3, extra_column="source_sheet", governing_dataset=SUMMARY)

"""The sources: one entry per inbox folder, declared once. A file's folder says what it is."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import polars as pl

from etl.sources import funding, issues, organisations, returns


@dataclass(frozen=True)
class Context:
    """What normalisation needs beyond the rows: the day the build runs as of, and any small-area lookup."""

    as_of: dt.date
    small_areas: pl.DataFrame | None = None  # small_area_code -> district_code, from lookups in the inbox
    districts: pl.DataFrame | None = None  # gss_code of every known district (reference + lookups)
    successors: pl.DataFrame | None = None  # former_code -> current_code (reference + lookups)


@dataclass(frozen=True)
class Source:
    folder: str  # the inbox folder its files are dropped into
    contract: str  # the data contract (data_contracts/<contract>.yaml)
    title: str
    suffixes: tuple[str, ...]
    read: Callable  # (path, name) -> {dataset: text frame}
    chunked: bool  # True when rows normalise independently of each other, so a build can normalise in chunks
    normalise: Callable  # ({dataset: text frame}, Context) -> {dataset: typed frame with `problem`}
    key: dict[str, tuple[str, ...]]  # dataset -> the columns that identify a record (duplicates are quarantined)
    # row-level data kept out of the published warehouse (only disclosure-controlled aggregates are published)
    confidential: bool = False


SOURCES: tuple[Source, ...] = (
    Source("organisations", "organisations", "Organisation register", (".csv", ".xlsx"), organisations.read, True,
           lambda frames, context: {"organisations": organisations.normalise(frames["organisations"], context)}, {"organisations": ("org_id",)}),
    Source("funding", "funding", "Funding (360Giving)", (".json", ".csv", ".xlsx"), funding.read, True,
           lambda frames, context: {"grants": funding.normalise(frames["grants"], context)}, {"grants": ("grant_id",)}),
    Source("returns", "returns", "Departmental returns", (".xlsx",), returns.read, False,
           lambda frames, context: returns.normalise(frames, context.as_of), {"return_summary": ("body_code", "financial_year", "quarter"),
            "return_commitments": ("source_file", "commitment_ref"), "return_consultations": ("source_file", "consultation_ref"),
            "return_funding_endings": ("source_file", "ending_ref"), "return_policies": ("source_file", "policy_ref")}),
    Source("issues", "issue_events", "Issue events", (".csv", ".jsonl", ".ndjson"), issues.read, False,
           lambda frames, context: {"issue_events": issues.normalise(frames["issue_events"], context.as_of, context)}, {"issue_events": ("event_id",)},
           confidential=True),
)

INBOX_FOLDERS = tuple(s.folder for s in SOURCES) + ("reference",)


def source(folder: str) -> Source:
    return next(s for s in SOURCES if s.folder == folder)

"""What a source is: the declaration each source module makes once (`SOURCE = Source(...)`), and the context its
normaliser is given. etl/sources/__init__.py finds every module's declaration, so adding a source touches its data
contract, its module and its tests."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import polars as pl


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
    position: int  # where it comes in lists of sources (the build's order, the folders' order in messages)
    # the column a reader adds to keep what the contract does not name: a sender's extra columns as JSON
    # ("extra_fields"), the sheet a row came from ("source_sheet"), or none (issue logs may hold free text)
    extra_column: str | None = "extra_fields"
    # a dataset whose quarantined row quarantines the file's rows in the source's other datasets (a return's Summary)
    governing_dataset: str | None = None
    # row-level data kept out of the published warehouse (only disclosure-controlled aggregates are published)
    confidential: bool = False


@dataclass(frozen=True)
class Lookups:
    """The reference folder: geography lookups read before the sources, to resolve their places."""

    folder: str
    contract: str
    title: str
    suffixes: tuple[str, ...]

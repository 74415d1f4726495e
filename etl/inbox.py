"""The read stage: the inbox's files, in reading order, into the `raw` layer as text exactly as sent, with their
lineage (file, checksum, line, load id); a large inbox is read by worker processes."""

from __future__ import annotations

import itertools
import multiprocessing
import os
import re
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl
import pyarrow as pa

from data_contracts import load_contract
from etl import settings
from etl.build_result import BuildResult, FileResult
from etl.frames import create_table, insert_into
from etl.normalise import (DATE_ORDER, NUMBER_CONVENTION, READ_PROBLEM, date_order, number_convention,
                           without_long_values)
from etl.sources import SOURCES, Source
from etl.sources import source as source_for
from etl.sources.files import SourceError, admit, file_name, time_limit, unchanged, within_folder_limit

# an inbox larger than settings.PARALLEL_READ_BYTES is read by READ_WORKERS processes at once; a smaller one is read
# in the build's process
Progress = Callable[[str, int], None]  # told (what, how many) as files are read
PARALLEL_READ_BYTES = settings.PARALLEL_READ_BYTES

READ_WORKERS = min(2, os.cpu_count() or 1)

LINEAGE = ("source_file", "file_sha256", "source_row", "load_id")

def inbox_files(inbox: Path, folder: str) -> list[Path]:
    """The files of an inbox folder, and any folder inside it (which the build reports, unread), in the order of
    their names without their file type (_reading_order), so that a copy with something added to its name ('x (corrected).csv',
    'x v2.csv') comes after its original ('x.csv'), and its records supersede the original's. Hidden files and
    Office's lock files ('~$...') are not data and are passed over."""
    path = inbox / folder
    if not path.is_dir():
        return []
    return sorted((p for p in path.iterdir() if not p.name.startswith((".", "~$"))), key=_reading_order)


def _reading_order(path: Path) -> tuple[list, str]:
    """A file's place in the reading order: its name without its file type, ignoring case, numbers by value
    ('grants v9' before 'grants v10', 'awards' before 'Awards (corrected)')."""
    parts = re.split(r"(\d+)", path.stem.casefold())  # text and numbers alternate, so like is compared with like
    return [int(part) if number % 2 else part for number, part in enumerate(parts)], path.suffix.casefold()


def text_schema(source: Source) -> dict[str, dict[str, pl.DataType]]:
    """The raw (text) columns of each dataset of a source, as its reader returns them."""
    contract = load_contract(source.contract)
    out = {}
    for dataset in contract.datasets:
        columns = {"source_row": pl.Int64} | {f.name: pl.Utf8 for f in dataset.fields if not f.confidential} | {
            NUMBER_CONVENTION: pl.Utf8,  # how the file writes its numbers (etl/normalise.py), decided per file
            DATE_ORDER: pl.Utf8,  # whether its dates with slashes are day first, or in doubt (etl/normalise.py)
            READ_PROBLEM: pl.Utf8}  # why the reader could not read the row as sent (a ragged line): it is quarantined
        if source.extra_column:
            columns[source.extra_column] = pl.Utf8
        out[dataset.name] = columns
    return out


def _lineage(name: str, digest: str | None, load_id: str, order: int) -> list[pl.Expr]:
    """The columns that say which file of which load a row came from."""
    return [pl.lit(name, pl.Utf8).alias("source_file"), pl.lit(digest, pl.Utf8).alias("file_sha256"),
            pl.lit(load_id, pl.Utf8).alias("load_id"), pl.lit(order, pl.Int32).alias("file_order")]


def read_inbox(con: duckdb.DuckDBPyConnection, inbox: Path, result: BuildResult, progress: Progress | None,
               folders: tuple[str, ...] | None = None) -> None:
    """Every source file (of the sources whose `folders` are given; by default all), in inbox order, into
    raw.<dataset> as text with its lineage."""
    seen: dict[tuple[str, str], str] = {}  # (folder, checksum) -> the file read
    wanted: list[tuple[FileResult, int, str, Path]] = []  # files to read: not refused, not a copy of another
    for source in (s for s in SOURCES if folders is None or s.folder in folders):
        for dataset, schema in text_schema(source).items():
            create_table(con, f"raw.{dataset}", pl.DataFrame(schema=schema).with_columns(_lineage("", None, result.load_id, 0)))
        paths = inbox_files(inbox, source.folder)
        for number, path in enumerate(paths):
            name = file_name(path, source.folder)
            record = FileResult(path=name, source=source.folder)
            result.files.append(record)
            try:
                within_folder_limit(number, len(paths), name, source.folder)
                record.sha256, before = admit(path, name, source.suffixes, source.folder)
            except SourceError as error:
                record.rejected = str(error)
                continue
            if (source.folder, record.sha256) in seen:  # a copy in another folder is judged there, as that folder's file
                record.duplicate_of = seen[source.folder, record.sha256]
                continue
            seen[source.folder, record.sha256] = name
            wanted.append((record, len(result.files), source.folder, path, before))
    buffer = _RawBuffer(con)
    read = read_files([FileToRead(folder, path, record.path, record.sha256, result.load_id, order, before)
                        for record, order, folder, path, before in wanted])
    for (record, _, folder, _, _), tables in zip(wanted, read, strict=True):
        if isinstance(tables, str):
            record.rejected = tables
            continue
        for dataset, table in tables.items():
            buffer.add(dataset, table)
            record.rows_read += table.num_rows
        if progress:
            progress(folder, 1)
    buffer.flush()


@dataclass(frozen=True)
class FileToRead:
    folder: str
    path: Path
    name: str  # as recorded: folder/file name
    sha256: str | None
    load_id: str
    order: int  # the file's place in the inbox: a later file supersedes an earlier one
    signature: tuple  # its size, time and inode when admitted: a file changed since is refused (files.unchanged)


def read_file(file: FileToRead) -> dict[str, pa.Table] | str:
    """One file read as text by its source's reader, with its lineage, each dataset in the columns of its raw table
    (those a file lacks are null): {dataset: Arrow table}, or why the file was rejected. In a worker process this is
    all done there, so the build's own process only writes the tables."""
    source = source_for(file.folder)
    try:
        with time_limit(file.name):
            frames = source.read(file.path, file.name)
        unchanged(file.path, file.name, file.signature)
    except SourceError as error:
        return str(error)
    except Exception as error:  # a reader failing in a way nobody foresaw still only rejects its file; its message
        # may quote the file, so only its kind is told
        return f"{file.name}: could not be read ({type(error).__name__}); expected a {source.title} file in the source's format"
    schemas = text_schema(source)
    contract = load_contract(source.contract)
    told = {frame[NUMBER_CONVENTION][0] for frame in frames.values() if NUMBER_CONVENTION in frame.columns and frame.height}
    convention = told.pop() if len(told) == 1 else number_convention(  # from its reader (JSON: only numbers written as text)
        [(frame, [f.name for f in contract.dataset(d).fields if f.logical_type in ("number", "integer") and f.name in frame.columns])
         for d, frame in frames.items()])
    order = date_order([(frame, [f.name for f in contract.dataset(d).fields if f.logical_type in ("date", "timestamp")
                                 and f.name in frame.columns]) for d, frame in frames.items()])
    decided = {NUMBER_CONVENTION: pl.lit(convention, pl.Utf8), DATE_ORDER: pl.lit(order, pl.Utf8)}
    lineage = _lineage(file.name, file.sha256, file.load_id, file.order)
    tables = {}
    for dataset, frame in frames.items():  # one select a frame: a return's six small frames each paid for four
        frame = without_long_values(frame, {f.name: f.title for f in contract.dataset(dataset).fields})
        columns = [decided[c].alias(c) if c in decided else pl.col(c).cast(t) if c in frame.columns else pl.lit(None, t).alias(c)
                   for c, t in schemas[dataset].items()]
        tables[dataset] = frame.select(*columns, *lineage).to_arrow(compat_level=pl.CompatLevel.oldest())
    return tables


def read_files(files: list[FileToRead]) -> Iterator[dict[str, pa.Table] | str]:
    """Each file's `read_file`, in order. The readers are Python, and so use one CPU: an inbox of more than
    PARALLEL_READ_BYTES is read by a worker process per CPU while this process writes what they have read, with a
    few files in hand at a time (memory stays bounded by files, not by the inbox); a smaller one is read here."""
    if READ_WORKERS < 2 or sum(file.path.stat().st_size for file in files) < PARALLEL_READ_BYTES:
        for file in files:
            yield read_file(file)
        return
    # spawned, not forked: a fork would copy DuckDB's and polars' threads' locks mid-use
    with ProcessPoolExecutor(READ_WORKERS, mp_context=multiprocessing.get_context("spawn"), initializer=end_with_parent) as pool:
        waiting = iter(files)
        in_hand = deque(pool.submit(read_file, file) for file in itertools.islice(waiting, 2 * READ_WORKERS))
        while in_hand:
            tables = in_hand.popleft().result()
            following = next(waiting, None)
            if following:
                in_hand.append(pool.submit(read_file, following))
            yield tables


def end_with_parent() -> None:
    """A reading worker ends when the build's process does, however it ends (SIGTERM, SIGKILL): Linux sends the
    worker SIGTERM when its parent dies. Elsewhere a worker ends when its pipe to the parent closes."""
    try:
        import ctypes
        import signal

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class _RawBuffer:
    """Collects small files' rows and writes them to raw.<dataset> in blocks: one insert per file would cost more
    than reading the file; a block is small enough to keep memory bounded, by rows and by tables (each table of a
    file holds buffers of its own, whatever its rows: 50,000 one-row returns once held 3 GB)."""

    def __init__(self, con: duckdb.DuckDBPyConnection, rows: int = 250_000, tables: int = 500) -> None:
        self.con, self.rows, self.most_tables, self.tables, self.held = con, rows, tables, {}, {}

    def add(self, dataset: str, table: pa.Table) -> None:
        self.tables.setdefault(dataset, []).append(table)
        self.held[dataset] = self.held.get(dataset, 0) + table.num_rows
        if self.held[dataset] >= self.rows or len(self.tables[dataset]) >= self.most_tables:
            self._write(dataset)

    def _write(self, dataset: str) -> None:
        tables = self.tables.pop(dataset, [])
        self.held[dataset] = 0
        if tables:
            insert_into(self.con, f"raw.{dataset}", pa.concat_tables(tables))  # every file's table has its dataset's raw columns

    def flush(self) -> None:
        for dataset in list(self.tables):
            self._write(dataset)

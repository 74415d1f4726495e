"""`covenant build`: inbox files -> a new DuckDB warehouse, published atomically.

A build streams every file of the inbox (a file's folder says what it is) into the `raw` layer of a new database,
as text exactly as sent, with its lineage (file, checksum, line, load id); a large inbox is read by a worker
process per CPU. It then normalises each dataset (in chunks where rows are independent), marks duplicates and
superseded records, validates the rest with the Great Expectations suite generated from the dataset's contract,
and loads what passed into `staging`; every other row goes to `quarantine.rows` with its reason. The marts are
built from staging. All of this happens in a workspace inside the restricted folder (etl/warehouse_files.py), because
it holds the issue logs' rows.

Only then is the release written, public by construction: a new database is written from the tables declared public
(`public_tables`), never from a copy of the workspace, so no restricted row is ever written to a published file, not
even to be deleted; the restricted database is written beside it in the restricted folder. The leak gate
(etl/leak_gate.py) searches every byte of the public release for the build's restricted ids and text and refuses to
publish on any hit. Then the release is complete, and the `current` link is switched to it in one rename. A failed or
interrupted build leaves what was published exactly as it was. Memory stays bounded by a file and a chunk, not by
the inbox.
"""

from __future__ import annotations

import datetime as dt
import errno
import fcntl
import itertools
import json
import multiprocessing
import os
import re
import shutil
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

import duckdb
import polars as pl
import pyarrow as pa

import warehouse
from data_contracts import load_contract
from data_contracts.to_expectations import suite
from etl import indicators, leak_gate, periods, reference, revisions, settings
from etl.normalise import DATE_ORDER, NUMBER_CONVENTION, READ_PROBLEM, date_order, number_convention, without_long_values
from etl.sources import (CONFIDENTIAL_DATASETS, CONFIDENTIAL_FOLDERS, INBOX_FOLDERS, LOOKUPS, SOURCES, Context, Source,
                         issues, lookups)
from etl.sources import source as source_for
from etl.sources.files import (SourceError, admit, file_name, sha256, time_limit, unchanged, unforeseen_errors,
                               within_folder_limit)
from etl.validate import Validator
from etl.warehouse_files import (DATA_DOCS_DIR, DATABASE_FILE, MANIFEST_FILE, OWNER_ONLY, PARQUET_DIR, PUBLISHED_LOG,
                                 RESTRICTED_DATABASE, current_release, published_releases, releases_dir,
                                 restricted_dir)

Progress = Callable[[str, int], None]
STAGES = ("read", "normalise", "validate", "marts", "publish")  # a build's stages, in order (validate includes quarantine)
# an inbox larger than settings.PARALLEL_READ_BYTES is read by READ_WORKERS processes at once; a smaller one is read
# in the build's process
PARALLEL_READ_BYTES = settings.PARALLEL_READ_BYTES
READ_WORKERS = min(2, os.cpu_count() or 1)
LINEAGE = ("source_file", "file_sha256", "source_row", "load_id")
PUBLIC_DATASETS = tuple(d.name for s in SOURCES if not s.confidential for d in load_contract(s.contract).datasets)
# row-level confidential tables: written to the restricted database only
RESTRICTED_TABLES = tuple(f"{schema}.{d}" for d in sorted(CONFIDENTIAL_DATASETS) for schema in ("raw", "staging")) + tuple(
    name for name, _, public in warehouse.MODELS if not public)
FILE_SCHEMA = {"path": pl.Utf8, "source": pl.Utf8, "sha256": pl.Utf8, "rows_read": pl.Int64, "rows_loaded": pl.Int64,
               "rows_quarantined": pl.Int64, "rejected": pl.Utf8, "duplicate_of": pl.Utf8}


@dataclass
class FileResult:
    path: str  # relative to the inbox, e.g. funding/dcms_grants_2025-26.csv
    source: str
    sha256: str | None = None
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    rejected: str | None = None
    duplicate_of: str | None = None


@dataclass
class BuildResult:
    load_id: str
    built_at: str
    published: bool = False
    release: str | None = None
    message: str = ""
    files: list[FileResult] = field(default_factory=list)
    tables: dict[str, int] = field(default_factory=dict)
    quarantine_reasons: dict[str, int] = field(default_factory=dict)
    # issue figures by breakdown and period level: how many published, suppressed and withheld (disclosure control)
    disclosure: dict[str, dict[str, int]] = field(default_factory=dict)
    expectations_failed: int = 0
    data_docs: str | None = None
    database_bytes: int | None = None  # the published database's size and checksum: `covenant status` checks them
    database_sha256: str | None = None
    stage_seconds: dict[str, float] = field(default_factory=dict)  # wall time spent in each of STAGES

    def public_files(self) -> list[dict]:
        """The files as the public may see them. A confidential source's file (an issue log) is named only by its
        place among that source's files, without its name, checksum, row counts or the reason it was rejected: a
        sender chose the name, and the reason may describe the contents. The restricted manifest has them all."""
        public_names: dict[str, str] = {}
        for file in self.files:
            if file.source in CONFIDENTIAL_FOLDERS:
                number = sum(1 for name in public_names if name.startswith(f"{file.source}/")) + 1
                public_names[file.path] = f"{file.source}/file {number} (name withheld)"
        out = []
        for file in self.files:
            row = asdict(file)
            if file.source in CONFIDENTIAL_FOLDERS:
                row.update(path=public_names[file.path], sha256=None, rows_read=None, rows_loaded=None, rows_quarantined=None,
                           rejected="rejected: the reason is in the restricted manifest" if file.rejected else None,
                           duplicate_of=public_names.get(file.duplicate_of, file.duplicate_of))
            out.append(row)
        return out

    def manifest(self, public: bool = True) -> dict:
        """What was built from which files. The public manifest withholds what the issue logs hold: their files are
        listed as `public_files` gives them, their row counts are in the restricted manifest only."""
        document = asdict(self)
        del document["stage_seconds"]  # the publish stage is still running as the manifest is written
        if public:
            document["files"] = self.public_files()
            confidential = {k: v for k, v in self.quarantine_reasons.items() if k.split(":")[0] in CONFIDENTIAL_DATASETS}
            document["tables"] = {k: v for k, v in self.tables.items() if k not in RESTRICTED_TABLES}
            if "quarantine.rows" in document["tables"]:
                document["tables"]["quarantine.rows"] -= sum(confidential.values())
            document["quarantine_reasons"] = {k: v for k, v in self.quarantine_reasons.items() if k not in confidential}
        return document


class BuildRejected(Exception):
    """The build was refused; nothing was published."""


class BuildFailed(BuildRejected):
    """The build could not finish (the disk filled up); what was published before is unchanged."""


DISK_FULL_ERRNOS = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)
DISK_FULL_WORDS = ("No space left on device", "Disk quota exceeded", "File too large")


def _disk_full(error: BaseException) -> bool:
    """The disk (or the space allowed) ran out: as an OSError, or as DuckDB's or a library's error about one."""
    while error is not None:
        if isinstance(error, OSError) and error.errno in DISK_FULL_ERRNOS:
            return True
        if any(words in str(error) for words in DISK_FULL_WORDS):
            return True
        error = error.__cause__ or error.__context__
    return False


# --- the inbox ----------------------------------------------------------------------------------------------------


def _inbox_files(inbox: Path, folder: str) -> list[Path]:
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


def _text_schema(source: Source) -> dict[str, dict[str, pl.DataType]]:
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


def _lineage(frame: pl.DataFrame, name: str, digest: str | None, load_id: str, order: int) -> pl.DataFrame:
    return frame.with_columns(pl.lit(name, pl.Utf8).alias("source_file"), pl.lit(digest, pl.Utf8).alias("file_sha256"),
                              pl.lit(load_id, pl.Utf8).alias("load_id"), pl.lit(order, pl.Int32).alias("file_order"))


# --- reference lookups supplied in the inbox ----------------------------------------------------------------------


def _read_lookups(inbox: Path, result: BuildResult) -> dict[str, pl.DataFrame]:
    """Lookups in reference/ (district and small-area lookups, code lists, mySociety's register and names, council
    org-ids, HexJSON layouts), each file recorded with its rows or the reason it was rejected."""
    found: dict[str, list[pl.DataFrame]] = {}
    records: dict[str, FileResult] = {}
    paths = _inbox_files(inbox, LOOKUPS.folder)
    for number, path in enumerate(paths):
        name = file_name(path, LOOKUPS.folder)
        record = records[name] = FileResult(path=name, source=LOOKUPS.folder)
        result.files.append(record)
        try:
            within_folder_limit(number, len(paths), name, LOOKUPS.folder)
            record.sha256, before = admit(path, name, LOOKUPS.suffixes, LOOKUPS.folder)
            with time_limit(name), unforeseen_errors(name, "a lookup of this build's kinds, in its publisher's layout"):
                kind = lookups.classify(path)
                if kind is None:
                    raise SourceError(name, "is not a lookup this build reads: expected a district lookup (LAD23CD, RGN23CD ...), "
                                      "a small-area lookup (LSOA21CD, LAD23CD), a code list (RGNCD, CAUTHCD ...), mySociety's "
                                      "register or names of local authorities, council org-ids with GSS codes, or a HexJSON layout")
                frame = lookups.READERS[kind](path, name)
            unchanged(path, name, before)
        except SourceError as error:
            record.rejected = str(error)
            continue
        frame = frame.with_columns(pl.lit(name).alias("source_file"))
        earlier = pl.concat(found.get(kind, []), how="diagonal_relaxed") if found.get(kind) else pl.DataFrame()
        if disagreeing := lookups.disagreement(kind, earlier, frame):  # read in order: the later file is refused, alone
            record.rejected = f"{name}: {disagreeing}"
            continue
        record.rows_read = record.rows_loaded = frame.height
        found.setdefault(kind, []).append(frame)
    tables = {kind: pl.concat(frames, how="diagonal_relaxed") for kind, frames in found.items()}
    areas = tables.get("small_area_lookup")
    if areas is not None and "authority_register" not in tables:
        # register codes mean nothing without the register: such files are rejected, whole
        needs = areas.filter(pl.col("district_code").is_null() & pl.col("register_code").is_not_null())["source_file"].unique()
        for name in needs:
            records[name].rejected = (f"{name}: gives mySociety register codes (local-authority-code), not GSS district codes; "
                                      "expected mySociety's register (uk_local_authorities_current.csv) beside it in reference/, "
                                      "or an ONS lookup with LSOA21CD and LAD23CD")
            records[name].rows_loaded = 0
        tables["small_area_lookup"] = areas.filter(~pl.col("source_file").is_in(needs.to_list()))
    return tables


def _register_gss(register: pl.DataFrame) -> pl.DataFrame:
    """mySociety register code -> the GSS code of the authority now (following `replaced_by` for abolished ones)."""
    codes = register.select("register_code", "gss_code", "replaced_by").unique("register_code")
    step = codes.join(codes.select(pl.col("register_code").alias("replaced_by"), pl.col("gss_code").alias("_next"),
                                   pl.col("replaced_by").alias("_then")), on="replaced_by", how="left")
    step = step.join(codes.select(pl.col("register_code").alias("_then"), pl.col("gss_code").alias("_last")), on="_then", how="left")
    return step.select("register_code", pl.coalesce("_last", "_next", "gss_code").alias("current_gss"), "gss_code")


def _with_successors(successors: pl.DataFrame, moved: pl.DataFrame) -> pl.DataFrame:
    """Add (former_code, current_code, note) rows to the successors; a code already mapped keeps its first mapping."""
    added = moved.select("former_code", "current_code", pl.lit(None, pl.Date).alias("changed_on"), "note")
    return pl.concat([successors, added], how="vertical_relaxed").unique("former_code", keep="first", maintain_order=True)


def _places(found: dict[str, pl.DataFrame]) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame | None, pl.DataFrame | None]:
    """The localities and successors of the reference, extended with the districts and successors of any lookups;
    the small-area lookup and hex layout, if supplied."""
    localities = reference.load("localities")
    successors = reference.load("locality_successors")
    register = found.get("authority_register")
    resolved = _register_gss(register) if register is not None else None
    if register is not None:
        former = register.select(pl.col("former_codes").str.split(",").alias("former_code"), pl.col("gss_code").alias("current_code")) \
            .explode("former_code").with_columns(pl.col("former_code").str.strip_chars()).drop_nulls()
        ended = resolved.filter(pl.col("current_gss") != pl.col("gss_code")).select(
            pl.col("gss_code").alias("former_code"), pl.col("current_gss").alias("current_code"))
        moved = pl.concat([former, ended]).filter(pl.col("former_code") != pl.col("current_code"))
        successors = _with_successors(successors, moved.with_columns(pl.lit("from mySociety's register").alias("note")))
    districts = found.get("district_lookup")
    if districts is not None:
        moved = districts.filter(pl.col("current_code").is_not_null() & (pl.col("current_code") != pl.col("district_code")))
        successors = _with_successors(successors, moved.select(
            pl.col("district_code").alias("former_code"), "current_code", pl.format("from {}", "source_file").alias("note")))
        current = (
            districts.filter(pl.col("current_code").is_null() | (pl.col("current_code") == pl.col("district_code")))
            .filter(~pl.col("district_code").is_in(successors["former_code"].to_list()))
            .sort("vintage", descending=True, nulls_last=True).unique("district_code", keep="first")
            .join(localities.select(pl.col("gss_code").alias("district_code")), on="district_code", how="anti")
        )
        localities = pl.concat([localities, current.select(
            pl.col("district_code").alias("gss_code"), pl.coalesce("district_name", "district_code").alias("name"),
            pl.lit("district").alias("level"), pl.lit(None, pl.Utf8).alias("district_type"),
            pl.when(pl.col("region_code").str.starts_with("E12")).then("region_code").alias("region_code"), "nation_code",
            pl.lit(None, pl.Int64).alias("population"), pl.lit(None, pl.Int32).alias("tile_col"),
            pl.lit(None, pl.Int32).alias("tile_row"))], how="diagonal_relaxed")
    small_areas = found.get("small_area_lookup")
    if small_areas is not None:
        if resolved is not None:
            small_areas = small_areas.join(resolved.select("register_code", "current_gss"), on="register_code", how="left") \
                .with_columns(pl.coalesce("district_code", "current_gss").alias("district_code"))
        small_areas = small_areas.select("small_area_code", "district_code").drop_nulls().unique("small_area_code", keep="last")
    hexes = found.get("hex_layout")
    if hexes is not None:
        hexes = lookups.current_districts(hexes, successors, "gss_code")
    return localities, successors, small_areas, hexes


def _lookup_tables(found: dict[str, pl.DataFrame], successors: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """Lookups published as reference tables for analysts: code lists, council org-ids, names of authorities."""
    contract = load_contract("reference_lookups")
    tables = {}
    for kind in ("area_codes", "organisation_areas", "authority_names"):
        fields = [f.name for f in contract.dataset(kind).fields]
        frame = found.get(kind, pl.DataFrame(schema={f: pl.Utf8 for f in fields}))
        tables[kind] = frame.select(fields).unique(keep="first", maintain_order=True)
    register = found.get("authority_register")
    if register is not None:
        current = _register_gss(register).join(successors.select(pl.col("former_code").alias("current_gss"), "current_code"),
                                               on="current_gss", how="left")
        tables["authority_names"] = tables["authority_names"].join(
            current.select("register_code", pl.coalesce("current_code", "current_gss").alias("gss_code")), on="register_code", how="left")
    else:
        tables["authority_names"] = tables["authority_names"].with_columns(pl.lit(None, pl.Utf8).alias("gss_code"))
    return tables


# --- the build ----------------------------------------------------------------------------------------------------


class _Stages:
    """Adds the wall time of each stage to result.stage_seconds, telling `on_stage` (a benchmark's memory sampler)
    when each begins; None ends the last."""

    def __init__(self, result: BuildResult, on_stage: Callable[[str | None], None] | None) -> None:
        self.result, self.on_stage, self.current, self.started = result, on_stage, None, 0.0

    def __call__(self, stage: str | None) -> None:
        now = time.perf_counter()
        if self.current:
            seconds = self.result.stage_seconds
            seconds[self.current] = round(seconds.get(self.current, 0.0) + now - self.started, 3)
        self.current, self.started = stage, now
        if self.on_stage:
            self.on_stage(stage)


def build(inbox: Path, warehouse_dir: Path, *, strict: bool = False, progress: Progress | None = None,
          as_of: dt.date | None = None, on_stage: Callable[[str | None], None] | None = None,
          retention_days: float = settings.RETENTION_DAYS) -> BuildResult:
    """Build a new warehouse from `inbox` and publish it under `warehouse_dir` (restricted data goes to the
    restricted folder beside it, etl/warehouse_files.py). Raises BuildRejected (nothing published) when the inbox is
    missing, another build is running, the leak gate finds restricted data in the release, or in strict mode when
    any file is rejected, any row quarantined or any expectation failed. `on_stage` is told as each of STAGES begins
    (None at the end). Releases superseded more than `retention_days` ago are removed.
    A large inbox is read by worker processes, which are spawned: a script that calls this must do so under
    `if __name__ == "__main__":`, as Python's multiprocessing requires."""
    inbox, warehouse_dir = Path(inbox).absolute(), Path(warehouse_dir).absolute()  # absolute once: every path below
    now = dt.datetime.now(dt.UTC)
    result = BuildResult(load_id=now.strftime("%Y%m%dT%H%M%S%fZ"), built_at=now.isoformat(timespec="seconds"))
    if not inbox.is_dir():
        raise BuildRejected(f"the inbox {inbox} does not exist; run `covenant demo` or create it with the folders "
                            + ", ".join(f"{folder}/" for folder in INBOX_FOLDERS))
    releases_dir(warehouse_dir).mkdir(parents=True, exist_ok=True)
    restricted = _owner_only(restricted_dir(warehouse_dir))
    with open(warehouse_dir / ".build.lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BuildRejected(f"another build is running on {warehouse_dir}; try again when it has finished") from None
        _remove_unfinished(warehouse_dir)
        building = f".building-{result.load_id}"
        release_tmp, restricted_tmp = releases_dir(warehouse_dir) / building, releases_dir(restricted) / building
        workspace = restricted / building
        try:
            for folder in (release_tmp, restricted_tmp, workspace):
                folder.mkdir()
            stage = _Stages(result, on_stage)
            _build_release(inbox, workspace, release_tmp, restricted_tmp, result, progress, as_of or dt.date.today(), stage,
                           current_release(warehouse_dir))
            if strict:
                _refuse_if_imperfect(result)
            _publish(release_tmp, restricted_tmp, warehouse_dir, result, retention_days)
            stage(None)
        except BaseException as error:
            for folder in (release_tmp, restricted_tmp):
                shutil.rmtree(folder, ignore_errors=True)
            if isinstance(error, Exception) and _disk_full(error):
                raise BuildFailed(
                    f"the disk holding {warehouse_dir} is full ({_first_line(error)}); the half-built release was removed "
                    "and the published warehouse is unchanged; free some space and build again") from error
            raise
        finally:
            shutil.rmtree(workspace, ignore_errors=True)
    return result


def _owner_only(folder: Path) -> Path:
    """The restricted folder, made if need be, that its owner alone may enter (mode 0700)."""
    releases_dir(folder).mkdir(parents=True, exist_ok=True, mode=OWNER_ONLY)
    folder.chmod(OWNER_ONLY)
    releases_dir(folder).chmod(OWNER_ONLY)
    return folder


def _first_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0][:200]


def _refuse_if_imperfect(result: BuildResult) -> None:
    rejected = [f.rejected for f in result.files if f.rejected]
    quarantined = sum(f.rows_quarantined for f in result.files)
    if rejected or quarantined or result.expectations_failed:
        reasons = []
        if rejected:
            reasons.append(f"{len(rejected)} file(s) rejected (first: {rejected[0]})")
        if quarantined:
            reasons.append(f"{quarantined:,} row(s) quarantined")
        if result.expectations_failed:
            reasons.append(f"{result.expectations_failed} expectation(s) failed")
        raise BuildRejected("strict build refused: " + "; ".join(reasons) + "; nothing was published")


def _build_release(inbox: Path, workspace: Path, release: Path, restricted: Path, result: BuildResult,
                   progress: Progress | None, as_of: dt.date, stage: _Stages, previous: Path | None) -> None:
    """Everything is built in the workspace's database (it holds restricted rows, so it lives in the restricted
    folder, as do DuckDB's spill files); then the public and the restricted releases are written from it, the public
    one compared with the release published before it (`previous`)."""
    # bounded memory: DuckDB spills to disk beyond its limit, and need not keep insertion order
    con = duckdb.connect(str(workspace / "workspace.duckdb"),
                         config={"memory_limit": settings.DUCKDB_MEMORY, "preserve_insertion_order": False,
                                 "temp_directory": str(workspace / "spill")})
    try:
        for schema in (*warehouse.SCHEMAS, "work"):
            con.execute(f"create schema {schema}")  # schema names are our own constants
        indicators.declarations(indicators.indicators())  # a bad declaration fails the build before any reading
        # Great Expectations takes seconds to import and set up: done in a thread while the inbox is read
        preparing = ThreadPoolExecutor(1, thread_name_prefix="validators").submit(lambda: {False: Validator(), True: Validator()})
        stage("read")
        found = _read_lookups(inbox, result)
        localities, successors, small_areas, hexes = _places(found)
        _reference_tables(con, as_of, localities, successors, hexes, _lookup_tables(found, successors))
        context = Context(as_of=as_of, small_areas=small_areas, successors=successors,
                          districts=localities.filter(pl.col("level") == "district"))
        _read_inbox(con, inbox, result, progress)
        validators = preparing.result()  # confidential sources get their own Data Docs
        quarantined, validations = [], []
        for source in SOURCES:
            stage("normalise")
            _normalise(con, source, context)
            stage("validate")
            for dataset in _text_schema(source):
                if source.key.get(dataset):
                    _mark(con, dataset, _superseded(con, dataset, source.key[dataset]))
                if source.governing_dataset and dataset != source.governing_dataset:
                    _mark(con, dataset, _with_failed_governing_row(con, dataset, source))
                validations.append(_validate(con, validators[source.confidential], source.contract, dataset))
                quarantined.append(_load(con, dataset, result))
        _finish(con, result, quarantined, validations, as_of, stage)
        stage("publish")
        _write_releases(con, inbox, release, restricted, result, validators, previous)
    finally:
        con.close()


def _read_inbox(con: duckdb.DuckDBPyConnection, inbox: Path, result: BuildResult, progress: Progress | None) -> None:
    """Every source file, in inbox order, into raw.<dataset> as text with its lineage."""
    seen: dict[tuple[str, str], str] = {}  # (folder, checksum) -> the file read
    wanted: list[tuple[FileResult, int, str, Path]] = []  # files to read: not refused, not a copy of another
    for source in SOURCES:
        for dataset, schema in _text_schema(source).items():
            empty = _lineage(pl.DataFrame(schema=schema), "", None, result.load_id, 0)
            con.execute(f"create table raw.{dataset} as select * from empty")
        paths = _inbox_files(inbox, source.folder)
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
    read = _read_files([_FileToRead(folder, path, record.path, record.sha256, result.load_id, order, before)
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
class _FileToRead:
    folder: str
    path: Path
    name: str  # as recorded: folder/file name
    sha256: str | None
    load_id: str
    order: int  # the file's place in the inbox: a later file supersedes an earlier one
    signature: tuple  # its size, time and inode when admitted: a file changed since is refused (files.unchanged)


def _read_file(file: _FileToRead) -> dict[str, pa.Table] | str:
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
    schemas = _text_schema(source)
    contract = load_contract(source.contract)
    told = {frame[NUMBER_CONVENTION][0] for frame in frames.values() if NUMBER_CONVENTION in frame.columns and frame.height}
    convention = told.pop() if len(told) == 1 else number_convention(  # from its reader (JSON: only numbers written as text)
        [(frame, [f.name for f in contract.dataset(d).fields if f.logical_type in ("number", "integer") and f.name in frame.columns])
         for d, frame in frames.items()])
    order = date_order([(frame, [f.name for f in contract.dataset(d).fields if f.logical_type in ("date", "timestamp")
                                 and f.name in frame.columns]) for d, frame in frames.items()])
    frames = {d: without_long_values(frame, {f.name: f.title for f in contract.dataset(d).fields}).with_columns(
        pl.lit(convention).alias(NUMBER_CONVENTION), pl.lit(order).alias(DATE_ORDER)) for d, frame in frames.items()}
    return {dataset: _lineage(frame.select([pl.col(c).cast(t) if c in frame.columns else pl.lit(None, t).alias(c)
                                            for c, t in schemas[dataset].items()]),
                              file.name, file.sha256, file.load_id, file.order).to_arrow(compat_level=pl.CompatLevel.oldest())
            for dataset, frame in frames.items()}


def _read_files(files: list[_FileToRead]) -> Iterator[dict[str, pa.Table] | str]:
    """Each file's `_read_file`, in order. The readers are Python, and so use one CPU: an inbox of more than
    PARALLEL_READ_BYTES is read by a worker process per CPU while this process writes what they have read, with a
    few files in hand at a time (memory stays bounded by files, not by the inbox); a smaller one is read here."""
    if READ_WORKERS < 2 or sum(file.path.stat().st_size for file in files) < PARALLEL_READ_BYTES:
        for file in files:
            yield _read_file(file)
        return
    # spawned, not forked: a fork would copy DuckDB's and polars' threads' locks mid-use
    with ProcessPoolExecutor(READ_WORKERS, mp_context=multiprocessing.get_context("spawn"), initializer=_end_with_parent) as pool:
        waiting = iter(files)
        in_hand = deque(pool.submit(_read_file, file) for file in itertools.islice(waiting, 2 * READ_WORKERS))
        while in_hand:
            tables = in_hand.popleft().result()
            following = next(waiting, None)
            if following:
                in_hand.append(pool.submit(_read_file, following))
            yield tables


def _end_with_parent() -> None:
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
            block = pa.concat_tables(tables)  # every file's table has its dataset's raw columns
            self.con.execute(f"insert into raw.{dataset} by name select * from block")

    def flush(self) -> None:
        for dataset in list(self.tables):
            self._write(dataset)


def _chunks(con: duckdb.DuckDBPyConnection, sql: str, rows: int) -> Iterator[pl.DataFrame]:
    """The rows of `sql` in frames of at most `rows`; the next is read in a thread while the caller works on one."""
    cursor = con.cursor()  # its own connection to the database: the caller may write while this streams
    try:
        batches = cursor.sql(sql).to_arrow_reader(rows)
        with ThreadPoolExecutor(1, thread_name_prefix="chunks") as reader:
            following = reader.submit(next, batches, None)
            while (batch := following.result()) is not None:
                following = reader.submit(next, batches, None)
                yield pl.from_arrow(batch)
    finally:
        cursor.close()


def _normalise(con: duckdb.DuckDBPyConnection, source: Source, context: Context) -> None:
    """raw.<dataset> -> work.<dataset>: typed rows with `problem` (null while the row is fine)."""
    schemas = _text_schema(source)
    if source.chunked:
        (dataset,) = schemas
        created = False

        def write(typed: pl.DataFrame, first: bool) -> None:
            con.execute(f"{'create table' if first else 'insert into'} work.{dataset} {'as' if first else 'by name'} select * from typed")

        # each chunk is written in a thread while the next is normalised
        with ThreadPoolExecutor(1, thread_name_prefix="writer") as writer:
            writing = None
            for chunk in _chunks(con, f"select * from raw.{dataset}", settings.CHUNK_ROWS):  # no order: it would sort in memory
                typed = source.normalise({dataset: chunk}, context)[dataset]
                if writing:
                    writing.result()
                writing = writer.submit(write, typed, not created)
                created = True
            if writing:
                writing.result()
        if not created:
            typed = source.normalise({dataset: con.sql(f"select * from raw.{dataset}").pl()}, context)[dataset]
            con.execute(f"create table work.{dataset} as select * from typed")
        return
    frames = {dataset: con.sql(f"select * from raw.{dataset} order by file_order, source_row").pl() for dataset in schemas}
    for dataset, typed in source.normalise(frames, context).items():
        con.execute(f"create table work.{dataset} as select * from typed")


def _mark(con: duckdb.DuckDBPyConnection, dataset: str, failures: pl.DataFrame) -> None:
    """Give rows (source_file, source_row) their quarantine reason, unless they already have one."""
    if failures.height:
        con.execute(f"""update work.{dataset} set problem = failures.problem from failures
                        where work.{dataset}.source_file = failures.source_file
                          and work.{dataset}.source_row = failures.source_row and work.{dataset}.problem is null""")


def _superseded(con: duckdb.DuckDBPyConnection, dataset: str, key: tuple[str, ...]) -> pl.DataFrame:
    """Rows sharing a key: within a file the first is kept and later ones are duplicates; across files the row in
    the later file (inbox order) wins and earlier ones are superseded."""
    columns = ", ".join(f'"{k}"' for k in key)  # key columns are declared in SOURCES, never taken from a file
    present = " and ".join(f'"{k}" is not null' for k in key)
    label = ", ".join(k for k in key if k != "source_file")
    return con.sql(f"""
        with candidates as (
            select source_file, source_row, file_order, {columns} from work.{dataset} where problem is null and {present}
        ),
        ranked as (
            select *,
                row_number() over by_key as rank,
                first_value(source_file) over by_key as winner_file,
                first_value(source_row) over by_key as winner_row
            from candidates
            window by_key as (partition by {columns} order by file_order desc, source_row)
        )
        select source_file, source_row,
            case when winner_file = source_file then format('{label}: duplicate of line {{}} in the same file', winner_row)
                 else format('{label}: superseded by {{}} line {{}}', winner_file, winner_row) end as problem
        from ranked where rank > 1
    """).pl()


def _with_failed_governing_row(con: duckdb.DuckDBPyConnection, dataset: str, source: Source) -> pl.DataFrame:
    """A file's rows stand or fall with its row in the governing dataset (a return's sheets with its Summary row:
    invalid, or superseded by a corrected return). Table names come from the sources' declarations, never a file."""
    governing = source.governing_dataset
    return con.sql(f"""
        select rows.source_file, rows.source_row, $sheet || ': the file''s ' || $sheet || ' row was quarantined (' || governing.problem || ')' as problem
        from work.{dataset} as rows
        join work.{governing} as governing on governing.source_file = rows.source_file and governing.problem is not null
        where rows.problem is null
    """, params={"sheet": load_contract(source.contract).dataset(governing).physical_name}).pl()


def _validate(con: duckdb.DuckDBPyConnection, validator: Validator, contract_id: str, dataset: str) -> pl.DataFrame:
    """The contract's generated suite over the rows not already quarantined, batch by batch."""
    contract = load_contract(contract_id).dataset(dataset)
    checked = [f.name for f in contract.fields if not f.confidential]
    columns = ", ".join(["source_file", "source_row", *[f'"{c}"' for c in checked]])
    batches = _chunks(con, f"select {columns} from work.{dataset} where problem is null", settings.VALIDATION_BATCH_ROWS)
    outcome = validator.validate(dataset, batches, suite(contract_id, dataset), {f.name: f.title for f in contract.fields})
    _mark(con, dataset, outcome.failures_frame())
    return outcome.results_frame()


def _load(con: duckdb.DuckDBPyConnection, dataset: str, result: BuildResult) -> pl.DataFrame:
    """work.<dataset> -> staging.<dataset> (rows that passed); returns the quarantined rows with their text."""
    con.execute(f"create table staging.{dataset} as select * exclude (problem, file_order) from work.{dataset} where problem is null")
    by_file = {f.path: f for f in result.files}
    for file, loaded, quarantined in con.execute(
        f"select source_file, count(*) filter (where problem is null), count(*) filter (where problem is not null) "
        f"from work.{dataset} group by 1"
    ).fetchall():
        by_file[file].rows_loaded += loaded
        by_file[file].rows_quarantined += quarantined
    return con.sql(f"""
        select $dataset as dataset, bad.source_file, bad.source_row, bad.problem,
            to_json(sent) as record
        from work.{dataset} as bad
        join (select * exclude (file_sha256, load_id, file_order) from raw.{dataset}) as sent
          on sent.source_file = bad.source_file and sent.source_row = bad.source_row
        where bad.problem is not null
        order by bad.file_order, bad.source_row
    """, params={"dataset": dataset}).pl()


def _dashboard_sql(name: str) -> str:
    """A query the dashboard also runs (dashboard/sql/), so the build reports what the page shows."""
    return (Path(__file__).resolve().parent.parent / "dashboard" / "sql" / f"{name}.sql").read_text(encoding="utf-8")


def _reason_kind(problem: pl.Expr) -> pl.Expr:
    """The reason without the particular value, file or line, for counting reasons."""
    return (
        problem.str.replace_all(r"'[^']*'", "…").str.replace(r"\s*\(…\)$", "")
        .str.replace(r" by \S+ line \d+", " by a later file").str.replace(r"line \d+", "line N")
        .str.replace(r"Summary row was quarantined \(.*$", "Summary row was quarantined")
    )


def _finish(con: duckdb.DuckDBPyConnection, result: BuildResult, quarantined: list[pl.DataFrame],
            validations: list[pl.DataFrame], as_of: dt.date, stage: _Stages) -> None:
    """Quarantine, validation results, marts and metadata in the workspace; then drop the working tables."""
    stage("marts")
    rows = pl.concat(quarantined, how="vertical_relaxed").with_columns(_reason_kind(pl.col("problem")).alias("rule")).select(
        "dataset", "source_file", pl.col("source_row").cast(pl.Int64), "problem", "rule", "record")
    con.execute("create table quarantine.rows as select * from rows")
    result.quarantine_reasons = dict(
        rows.group_by("dataset", "rule").len().sort(["len", "dataset", "rule"], descending=[True, False, False])
        .select(pl.format("{}: {}", "dataset", "rule"), "len").iter_rows())
    results = pl.concat(validations)
    con.execute("create table meta.validation_results as select * from results")
    result.expectations_failed = results.filter(~pl.col("success")).height
    con.execute("drop schema work cascade")
    con.execute("create table meta.builds as select ? as load_id, cast(? as timestamptz) as built_at, ? as as_of",
                [result.load_id, result.built_at, as_of])
    con.execute(warehouse.sql("macros.sql"))
    for _, file, _ in warehouse.MODELS:
        con.execute(warehouse.sql(file))
    indicators.build(con)
    files = pl.DataFrame([asdict(f) for f in result.files], schema=FILE_SCHEMA)
    con.execute("create table meta.load_files as select * from files")
    for schema, table in con.execute(
        "select schema_name, table_name from duckdb_tables() where database_name = current_database() "
        "and schema_name in ('raw', 'staging', 'marts', 'quarantine') order by 1, 2"
    ).fetchall():
        result.tables[f"{schema}.{table}"] = con.execute(f'select count(*) from "{schema}"."{table}"').fetchall()[0][0]
    for row in con.sql(_dashboard_sql("disclosure_summary")).pl().iter_rows(named=True):
        result.disclosure[f"{row['breakdown']} by {row['period_level']}"] = {
            k: row[k] for k in ("counts", "published", "suppressed", "withheld")}


# --- writing the releases -----------------------------------------------------------------------------------------


def public_tables(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[str, dict]]:
    """Every table the public database holds, with the query that writes it from the workspace: what is published is
    declared here, and nothing else is. The reference tables, the public sources' raw and staging rows, the public
    marts, the indicators and the issue figures (both disclosure-controlled); of the quarantine and the
    validation results, what concerns public sources (a confidential dataset's expectations keep their names and
    outcomes, without counts); the files as `BuildResult.public_files` lists them (written by `_write_public`)."""
    reference_tables = [t for (t,) in con.execute(
        "select table_name from duckdb_tables() where database_name = current_database() and schema_name = 'reference' "
        "order by 1").fetchall()]
    tables = {f"reference.{t}": f'select * from reference."{t}"' for t in reference_tables}
    tables |= {f"{schema}.{d}": f'select * from {schema}."{d}"' for schema in ("raw", "staging") for d in PUBLIC_DATASETS}
    tables |= {name: f"select * from {name}" for name, _, public in warehouse.MODELS if public}
    tables |= {"marts.indicators": "select * from marts.indicators",
               "marts.indicator_facts": "select * from marts.indicator_facts",
               "marts.breakdown_names": "select * from marts.breakdown_names",
               "marts.indicator_values": "select * from marts.indicator_values",
               "marts.issue_figures": "select * from marts.issue_figures",
               "meta.builds": "select * from meta.builds",
               "quarantine.rows": "select * from quarantine.rows where not list_contains($confidential, dataset)",
               "meta.validation_results": """
                   select * replace (
                       case when list_contains($confidential, dataset) then null else element_count end as element_count,
                       case when list_contains($confidential, dataset) then null else unexpected_count end as unexpected_count)
                   from meta.validation_results"""}
    confidential = sorted(CONFIDENTIAL_DATASETS)
    return {name: (query, {"confidential": confidential} if "$confidential" in query else {}) for name, query in tables.items()}


def _write_releases(con: duckdb.DuckDBPyConnection, inbox: Path, release: Path, restricted: Path, result: BuildResult,
                    validators: dict[bool, Validator], previous: Path | None = None) -> None:
    """The public release (database, Parquet, Data Docs, manifest) and the restricted one, both written fresh from
    the workspace; then the leak gate over the public release."""
    _write_public(con, release, result, previous)
    result.database_bytes, result.database_sha256 = (release / DATABASE_FILE).stat().st_size, sha256(release / DATABASE_FILE)
    docs = validators[False].write_docs(release / DATA_DOCS_DIR)
    result.data_docs = str(docs.relative_to(release)) if docs else None
    _write_restricted(con, restricted)
    validators[True].write_docs(restricted / DATA_DOCS_DIR)
    result.published = True  # as the manifests will say, once the gate has passed
    (release / MANIFEST_FILE).write_text(json.dumps(result.manifest(), indent=2, default=str) + "\n")
    (restricted / MANIFEST_FILE).write_text(json.dumps(result.manifest(public=False), indent=2, default=str) + "\n")
    _owner_only_files(restricted)
    needles = _restricted_needles(con, inbox, result)
    hits = leak_gate.scan(release, needles)
    if hits:  # a needle inside a public value ('TWICE-1' in grant '360G-KEYTWICE-1') proves nothing: look again without those
        inside = _inside_public_values(con, needles)
        hits = leak_gate.scan(release, {n: k for n, k in needles.items() if n not in inside})
    if hits:
        result.published = False
        raise BuildRejected(f"the leak gate found restricted data in {len(hits)} place(s) of the release, first "
                            f"{hits[0]}; nothing was published")


def _write_public(con: duckdb.DuckDBPyConnection, release: Path, result: BuildResult, previous: Path | None = None) -> None:
    """A new database holding the declared public tables only, what changed since the release `previous`
    (etl/revisions.py), and every mart and reference table as Parquet."""
    con.execute("attach ? as public", [str(release / DATABASE_FILE)])
    try:
        for schema in warehouse.SCHEMAS:
            con.execute(f"create schema public.{schema}")  # schema names are our own constants
        for name, (query, params) in public_tables(con).items():
            schema, table = name.split(".")
            con.execute(f'create table public.{schema}."{table}" as {query}', params)  # names and queries are ours
        files = pl.DataFrame(result.public_files(), schema=FILE_SCHEMA)
        con.execute("create table public.meta.load_files as select * from files")
        revisions.compare(con, previous)
        folder = release / PARQUET_DIR
        folder.mkdir()
        for name in public_tables(con):
            schema, table = name.split(".")
            if schema in ("marts", "reference"):
                con.execute(f'copy public.{schema}."{table}" to $target (format parquet, compression zstd)',
                            {"target": str(folder / f"{schema}.{table}.parquet")})
    finally:
        con.execute("detach public")
    public = duckdb.connect(str(release / DATABASE_FILE))  # the period helpers the models use, for analysts too
    try:
        public.execute(warehouse.sql("macros.sql"))
    finally:
        public.close()


def _write_restricted(con: duckdb.DuckDBPyConnection, restricted: Path) -> None:
    """The restricted database: the issue logs' rows (raw, staging, marts.issues), their quarantined rows, the full
    validation counts and the files with their row counts. Tables are named <schema>_<table>."""
    datasets, folders = sorted(CONFIDENTIAL_DATASETS), sorted(CONFIDENTIAL_FOLDERS)
    con.execute("attach ? as restricted", [str(restricted / RESTRICTED_DATABASE)])
    try:
        # table names below are our own constants; values are bound parameters
        for name in RESTRICTED_TABLES:
            con.execute(f"create table restricted.{name.replace('.', '_')} as select * from {name}")
        con.execute("create table restricted.quarantine_rows as select * from quarantine.rows where list_contains(?, dataset)", [datasets])
        con.execute("create table restricted.validation_results as select * from meta.validation_results "
                    "where list_contains(?, dataset)", [datasets])
        con.execute("create table restricted.load_files as select * from meta.load_files where list_contains(?, source)", [folders])
    finally:
        con.execute("detach restricted")


def _owner_only_files(folder: Path) -> None:
    folder.chmod(OWNER_ONLY)
    for path in folder.rglob("*"):
        path.chmod(OWNER_ONLY if path.is_dir() else 0o600)


def _public_text_columns(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str]]:
    """(schema, table, column) of every text column the release holds without any issue log: the public sources'
    raw tables and the reference tables."""
    return con.execute(
        "select schema_name, table_name, column_name from duckdb_columns() where database_name = current_database() "
        "and data_type = 'VARCHAR' and ((schema_name = 'raw' and list_contains(?, table_name)) or schema_name = 'reference') "
        "order by all", [list(PUBLIC_DATASETS)]).fetchall()


def _inside_public_values(con: duckdb.DuckDBPyConnection, needles: dict[str, str]) -> set[str]:
    """The needles that occur within a public value (a rare search, made only when the gate has hits)."""
    arrays = (chunk for schema, table, column in _public_text_columns(con)  # names from the workspace's own catalogue
              for chunk in con.sql(f'select "{column}" from "{schema}"."{table}"').to_arrow_table().column(0).chunks)
    return leak_gate.within(arrays, needles)


def _restricted_needles(con: duckdb.DuckDBPyConnection, inbox: Path, result: BuildResult) -> dict[str, str]:
    """What the leak gate searches for: the issue logs' event ids, issue references, reporter ids and summaries,
    except values the public sources or the reference tables hold too (etl/leak_gate.py)."""
    ids = {kind: [v for (v,) in con.execute(f"select distinct {column} from raw.issue_events").fetchall()]
           for kind, column in (("event id", "event_id"), ("issue reference", "issue_ref"))}
    confidential: dict[str, list] = {"reporter id": [], "summary": []}
    for file in result.files:
        if file.source in CONFIDENTIAL_FOLDERS and file.sha256:
            values = issues.read_confidential(inbox / file.path, file.path)
            confidential["reporter id"] += values.get("reporter_id", [])
            confidential["summary"] += values.get("summary", [])
    candidates = {v for values in (*ids.values(), *confidential.values()) for v in values if v}
    con.execute("create or replace temp table leak_candidates as select unnest(?::varchar[]) as value", [sorted(candidates)])
    public = set()
    # what the release holds without any issue log: the public sources' values and the reference tables' (a body's
    # name, a district's code), so a log's value that is also one of them proves nothing and refuses nothing
    for schema, table, column in _public_text_columns(con):  # names come from the workspace's own catalogue
        public |= {v for (v,) in con.execute(
            f'select value from leak_candidates where value in (select "{column}" from "{schema}"."{table}")').fetchall()}
    con.execute("drop table leak_candidates")
    return leak_gate.needles(ids | confidential, public)


def _reference_tables(con: duckdb.DuckDBPyConnection, as_of: dt.date, localities: pl.DataFrame,
                      successors: pl.DataFrame, hexes: pl.DataFrame | None, supplied: dict[str, pl.DataFrame]) -> None:
    tables = ({name: reference.load(name) for name in reference.TABLES}
              | {"localities": localities, "locality_successors": successors} | supplied)
    for name, frame in tables.items():
        con.execute(f"create table reference.{name} as select * from frame")  # table names are our own constants
    calendar = periods.calendar(as_of)
    con.execute("create table reference.periods as select * from calendar")
    layout = hexes if hexes is not None else pl.DataFrame(schema={"gss_code": pl.Utf8, "name": pl.Utf8, "q": pl.Int64, "r": pl.Int64,
                                                                   "layout": pl.Utf8, "current_code": pl.Utf8})
    layout = layout.select(pl.coalesce("current_code", "gss_code").alias("gss_code"), "name", "q", "r", "layout")
    con.execute("create table reference.hex_layout as select * from layout")


# --- publishing ---------------------------------------------------------------------------------------------------


def _publish(release_tmp: Path, restricted_tmp: Path, warehouse_dir: Path, result: BuildResult, retention_days: float) -> None:
    """Make the finished release the published one: rename the restricted release and then the public one into
    place, then switch `current` to it with one atomic rename of a new symbolic link. Readers see the old release or
    the new one, never a mixture."""
    releases = releases_dir(warehouse_dir)
    final = releases / result.load_id
    result.release = str(final)
    _fsync_dir(restricted_tmp)
    os.replace(restricted_tmp, releases_dir(restricted_dir(warehouse_dir)) / result.load_id)
    _fsync_dir(release_tmp)
    os.replace(release_tmp, final)
    link_tmp = warehouse_dir / f".current-{result.load_id}"
    os.symlink(os.path.relpath(final, warehouse_dir), link_tmp)
    os.replace(link_tmp, warehouse_dir / "current")
    _fsync_dir(warehouse_dir)
    with open(releases / PUBLISHED_LOG, "a", encoding="utf-8") as log:  # every release ever published, in order
        log.write(result.load_id + "\n")
        log.flush()
        os.fsync(log.fileno())
    _prune(warehouse_dir, dt.datetime.now(dt.UTC), retention_days)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _finished_releases(folder: Path) -> list[Path]:
    return sorted((p for p in releases_dir(folder).iterdir() if p.is_dir() and not p.name.startswith(".")),
                  key=lambda p: p.name) if releases_dir(folder).is_dir() else []


def _remove_unfinished(warehouse_dir: Path) -> None:
    """What an interrupted build left behind, never published: half-built releases and workspaces, a link not yet
    switched, and a finished release never published (killed between its rename and the switch of `current`): one
    newer than every release the record of publications names, and not the one `current` names. Releases are found
    in the releases/ folder and that record, never inferred from `current`: a `current` deleted, dangling or turned
    back to an earlier release by hand removes nothing. Builds hold the lock, so nothing else is writing."""
    restricted = restricted_dir(warehouse_dir)
    for leftover in [*releases_dir(warehouse_dir).glob(".building-*"), *releases_dir(restricted).glob(".building-*"),
                     *restricted.glob(".building-*")]:
        shutil.rmtree(leftover, ignore_errors=True)
    for link in warehouse_dir.glob(".current-*"):
        link.unlink(missing_ok=True)
    published = published_releases(warehouse_dir)
    if published is None:  # no record: any finished release may have been published
        return
    current = current_release(warehouse_dir)
    for folder in (warehouse_dir, restricted):
        for release in _finished_releases(folder):
            if release.name not in published and release.name > max(published, default="") and (
                    current is None or release.name != current.name):
                shutil.rmtree(release, ignore_errors=True)


def superseded_at(release_name: str, releases: list[str]) -> dt.datetime | None:
    """When a release stopped being the newest: the time the next one was built (load ids are build times)."""
    later = [name for name in releases if name > release_name]
    if not later:
        return None
    return dt.datetime.strptime(min(later), "%Y%m%dT%H%M%S%fZ").replace(tzinfo=dt.UTC)


def _prune(warehouse_dir: Path, now: dt.datetime, retention_days: float) -> None:
    """Remove the releases (public and restricted) superseded more than `retention_days` before `now`; the
    published one always stays. A reader still using a superseded release, or a link naming one, keeps working
    for that long."""
    published = current_release(warehouse_dir)
    cutoff = now - dt.timedelta(days=retention_days)
    for folder in (warehouse_dir, restricted_dir(warehouse_dir)):
        finished = _finished_releases(folder)
        names = [p.name for p in finished]
        for release in finished:
            if published is not None and release.name == published.name:
                continue
            try:
                ended = superseded_at(release.name, names)
            except ValueError:  # not a release this build made
                continue
            if ended is not None and ended < cutoff:
                shutil.rmtree(release, ignore_errors=True)

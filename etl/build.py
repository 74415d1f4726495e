"""`covenant build`: inbox files -> a new DuckDB warehouse, published atomically. This module runs the stages, each in
a module of its own:

- read (etl/inbox.py): every file of the inbox (its folder says what it is) into the `raw` layer, as text exactly as
  sent, with its lineage (file, checksum, line, load id); a large inbox is read by a worker process per CPU;
- geography (etl/geography.py): the lookups in reference/ and the reference tables of places they give;
- normalise and validate (etl/staging.py): each dataset typed, duplicates and superseded records marked, the rest
  validated with the Great Expectations suite generated from its contract and loaded into `staging`; every other row
  goes to the quarantine with its reason;
- marts (etl/marts.py): the quarantine, validation results and load metadata, the marts and the indicators;
- release (etl/release.py): the release written public by construction (a new database from the tables declared
  public, never a copy of the workspace, so no restricted row is ever written to a published file, not even to be
  deleted), the restricted database beside it, the leak gate over every byte of the public release, and the publish:
  the `current` link switched to the complete release in one rename.

All but the release happen in a workspace inside the restricted folder (etl/warehouse_files.py), because it holds
the issue logs' rows. A failed or interrupted build leaves what was published exactly as it was. Memory stays bounded
by a file and a chunk, not by the inbox. What a build did is a BuildResult (etl/build_result.py).
"""

from __future__ import annotations

import datetime as dt
import fcntl
import shutil
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb

import warehouse
from etl import indicators, settings
from etl.build_result import BuildFailed, BuildRejected, BuildResult, FileResult, disk_full  # noqa: F401  (for callers)
from etl.geography import reading_context
from etl.inbox import Progress, read_inbox
from etl.marts import build_marts
from etl.release import prune, publish, remove_unfinished, superseded_at, write_releases  # noqa: F401
from etl.sources import INBOX_FOLDERS, SOURCES
from etl.staging import stage_source
from etl.validate import Validator
from etl.warehouse_files import OWNER_ONLY, current_release, releases_dir, restricted_dir

STAGES = ("read", "normalise", "validate", "marts", "publish")  # a build's stages, in order (validate includes quarantine)


# --- the inbox ----------------------------------------------------------------------------------------------------


# --- reference lookups supplied in the inbox ----------------------------------------------------------------------


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
        remove_unfinished(warehouse_dir)
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
            publish(release_tmp, restricted_tmp, warehouse_dir, result, retention_days)
            stage(None)
        except BaseException as error:
            for folder in (release_tmp, restricted_tmp):
                shutil.rmtree(folder, ignore_errors=True)
            if isinstance(error, Exception) and disk_full(error):
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
    # bounded memory: DuckDB spills to disk beyond its limit, and need not keep insertion order; no query reads a
    # Python variable by its name (frames are registered explicitly: etl/frames.py)
    con = duckdb.connect(str(workspace / "workspace.duckdb"),
                         config={"memory_limit": settings.DUCKDB_MEMORY, "preserve_insertion_order": False,
                                 "temp_directory": str(workspace / "spill"), "python_enable_replacements": False})
    try:
        for schema in (*warehouse.SCHEMAS, "work"):
            con.execute(f"create schema {schema}")  # schema names are our own constants
        indicators.declarations(indicators.indicators())  # a bad declaration fails the build before any reading
        # Great Expectations takes seconds to import and set up: done in a thread while the inbox is read
        preparing = ThreadPoolExecutor(1, thread_name_prefix="validators").submit(lambda: {False: Validator(), True: Validator()})
        stage("read")
        context = reading_context(con, inbox, result, as_of)
        read_inbox(con, inbox, result, progress)
        validators = preparing.result()  # confidential sources get their own Data Docs
        quarantined, validations = [], []
        for source in SOURCES:
            rows, results = stage_source(con, source, context, validators[source.confidential], result, stage)
            quarantined += rows
            validations += results
        build_marts(con, result, quarantined, validations, as_of, stage)
        stage("publish")
        write_releases(con, inbox, release, restricted, result, validators, previous)
    finally:
        con.close()


# --- writing the releases -----------------------------------------------------------------------------------------


# --- publishing ---------------------------------------------------------------------------------------------------



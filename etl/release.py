"""The release stage: a release written public by construction (a new database from the tables declared public,
never a copy of the workspace), the restricted database beside it, the leak gate, the atomic publish, and the
pruning of releases past their retention period."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from pathlib import Path

import duckdb
import polars as pl

import warehouse
from data_contracts import load_contract
from etl import leak_gate, revisions
from etl.build_result import FILE_SCHEMA, RESTRICTED_TABLES, BuildRejected, BuildResult
from etl.frames import create_table
from etl.sources import CONFIDENTIAL_DATASETS, CONFIDENTIAL_FOLDERS, SOURCES, issues
from etl.sources.files import sha256
from etl.validate import Validator
from etl.warehouse_files import (DATA_DOCS_DIR, DATABASE_FILE, MANIFEST_FILE, OWNER_ONLY, PARQUET_DIR, PUBLISHED_LOG,
                                 RESTRICTED_DATABASE, current_release, published_releases, releases_dir, restricted_dir)

PUBLIC_DATASETS = tuple(d.name for s in SOURCES if not s.confidential for d in load_contract(s.contract).datasets)

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


def write_releases(con: duckdb.DuckDBPyConnection, inbox: Path, release: Path, restricted: Path, result: BuildResult,
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
        create_table(con, "public.meta.load_files", pl.DataFrame(result.public_files(), schema=FILE_SCHEMA))
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
    arrays = (batch.column(0) for schema, table, column in _public_text_columns(con)  # names from the workspace's own catalogue
              for batch in con.sql(f'select "{column}" from "{schema}"."{table}"').to_arrow_reader(leak_gate.BATCH_ROWS))
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


def publish(release_tmp: Path, restricted_tmp: Path, warehouse_dir: Path, result: BuildResult, retention_days: float) -> None:
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
    prune(warehouse_dir, dt.datetime.now(dt.UTC), retention_days)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _finished_releases(folder: Path) -> list[Path]:
    return sorted((p for p in releases_dir(folder).iterdir() if p.is_dir() and not p.name.startswith(".")),
                  key=lambda p: p.name) if releases_dir(folder).is_dir() else []


def remove_unfinished(warehouse_dir: Path) -> None:
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


def prune(warehouse_dir: Path, now: dt.datetime, retention_days: float) -> None:
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

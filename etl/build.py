"""`covenant build`: inbox files -> a new DuckDB warehouse, published atomically.

A build reads every file in the inbox (a file's folder says what it is), normalises it, quarantines rows that
break the rules (with the rule, the value, the file and line), loads the rest, builds the marts, and only then
publishes: the new release directory is complete before the `current` link is switched to it in one rename.
A failed or interrupted build leaves what was published exactly as it was.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import duckdb
import polars as pl

import warehouse
from etl import periods, reference
from etl.sources import SOURCES, Context, Source
from etl.sources.files import SourceError, read_csv_text, sha256
from data_contracts import load_contract
from data_contracts.to_expectations import suite
from etl.validate import Validator
from etl.warehouse_files import DATA_DOCS_DIR, DATABASE_FILE, MANIFEST_FILE, PARQUET_DIR, current_release, releases_dir

Progress = Callable[[str, int], None]
KEEP_RELEASES = 3
LINEAGE = ("source_file", "file_sha256", "source_row", "load_id")


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
    expectations_failed: int = 0
    data_docs: str | None = None

    def manifest(self) -> dict:
        return asdict(self)


class BuildRejected(Exception):
    """The build was refused; nothing was published."""


def _inbox_files(inbox: Path, source: Source) -> list[Path]:
    folder = inbox / source.folder
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if not p.name.startswith((".", "~$")) and (p.is_file() or p.is_symlink()))


def _small_areas(inbox: Path) -> pl.DataFrame | None:
    """Small-area lookups in ONS column naming (LSOA21CD -> LAD23CD, any vintage) from inbox/reference/."""
    frames = []
    for path in sorted((inbox / "reference").glob("*.csv")) if (inbox / "reference").is_dir() else []:
        if path.is_symlink():
            continue
        try:
            frame = read_csv_text(path, f"reference/{path.name}")
        except SourceError:
            continue
        area = next((c for c in frame.columns if c.upper()[:4] in ("LSOA", "DZ11", "DZ22") and c.upper().endswith("CD")), None)
        district = next((c for c in frame.columns if c.upper().startswith(("LAD", "LA")) and c.upper().endswith("CD")), None)
        if area and district:
            frames.append(frame.select(pl.col(area).alias("small_area_code"), pl.col(district).alias("district_code")))
    return pl.concat(frames).unique("small_area_code", keep="last") if frames else None


def _empty_text(source: Source) -> dict[str, pl.DataFrame]:
    from data_contracts import load_contract

    contract = load_contract(source.contract)
    out = {}
    for dataset in contract.datasets:
        columns = {"source_row": pl.Int64} | {f.name: pl.Utf8 for f in dataset.fields if not f.confidential}
        if source.folder == "returns":
            columns["source_sheet"] = pl.Utf8
        else:
            columns["extra_fields"] = pl.Utf8
        out[dataset.name] = pl.DataFrame(schema=columns)
    return out


def _read_file(source: Source, path: Path, name: str) -> dict[str, pl.DataFrame]:
    if path.is_symlink():
        raise SourceError(name, "is a symbolic link; put the file itself in the inbox")
    if path.suffix.lower() not in source.suffixes:
        raise SourceError(name, f"has file type {path.suffix!r}; files in {source.folder}/ must be one of {', '.join(source.suffixes)}")
    return source.read(path, name)


def _supersede(frame: pl.DataFrame, key: tuple[str, ...]) -> pl.DataFrame:
    """Rows sharing a key: within a file the first is kept and later ones are duplicates; across files the row
    in the later file (inbox order) wins and earlier ones are superseded. The losers get a `problem`."""
    if frame.is_empty() or any(frame[k].null_count() == frame.height for k in key):
        return frame
    has_key = pl.all_horizontal([pl.col(k).is_not_null() for k in key]) & pl.col("problem").is_null()
    frame = frame.with_row_index("_order")
    winners = (
        frame.filter(has_key)
        .sort("_file_order", "source_row", descending=[True, False])
        .unique(list(key), keep="first", maintain_order=True)
        .select(*key, pl.col("_order").alias("_winner"), pl.col("source_file").alias("_winner_file"),
                pl.col("source_row").alias("_winner_row"))
    )
    frame = frame.join(winners, on=list(key), how="left", nulls_equal=False)
    lost = has_key & pl.col("_winner").is_not_null() & (pl.col("_winner") != pl.col("_order"))
    key_text = ", ".join(key)
    problem = (
        pl.when(lost & (pl.col("_winner_file") == pl.col("source_file")))
        .then(pl.format(f"{key_text}: duplicate of line {{}} in the same file", "_winner_row"))
        .when(lost)
        .then(pl.format(f"{key_text}: superseded by {{}} line {{}}", "_winner_file", "_winner_row"))
        .otherwise("problem")
    )
    return frame.with_columns(problem.alias("problem")).drop("_order", "_winner", "_winner_file", "_winner_row").sort("_file_order", "source_row")


def build(inbox: Path, warehouse_dir: Path, *, strict: bool = False, progress: Progress | None = None,
          as_of: dt.date | None = None) -> BuildResult:
    """Build a new warehouse from `inbox` and publish it under `warehouse_dir`. Raises BuildRejected (nothing
    published) when the inbox is missing, or in strict mode when any file is rejected or any row quarantined."""
    inbox, warehouse_dir = Path(inbox), Path(warehouse_dir)
    now = dt.datetime.now(dt.UTC)
    result = BuildResult(load_id=now.strftime("%Y%m%dT%H%M%S%fZ"), built_at=now.isoformat(timespec="seconds"))
    if not inbox.is_dir():
        raise BuildRejected(f"the inbox {inbox} does not exist; run `covenant demo` or create it with the folders "
                            + ", ".join(f"{s.folder}/" for s in SOURCES))
    as_of = as_of or dt.date.today()
    areas = _small_areas(inbox)
    texts: dict[str, list[pl.DataFrame]] = {}
    seen: dict[str, str] = {}
    file_order = 0
    for source in SOURCES:
        for path in _inbox_files(inbox, source):
            name = f"{source.folder}/{path.name}"
            record = FileResult(path=name, source=source.folder)
            result.files.append(record)
            file_order += 1
            try:
                if not path.is_symlink():
                    record.sha256 = sha256(path)
                    if record.sha256 in seen:
                        record.duplicate_of = seen[record.sha256]
                        continue
                    seen[record.sha256] = name
                text = _read_file(source, path, name)
            except SourceError as error:
                record.rejected = str(error)
                continue
            except Exception as error:  # a reader failing in a way nobody foresaw still only rejects its file
                record.rejected = f"{name}: could not be read ({type(error).__name__}: {str(error)[:200]})"
                continue
            lineage = [pl.lit(name).alias("source_file"), pl.lit(record.sha256).alias("file_sha256"),
                       pl.lit(result.load_id).alias("load_id"), pl.lit(file_order).alias("_file_order")]
            for dataset, frame in text.items():
                texts.setdefault(dataset, []).append(frame.with_columns(lineage))
                record.rows_read += frame.height
            if progress:
                progress(source.folder, 1)
    # normalise each dataset once, over the rows of all its files
    datasets: dict[str, pl.DataFrame] = {}
    for source in SOURCES:
        empty = _empty_text(source)
        frames = {d: pl.concat(texts[d], how="diagonal_relaxed") if d in texts else
                  empty[d].with_columns(pl.lit(None, pl.Utf8).alias(c) for c in ("source_file", "file_sha256", "load_id"))
                  .with_columns(pl.lit(0).alias("_file_order")) for d in empty}
        datasets.update(source.normalise(frames, Context(as_of=as_of, small_areas=areas)))

    release_tmp = releases_dir(warehouse_dir) / f".building-{result.load_id}"
    release_tmp.mkdir(parents=True, exist_ok=True)
    try:
        _write_database(release_tmp / DATABASE_FILE, result, datasets, texts, as_of)
        if strict:
            problems = [f.rejected for f in result.files if f.rejected]
            quarantined = sum(f.rows_quarantined for f in result.files)
            if problems or quarantined or result.expectations_failed:
                raise BuildRejected(
                    "strict build refused: "
                    + (f"{len(problems)} file(s) rejected (first: {problems[0]})" if problems else "")
                    + ("; " if problems and quarantined else "")
                    + (f"{quarantined:,} row(s) quarantined" if quarantined else "")
                    + "; nothing was published"
                )
        _publish(release_tmp, warehouse_dir, result)
    except BaseException:
        shutil.rmtree(release_tmp, ignore_errors=True)
        raise
    return result


def _reference_tables(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> None:
    for table in reference.TABLES:
        frame = reference.load(table)
        con.execute(f"create table reference.{table} as select * from frame")  # table names are our own constants
    calendar = periods.calendar(as_of)
    con.execute("create table reference.periods as select * from calendar")


def _write_database(path: Path, result: BuildResult, datasets: dict[str, pl.DataFrame],
                    texts: dict[str, list[pl.DataFrame]], as_of: dt.date) -> None:
    con = duckdb.connect(str(path))
    try:
        for schema in warehouse.SCHEMAS:
            con.execute(f"create schema {schema}")
        _reference_tables(con, as_of)
        by_file = {f.path: f for f in result.files}
        quarantine_frames, validation_frames = [], []
        validator = Validator()
        summaries = None
        for source in SOURCES:
            for dataset in _empty_text(source):
                frame = datasets[dataset]
                key = source.key.get(dataset)
                if key:
                    frame = _supersede(frame, key)
                if source.folder == "returns" and dataset != "return_summary":
                    frame = _follow_summary(frame, summaries)
                frame, validation = _validate(validator, source.contract, dataset, frame)
                validation_frames.append(validation)
                if dataset == "return_summary":
                    summaries = frame
                loaded = frame.filter(pl.col("problem").is_null()).drop("problem", "_file_order")
                bad = frame.filter(pl.col("problem").is_not_null())
                con.execute(f"create table staging.{dataset} as select * from loaded")
                for file, count in loaded.group_by("source_file").len().iter_rows():
                    if file in by_file:
                        by_file[file].rows_loaded += count
                if bad.height:
                    for file, count in bad.group_by("source_file").len().iter_rows():
                        by_file[file].rows_quarantined += count
                    quarantine_frames.append(_quarantine_rows(dataset, bad, texts.get(dataset, [])))
        validation_results = pl.concat(validation_frames)
        con.execute("create table meta.validation_results as select * from validation_results")
        result.expectations_failed = validation_results.filter(~pl.col("success")).height
        docs = validator.write_docs(path.parent / DATA_DOCS_DIR)
        result.data_docs = str(docs.relative_to(path.parent)) if docs else None
        quarantine = (
            pl.concat(quarantine_frames) if quarantine_frames
            else pl.DataFrame(schema={"dataset": pl.Utf8, "source_file": pl.Utf8, "source_row": pl.Int64, "problem": pl.Utf8,
                                      "rule": pl.Utf8, "record": pl.Utf8})
        )
        con.execute("create table quarantine.rows as select * from quarantine")
        result.quarantine_reasons = dict(
            quarantine.group_by("dataset", "rule").len().sort("len", descending=True)
            .select(pl.format("{}: {}", "dataset", "rule"), "len").iter_rows()
        )
        for table, file in warehouse.MODELS:
            con.execute(warehouse.sql(file))
        _export_parquet(con, path.parent / PARQUET_DIR)
        files = pl.DataFrame([asdict(f) for f in result.files], schema={
            "path": pl.Utf8, "source": pl.Utf8, "sha256": pl.Utf8, "rows_read": pl.Int64, "rows_loaded": pl.Int64,
            "rows_quarantined": pl.Int64, "rejected": pl.Utf8, "duplicate_of": pl.Utf8})
        con.execute("create table meta.load_files as select * from files")
        con.execute(
            "create table meta.builds as select ? as load_id, cast(? as timestamptz) as built_at, ? as as_of",
            [result.load_id, result.built_at, as_of],
        )
        for (schema, table) in con.execute(
            "select schema_name, table_name from duckdb_tables() where schema_name in ('staging', 'marts', 'quarantine') order by 1, 2"
        ).fetchall():
            result.tables[f"{schema}.{table}"] = con.execute(f'select count(*) from "{schema}"."{table}"').fetchone()[0]
        con.execute("checkpoint")
    finally:
        con.close()


def _export_parquet(con: duckdb.DuckDBPyConnection, folder: Path) -> None:
    """Every mart and reference table as a Parquet file, for analysts who work elsewhere."""
    folder.mkdir(parents=True, exist_ok=True)
    for schema, table in con.execute(
        "select schema_name, table_name from duckdb_tables() where schema_name in ('marts', 'reference') order by 1, 2"
    ).fetchall():
        target = folder / f"{schema}.{table}.parquet"
        # names come from the catalogue of our own tables; the path is a bound parameter
        con.execute(f'copy "{schema}"."{table}" to $target (format parquet, compression zstd)', {"target": str(target)})


def _follow_summary(frame: pl.DataFrame, summaries: pl.DataFrame | None) -> pl.DataFrame:
    """A return's sheets stand or fall with its Summary row: when that row is quarantined (superseded by a
    corrected return for the same body and quarter, or invalid), every other row of the workbook is too."""
    if summaries is None:
        return frame
    failed = summaries.filter(pl.col("problem").is_not_null()).select("source_file", pl.col("problem").alias("_summary"))
    return frame.join(failed, on="source_file", how="left").with_columns(
        pl.coalesce("problem", pl.format("Summary: the return's Summary row was quarantined ({})", "_summary")).alias("problem")
    ).drop("_summary")


def _validate(validator: Validator, contract_id: str, dataset: str, frame: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Run the contract's generated suite over the rows not already quarantined; rows that fail get the reason."""
    contract = load_contract(contract_id).dataset(dataset)
    candidates = frame.filter(pl.col("problem").is_null())
    outcome = validator.validate(dataset, candidates, suite(contract_id, dataset), {f.name: f.title for f in contract.fields})
    failures = outcome.failures_frame().rename({"problem": "_failed"})
    frame = frame.join(failures, on=["source_file", "source_row"], how="left").with_columns(
        pl.coalesce("problem", "_failed").alias("problem")).drop("_failed")
    return frame, outcome.results_frame()


def _quarantine_rows(dataset: str, bad: pl.DataFrame, texts: list[pl.DataFrame]) -> pl.DataFrame:
    """Quarantined rows with their reason and the values exactly as they were sent."""
    keys = bad.select("source_file", "source_row", "problem")
    text = pl.concat(texts, how="diagonal_relaxed") if texts else None
    if text is not None:
        values = [c for c in text.columns if c not in (*LINEAGE, "_file_order")]
        text = text.join(keys.select("source_file", "source_row"), on=["source_file", "source_row"], how="semi")
        text = text.select("source_file", "source_row", pl.struct(values).struct.json_encode().alias("record"))
        keys = keys.join(text, on=["source_file", "source_row"], how="left")
    else:
        keys = keys.with_columns(pl.lit(None, pl.Utf8).alias("record"))
    rule = (  # the reason without the particular value, file or line, for counting reasons
        pl.col("problem").str.replace_all(r"'[^']*'", "…").str.replace(r"\s*\(…\)$", "")
        .str.replace_all(r"\d{4}-\d{2}-\d{2}( \d{2}:\d{2}:\d{2})?", "(date)")
        .str.replace(r" by \S+ line \d+", " by a later file").str.replace(r"line \d+", "line N")
        .str.replace(r"\(Summary: .*\)$", "").str.replace(r"Summary row was quarantined \(.*$", "Summary row was quarantined")
    )
    return keys.select(
        pl.lit(dataset).alias("dataset"), "source_file", pl.col("source_row").cast(pl.Int64), "problem",
        rule.alias("rule"), "record",
    )


def _publish(release_tmp: Path, warehouse_dir: Path, result: BuildResult) -> None:
    """Make the finished release the published one: rename it into place, then switch `current` to it with one
    atomic rename of a new symbolic link. Readers see the old release or the new one, never a mixture."""
    releases = releases_dir(warehouse_dir)
    final = releases / result.load_id
    result.published, result.release = True, str(final)
    (release_tmp / MANIFEST_FILE).write_text(json.dumps(result.manifest(), indent=2, default=str) + "\n")
    _fsync_dir(release_tmp)
    os.replace(release_tmp, final)
    link_tmp = warehouse_dir / f".current-{result.load_id}"
    os.symlink(os.path.relpath(final, warehouse_dir), link_tmp)
    os.replace(link_tmp, warehouse_dir / "current")
    _fsync_dir(warehouse_dir)
    _prune(releases, keep=current_release(warehouse_dir))


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _prune(releases: Path, keep: Path | None) -> None:
    """Keep the newest few releases (a dashboard may still be reading one) and remove unfinished builds' leftovers."""
    done = sorted((p for p in releases.iterdir() if p.is_dir() and not p.name.startswith(".")), key=lambda p: p.name)
    for old in done[:-KEEP_RELEASES]:
        if keep is None or old.resolve() != keep.resolve():
            shutil.rmtree(old, ignore_errors=True)

"""The normalise and validate stage: each dataset of `raw` typed (in chunks where rows are independent), its
duplicates and superseded records marked, the rest validated with the Great Expectations suite generated from its
contract, and loaded into `staging`; every other row goes to the quarantine with its reason."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl
import pyarrow as pa

import warehouse
from data_contracts import load_contract
from data_contracts.to_expectations import suite
from etl import settings
from etl.build_result import BuildResult
from etl.frames import FRAME, create_table, insert_into, query_with
from etl.geography import reading_context
from etl.inbox import read_inbox, text_schema
from etl.sources import SOURCES, Context, Source
from etl.validate import Validator


def _chunks(con: duckdb.DuckDBPyConnection, sql: str, rows: int) -> Iterator[pl.DataFrame]:
    """The rows of `sql` in frames of `rows` (the last may hold fewer); the next is read in a thread while the caller
    works on one."""
    cursor = con.cursor()  # its own connection to the database: the caller may write while this streams
    try:
        frames = _frames_of(cursor.sql(sql).to_arrow_reader(rows), rows)
        with ThreadPoolExecutor(1, thread_name_prefix="chunks") as reader:
            following = reader.submit(next, frames, None)
            while (frame := following.result()) is not None:
                following = reader.submit(next, frames, None)
                yield frame
    finally:
        cursor.close()


def _frames_of(batches: pa.RecordBatchReader, rows: int) -> Iterator[pl.DataFrame]:
    """DuckDB's batches gathered into frames of `rows`: it gives a batch a row group (122,880 rows) or less, and
    each frame normalised or validated has a fixed cost (a third of validating the grants, in nine frames not five)."""
    held, count = [], 0
    for batch in batches:
        held.append(batch)
        count += batch.num_rows
        while count >= rows:
            table = pa.Table.from_batches(held)
            yield pl.from_arrow(table.slice(0, rows))
            rest = table.slice(rows)
            held, count = rest.to_batches(), rest.num_rows
    if count:
        yield pl.from_arrow(pa.Table.from_batches(held))


def normalise_source(con: duckdb.DuckDBPyConnection, source: Source, context: Context) -> None:
    """raw.<dataset> -> work.<dataset>: typed rows with `problem` (null while the row is fine)."""
    schemas = text_schema(source)
    if source.chunked:
        (dataset,) = schemas
        created = False

        def write(typed: pl.DataFrame, first: bool) -> None:
            (create_table if first else insert_into)(con, f"work.{dataset}", typed)

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
            create_table(con, f"work.{dataset}", typed)
        return
    frames = {dataset: con.sql(f"select * from raw.{dataset} order by file_order, source_row").pl() for dataset in schemas}
    for dataset, typed in source.normalise(frames, context).items():
        create_table(con, f"work.{dataset}", typed)


def mark(con: duckdb.DuckDBPyConnection, dataset: str, failures: pl.DataFrame) -> None:
    """Give rows (source_file, source_row) their quarantine reason, unless they already have one."""
    if failures.height:
        query_with(con, f"""update work.{dataset} set problem = failures.problem from {FRAME} as failures
                            where work.{dataset}.source_file = failures.source_file
                              and work.{dataset}.source_row = failures.source_row and work.{dataset}.problem is null""",
                   failures)


def superseded(con: duckdb.DuckDBPyConnection, dataset: str, key: tuple[str, ...]) -> pl.DataFrame:
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


def with_failed_governing_row(con: duckdb.DuckDBPyConnection, dataset: str, source: Source) -> pl.DataFrame:
    """A file's rows stand or fall with its row in the governing dataset (a return's sheets with its Summary row:
    invalid, or superseded by a corrected return). Table names come from the sources' declarations, never a file."""
    governing = source.governing_dataset
    return con.sql(f"""
        select rows.source_file, rows.source_row, $sheet || ': the file''s ' || $sheet || ' row was quarantined (' || governing.problem || ')' as problem
        from work.{dataset} as rows
        join work.{governing} as governing on governing.source_file = rows.source_file and governing.problem is not null
        where rows.problem is null
    """, params={"sheet": load_contract(source.contract).dataset(governing).physical_name}).pl()


def validate_dataset(con: duckdb.DuckDBPyConnection, validator: Validator, contract_id: str, dataset: str) -> pl.DataFrame:
    """The contract's generated suite over the rows not already quarantined, batch by batch."""
    contract = load_contract(contract_id).dataset(dataset)
    checked = [f.name for f in contract.fields if not f.confidential]
    columns = ", ".join(["source_file", "source_row", *[f'"{c}"' for c in checked]])
    batches = _chunks(con, f"select {columns} from work.{dataset} where problem is null", settings.VALIDATION_BATCH_ROWS)
    outcome = validator.validate(dataset, batches, suite(contract_id, dataset), {f.name: f.title for f in contract.fields})
    mark(con, dataset, outcome.failures_frame())
    return outcome.results_frame()


def load(con: duckdb.DuckDBPyConnection, dataset: str, result: BuildResult) -> pl.DataFrame:
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


def stage_source(con: duckdb.DuckDBPyConnection, source: Source, context: Context, validator: Validator,
                 result: BuildResult, stage: Callable[[str], None] = lambda name: None) -> tuple[list[pl.DataFrame], list[pl.DataFrame]]:
    """One source's rows of `raw` normalised, marked (duplicates, superseded records, rows of a file whose governing
    row failed), validated and loaded into `staging`; its quarantined rows and its validation results, a frame of
    each for each dataset. `stage` is told as normalising and validating begin."""
    stage("normalise")
    normalise_source(con, source, context)
    stage("validate")
    quarantined, validations = [], []
    for dataset in text_schema(source):
        if source.key.get(dataset):
            mark(con, dataset, superseded(con, dataset, source.key[dataset]))
        if source.governing_dataset and dataset != source.governing_dataset:
            mark(con, dataset, with_failed_governing_row(con, dataset, source))
        validations.append(validate_dataset(con, validator, source.contract, dataset))
        quarantined.append(load(con, dataset, result))
    return quarantined, validations


@dataclass(frozen=True)
class Staged:
    """What read, normalise and validate made of one source's folder of an inbox (`staged`)."""

    staging: dict[str, pl.DataFrame]  # each dataset's rows that passed, as staging.<dataset> holds them
    quarantine: pl.DataFrame  # the rows that did not, with their reasons (dataset, source_file, source_row, problem, record)
    validations: pl.DataFrame  # each expectation's outcome (meta.validation_results)
    result: BuildResult  # the files read, rejected and loaded

    def rows(self, dataset: str, **where) -> list[dict]:
        """The staged rows of `dataset` whose columns have the values given, as dicts."""
        frame = self.staging[dataset]
        for column, value in where.items():
            frame = frame.filter(pl.col(column) == value)
        return frame.to_dicts()


def staged(inbox: Path, folder: str, as_of: dt.date) -> Staged:
    """The seam for a source's rules: read, normalise and validate the files of one folder of `inbox` (with its
    lookups and the reference tables) in a database in memory, as a build does, and nothing after (no marts,
    indicators or release)."""
    source = next(s for s in SOURCES if s.folder == folder)
    result = BuildResult(load_id="staged", built_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))
    con = duckdb.connect(config={"python_enable_replacements": False})
    try:
        for schema in (*warehouse.SCHEMAS, "work"):
            con.execute(f"create schema {schema}")  # our own names, as the build's
        context = reading_context(con, inbox, result, as_of)
        read_inbox(con, inbox, result, None, folders=(folder,))
        quarantined, validations = stage_source(con, source, context, Validator(), result)
        return Staged(staging={d: con.sql(f"select * from staging.{d} order by source_file, source_row").pl()
                               for d in text_schema(source)},
                      quarantine=pl.concat(quarantined, how="vertical_relaxed"), validations=pl.concat(validations),
                      result=result)
    finally:
        con.close()


def reason_kind(problem: pl.Expr) -> pl.Expr:
    """The reason without the particular value, file or line, for counting reasons."""
    return (
        problem.str.replace_all(r"'[^']*'", "…").str.replace(r"\s*\(…\)$", "")
        .str.replace(r" by \S+ line \d+", " by a later file").str.replace(r"line \d+", "line N")
        .str.replace(r"Summary row was quarantined \(.*$", "Summary row was quarantined")
    )

"""The marts stage: the quarantine, validation results and load metadata written, and the marts and indicators
built from staging (warehouse/)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import duckdb
import polars as pl

import warehouse
from etl import indicators
from etl.build_result import FILE_SCHEMA, BuildResult
from etl.frames import create_table
from etl.staging import reason_kind


def _dashboard_sql(name: str) -> str:
    """A query the dashboard also runs (dashboard/sql/), so the build reports what the page shows."""
    return (Path(__file__).resolve().parent.parent / "dashboard" / "sql" / f"{name}.sql").read_text(encoding="utf-8")


def build_marts(con: duckdb.DuckDBPyConnection, result: BuildResult, quarantined: list[pl.DataFrame],
            validations: list[pl.DataFrame], as_of: dt.date, stage: Callable[[str], None]) -> None:
    """Quarantine, validation results, marts and metadata in the workspace; then drop the working tables."""
    stage("marts")
    rows = pl.concat(quarantined, how="vertical_relaxed").with_columns(reason_kind(pl.col("problem")).alias("rule")).select(
        "dataset", "source_file", pl.col("source_row").cast(pl.Int64), "problem", "rule", "record")
    create_table(con, "quarantine.rows", rows)
    result.quarantine_reasons = dict(
        rows.group_by("dataset", "rule").len().sort(["len", "dataset", "rule"], descending=[True, False, False])
        .select(pl.format("{}: {}", "dataset", "rule"), "len").iter_rows())
    results = pl.concat(validations)
    create_table(con, "meta.validation_results", results)
    result.expectations_failed = results.filter(~pl.col("success")).height
    con.execute("drop schema work cascade")
    con.execute("create table meta.builds as select ? as load_id, cast(? as timestamptz) as built_at, ? as as_of",
                [result.load_id, result.built_at, as_of])
    con.execute(warehouse.sql("macros.sql"))
    for _, file, _ in warehouse.MODELS:
        con.execute(warehouse.sql(file))
    indicators.build(con)
    create_table(con, "meta.load_files", pl.DataFrame([asdict(f) for f in result.files], schema=FILE_SCHEMA))
    for schema, table in con.execute(
        "select schema_name, table_name from duckdb_tables() where database_name = current_database() "
        "and schema_name in ('raw', 'staging', 'marts', 'quarantine') order by 1, 2"
    ).fetchall():
        result.tables[f"{schema}.{table}"] = con.execute(f'select count(*) from "{schema}"."{table}"').fetchall()[0][0]
    for row in con.sql(_dashboard_sql("disclosure_summary")).pl().iter_rows(named=True):
        result.disclosure[f"{row['breakdown']} by {row['period_level']}"] = {
            k: row[k] for k in ("counts", "published", "suppressed", "withheld")}

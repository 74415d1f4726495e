"""Polars frames (or Arrow tables) into DuckDB tables, registered by name explicitly. The build's connection has
DuckDB's lookup of Python variables by name (replacement scans) turned off, so renaming a variable can never change
what a query reads."""

from __future__ import annotations

import duckdb
import polars as pl
import pyarrow as pa

FRAME = "frame_in"  # the name a frame is registered under for the one statement that reads it


def create_table(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame | pa.Table, *, replace: bool = False,
                 temp: bool = False) -> None:
    """Create `table` (a name of ours, never from a file) with the rows and columns of `frame`."""
    _run(con, f"create {'or replace ' if replace else ''}{'temp ' if temp else ''}table {table} as select * from {FRAME}", frame)


def insert_into(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame | pa.Table) -> None:
    """Add the rows of `frame` to `table`, matching columns by name."""
    _run(con, f"insert into {table} by name select * from {FRAME}", frame)


def query_with(con: duckdb.DuckDBPyConnection, sql: str, frame: pl.DataFrame | pa.Table, params: dict | None = None) -> None:
    """Run `sql`, which reads `frame` under the name FRAME, with its bound `params`."""
    _run(con, sql, frame, params)


def _run(con: duckdb.DuckDBPyConnection, sql: str, frame: pl.DataFrame | pa.Table, params: dict | None = None) -> None:
    con.register(FRAME, frame)
    try:
        con.execute(sql, params)
    finally:
        con.unregister(FRAME)

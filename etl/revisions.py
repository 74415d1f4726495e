"""What's new in a release: its files and figures compared with the release published before it
(warehouse/releases/revisions.sql), written into the new public database as meta.file_changes, meta.revisions and
meta.release_comparison. The first release, or one whose predecessor cannot be read, has empty tables and says so."""

from __future__ import annotations

from pathlib import Path

import duckdb

import warehouse
from etl.warehouse_files import DATABASE_FILE

EMPTY = """
create table public.meta.file_changes (path varchar, source varchar, change varchar, rows_loaded_before bigint,
                                       rows_loaded_now bigint);
create table public.meta.revisions as select * from (select
    null::varchar as indicator_id, null::varchar as indicator_name, null::varchar as period, null::varchar as breakdown,
    null::varchar as breakdown_code, null::varchar as breakdown_name, null::varchar as unit, null::double as value_before,
    null::double as value_now, null::double as change, null::double as numerator_before, null::double as numerator_now,
    null::double as denominator_before, null::double as denominator_now, null::varchar as why) where false;
create table public.meta.release_comparison as select $previous_release::varchar as previous_release,
    null::bigint as files_changed, null::bigint as figures_revised, null::bigint as figures_added, null::bigint as figures_removed;
"""


def compare(con: duckdb.DuckDBPyConnection, previous: Path | None) -> None:
    """Write the comparison with the release folder `previous` (None: nothing was published before) into the
    database attached to `con` as `public`, from the workspace's marts. The previous release is only read."""
    database = previous / DATABASE_FILE if previous is not None else None
    if database is not None and database.is_file():
        try:
            con.execute("attach ? as previous (read_only)", [str(database)])
        except duckdb.Error:  # unreadable: compared with nothing, rather than failing the build
            database = None
        else:
            try:
                _run(con, warehouse.sql("releases/revisions.sql"), {"previous_release": previous.name})
                return
            except duckdb.Error:  # a release too old to hold what is compared
                for table in ("file_changes", "revisions", "release_comparison"):
                    con.execute(f"drop table if exists public.meta.{table}")  # our own names
            finally:
                con.execute("detach previous")
    _run(con, EMPTY, {"previous_release": None if previous is None else previous.name})


def _run(con: duckdb.DuckDBPyConnection, script: str, params: dict) -> None:
    """Each statement of one of our own scripts, with the parameters it uses."""
    for statement in script.split(";\n"):
        code = "\n".join(line for line in statement.splitlines() if not line.lstrip().startswith("--"))
        if code.strip():
            con.execute(code, {k: v for k, v in params.items() if f"${k}" in code})

"""The `covenant` command, through click's test runner."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from tests.conftest import BuiltWarehouse
from etl.cli import main
from etl.warehouse_files import current_release

COMMANDS = sorted(main.commands)


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_group_help_lists_every_command(runner: CliRunner) -> None:
    result = runner.invoke(main, ["--help"])
    assert result.exit_code == 0, result.output
    assert "against the Civil Society Covenant" in " ".join(result.output.split())
    assert {"demo", "build", "status", "serve"} <= set(COMMANDS)
    for name in COMMANDS:
        assert f"  {name}" in result.output
    assert runner.invoke(main, ["-h"]).output == result.output


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_has_help_mentioning_each_option(runner: CliRunner, name: str) -> None:
    result = runner.invoke(main, [name, "--help"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"Usage: main {name} [OPTIONS]") or result.output.startswith(f"Usage: covenant {name} [OPTIONS]")
    options = [p for p in main.commands[name].params if isinstance(p, click.Option)]
    assert options
    for option in options:
        for flag in option.opts:
            assert flag in result.output, (name, flag)
        assert option.help, (name, option.name)  # every option explains itself


def test_status_json_describes_the_published_warehouse(runner: CliRunner, built_warehouse: BuiltWarehouse) -> None:
    result = runner.invoke(main, ["status", "--warehouse", str(built_warehouse.path), "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    build = built_warehouse.result
    assert document["warehouse"] == str(current_release(built_warehouse.path)) == build.release
    assert document["database"] == str(built_warehouse.database)
    assert (document["load_id"], document["built_at"]) == (build.load_id, build.built_at)
    assert [f["path"] for f in document["files"]] == [f.path for f in build.files]
    for shown, actual in zip(document["files"], build.files, strict=True):
        assert {k: shown[k] for k in ("sha256", "rows_read", "rows_loaded", "rows_quarantined", "rejected")} == {
            "sha256": actual.sha256, "rows_read": actual.rows_read, "rows_loaded": actual.rows_loaded,
            "rows_quarantined": actual.rows_quarantined, "rejected": None}
        assert len(shown["sha256"]) == 64
    assert document["tables"] == build.tables
    assert document["quarantine_reasons"] == build.quarantine_reasons


def test_status_prints_totals_that_reconcile(runner: CliRunner, built_warehouse: BuiltWarehouse) -> None:
    result = runner.invoke(main, ["status", "--warehouse", str(built_warehouse.path)])
    assert result.exit_code == 0, result.output
    files = built_warehouse.result.files
    read, loaded, quarantined = (sum(getattr(f, k) for f in files) for k in ("rows_read", "rows_loaded", "rows_quarantined"))
    assert read == loaded + quarantined
    assert f"Total: {read:,} read = {loaded:,} loaded + {quarantined:,} quarantined" in result.output
    assert f"Published: {built_warehouse.result.release}" in result.output
    assert "marts.awards" in result.output


def test_status_on_an_empty_warehouse_fails_clearly(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(main, ["status", "--warehouse", str(tmp_path)])
    assert result.exit_code == 1
    assert f"Nothing is published in {tmp_path}" in " ".join(result.output.split())
    result = runner.invoke(main, ["status", "--warehouse", str(tmp_path), "--json"])
    assert result.exit_code == 1
    assert json.loads(result.stdout) == {"warehouse": None, "message": f"nothing is published in {tmp_path}"}


def test_build_of_a_missing_inbox_is_refused(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(main, ["build", "--inbox", str(tmp_path / "nowhere"), "--warehouse", str(tmp_path / "warehouse")])
    assert result.exit_code == 1
    output = " ".join(result.output.split())
    assert "Build refused" in output and "does not exist" in output
    assert not (tmp_path / "warehouse").exists()


def test_status_checks_the_release_opens_and_holds_what_its_manifest_records(runner: CliRunner, built_warehouse: BuiltWarehouse,
                                                                            tmp_path: Path) -> None:
    result = runner.invoke(main, ["status", "--warehouse", str(built_warehouse.path)])
    assert "Checked:   the database opens, and every table holds the rows its manifest records" in result.output
    assert json.loads(runner.invoke(main, ["status", "--warehouse", str(built_warehouse.path), "--json"]).stdout)["problem"] is None
    # a copy of the warehouse whose database was cut short: status says so and fails
    import shutil

    copy = tmp_path / "warehouse"
    shutil.copytree(built_warehouse.path, copy, symlinks=True)
    database = current_release(copy) / "covenant.duckdb"
    database.write_bytes(database.read_bytes()[: database.stat().st_size // 3])
    result = runner.invoke(main, ["status", "--warehouse", str(copy)])
    assert result.exit_code == 1
    size = built_warehouse.result.database_bytes
    assert (f"The published release is damaged: the database is {size // 3:,} bytes where the manifest records {size:,} "
            "(cut short, or replaced)") in " ".join(result.output.split())
    document = json.loads(runner.invoke(main, ["status", "--warehouse", str(copy), "--json"]).stdout)
    assert document["problem"].startswith("the database is ")


def test_text_from_the_inbox_is_printed_with_control_characters_escaped() -> None:
    from etl.cli import printable

    assert printable("funding/\x1b]0;owned\x07\x1b[31mred\x9b.csv") == "funding/\\x1b]0;owned\\x07\\x1b[31mred\\x9b.csv"
    assert printable("Café grants, 2025-26.csv") == "Café grants, 2025-26.csv"


def test_serve_becomes_the_dashboard_process(runner: CliRunner, tmp_path: Path, monkeypatch) -> None:
    """`covenant serve` replaces itself with Streamlit, so a signal to it (SIGTERM from a supervisor) reaches the
    server, and no server is left running without it."""
    import os
    import sys

    calls = []
    monkeypatch.setattr(os, "execve", lambda *args: calls.append(args))
    monkeypatch.setattr(os, "chdir", lambda path: None)
    runner.invoke(main, ["serve", "--warehouse", str(tmp_path), "--port", "8599"])
    ((program, command, env),) = calls
    assert program == sys.executable and command[1:4] == ["-m", "streamlit", "run"] and "8599" in command
    assert env["COVENANT_WAREHOUSE"] == str(tmp_path.resolve())

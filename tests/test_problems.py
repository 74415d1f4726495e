"""The bad-input corpus (tests/fixtures/problems/, one file per defect, named after it) built as one inbox: each
file gives what expected.yaml says. A refused file is refused with a message naming it, where, and what was
expected; a bad row is quarantined by line with the field named; the good rows beside them all load; every row
read is accounted for. No message, and nothing published, quotes markup from a file or anything from an issue log."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from pathlib import Path

import pytest
import yaml

from etl.build import build
from etl.warehouse_files import published_database
from tests.conftest import AS_OF, query, restricted, table
from tests.fixtures.problems.make import zip_bomb

CORPUS = Path(__file__).parent / "fixtures" / "problems"
EXPECTED: dict[str, dict] = yaml.safe_load((CORPUS / "expected.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory):
    inbox = tmp_path_factory.mktemp("problems") / "inbox"
    shutil.copytree(CORPUS, inbox, ignore=shutil.ignore_patterns("*.py", "*.yaml", "__pycache__"))
    (inbox / "funding" / "symbolic_link.csv").symlink_to(inbox / "funding" / "dd_mm_yyyy_dates.csv")
    outside = tmp_path_factory.mktemp("outside-the-inbox")
    (outside / "secret.csv").write_text("not for the warehouse\n")
    (inbox / "funding" / "linked_folder_outside_the_inbox").symlink_to(outside, target_is_directory=True)
    named = (inbox / "funding" / "dd_mm_yyyy_dates.csv").read_text().replace("360G-GOOD-dmy", "360G-GOOD-dotdot")
    (inbox / "funding" / "dot_dot_..\\..\\escape.csv").write_text(named)  # a Windows path in a name: just a name here
    zip_bomb(inbox / "returns" / "zip_bomb_workbook.xlsx", megabytes=600)
    os.mkfifo(inbox / "funding" / "a_pipe_named_like_a_file.csv")  # reading it would wait for ever
    (Path(os.fsdecode(bytes(inbox / "funding") + b"/name_not_utf8_caf\xe9.csv"))  # a Windows-1252 name
     .write_text((inbox / "funding" / "dd_mm_yyyy_dates.csv").read_text().replace("360G-GOOD-dmy", "360G-NAME-1")))
    (inbox / "funding" / "grants\u200b.csv").write_text(  # a name that looks like another's: a zero-width space
        (inbox / "funding" / "dd_mm_yyyy_dates.csv").read_text().replace("360G-GOOD-dmy", "360G-NAME-3"))
    (inbox / "funding" / "<b onclick=alert(2)>grants.csv").write_text(  # a name that is markup
        (inbox / "funding" / "dd_mm_yyyy_dates.csv").read_text().replace("360G-GOOD-dmy", "360G-NAME-2"))
    warehouse = tmp_path_factory.mktemp("problems-warehouse")
    result = build(inbox, warehouse, as_of=AS_OF)
    return result, published_database(warehouse)


def test_the_corpus_has_a_file_for_every_defect_and_an_expectation_for_every_file() -> None:
    committed = {str(p.relative_to(CORPUS)) for p in CORPUS.rglob("*")
                 if p.is_file() and p.parent != CORPUS and "__pycache__" not in p.parts}
    assert committed == {name for name, e in EXPECTED.items() if not e.get("generated")}
    assert len(EXPECTED) >= 25


@pytest.mark.parametrize("name", list(EXPECTED))
def test_each_defect_gives_what_is_expected(corpus, name: str) -> None:
    result, database = corpus
    expected = EXPECTED[name]
    (file,) = [f for f in result.files if f.path == name]
    if "rejected" in expected:
        assert file.rejected and file.rejected.startswith(f"{name}: ")
        for fragment in expected["rejected"]:
            assert fragment in file.rejected
        assert not [text for text in expected.get("never_says", []) if text in file.rejected]
        assert (file.rows_read, file.rows_loaded) == (0, 0)
        assert not_loaded(database, expected)
        return
    assert file.rejected is None
    quarantined = expected.get("quarantined", [])
    assert (file.rows_read, file.rows_loaded, file.rows_quarantined) == (expected["read"], expected["loaded"], len(quarantined))
    assert file.rows_read == file.rows_loaded + file.rows_quarantined  # every row accounted for
    issues = name.startswith("issues/")
    rows = query(restricted(database) if issues else database,
                 f"select source_row, problem from {'quarantine_rows' if issues else 'quarantine.rows'} "
                 "where source_file = ? order by source_row", [name])
    assert [line for line, _ in rows] == [q["line"] for q in quarantined]
    for (_, problem), q in zip(rows, quarantined, strict=True):
        assert problem.startswith(q["says"])
        assert not [text for text in expected.get("never_says", []) if text in problem]
    assert not_loaded(database, expected)
    for org_id, columns in expected.get("organisations", {}).items():
        stored = table(database, "select * from staging.organisations").filter(org_id=org_id).row(0, named=True)
        assert {column: stored[column] for column in columns} == columns, org_id
    for grant_id, columns in expected.get("values", {}).items():
        stored = table(database, "select * from staging.grants").filter(grant_id=grant_id).row(0, named=True)
        for column, value in columns.items():
            wanted = dt.date.fromisoformat(value) if column.endswith("_date") and isinstance(value, str) else value
            assert stored[column] == wanted, (grant_id, column)


def not_loaded(database, expected: dict) -> bool:
    """None of the grant ids the expectation says were not loaded (`not_loaded`: a hidden sheet's, a list a repeated
    key would have replaced) is in staging.grants."""
    ids = expected.get("not_loaded", [])
    return not ids or not query(database, "select grant_id from staging.grants where list_contains(?, grant_id)", [ids])


def test_what_is_published_never_quotes_what_a_file_must_not_say(corpus) -> None:
    """manifest.json, meta.load_files and the messages of quarantine.rows hold none of any file's `never_says`; and
    nothing at all in the published database holds what an issue log must not say."""
    _, database = corpus
    manifest = (database.parent / "manifest.json").read_text(encoding="utf-8")
    load_files = json.dumps(query(database, "select * from meta.load_files"), default=str)
    messages = json.dumps(query(database, "select problem, rule from quarantine.rows"))
    everything = json.dumps([query(database, f'select * from "{schema}"."{name}"') for schema, name in query(
        database, "select schema_name, table_name from duckdb_tables() order by 1, 2")], default=str)
    found = []
    for name, expected in EXPECTED.items():
        for text in expected.get("never_says", []):
            places = {"manifest.json": manifest, "meta.load_files": load_files, "quarantine.rows messages": messages}
            if name.startswith("issues/"):
                places["the published database"] = everything
            found += [f"{name}: {text!r} in {place}" for place, published in places.items() if text in published]
    assert found == []


def test_a_file_name_that_looks_like_a_path_stays_a_name(corpus, tmp_path_factory) -> None:
    result, database = corpus
    assert query(database, "select count(*) from staging.grants where source_file = ?", ["funding/dot_dot_..\\..\\escape.csv"]) == [(1,)]
    assert database.parent.parent.parent.is_dir()  # the release sits where it should, and nothing was written beside the inbox
    assert sorted(p.name for p in database.parent.parent.parent.iterdir() if not p.name.startswith(".")) == ["current", "releases"]


def test_a_reopened_issue_counts_as_reopened_and_resolved(corpus) -> None:
    _, database = corpus
    assert query(restricted(database), "select status, times_reopened from marts_issues where issue_ref = 'REOPEN-1'") == [
        ("resolved", 1)]


def test_text_from_files_is_stored_as_sent_never_run(corpus) -> None:
    """Formulas and markup are kept as text in the warehouse; extracts neutralise formulas and the dashboard
    escapes markup when it shows them (tested with the extracts and pages)."""
    _, database = corpus
    titles = dict(query(database, "select grant_id, title from staging.grants where grant_id in ('360G-FORMULA-1', '360G-HTML-1')"))
    assert titles == {"360G-FORMULA-1": '=HYPERLINK("http://example.invalid","Click")',
                      "360G-HTML-1": "<script>alert('x')</script><b>Grant</b>"}

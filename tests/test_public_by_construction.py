"""Public by construction: a planted issue whose ids and text are unique leaves no trace in any byte of any published
file, in any page or in any extract; the leak gate refuses a release that holds restricted data; the restricted data
lives outside the published tree, for its owner alone; releases stay for their retention period, so a reader never
finds its release gone."""

from __future__ import annotations

import datetime as dt
import io
import os
import shutil
import stat
import zipfile
from pathlib import Path

import duckdb
import polars as pl
import pytest
import streamlit
from streamlit.testing.v1 import AppTest

from dashboard import extracts, queries
from etl import build as build_module
from etl import leak_gate
from etl import release as release_module
from etl.build import BuildRejected, build, superseded_at
from etl.warehouse_files import PUBLISHED_LOG, current_release, published_database, releases_dir, restricted_dir
from tests.conftest import AS_OF, DemoInbox, release_names, restricted

APP = str(Path(__file__).resolve().parent.parent / "dashboard" / "app.py")
PAGES = sorted(p.name for p in (Path(APP).parent / "app_pages").glob("*.py"))
# unique enough that no other text holds them
PLANTED = {"event": "PLANTED-EVT-7Q3ZK", "issue": "PLANTED-ISS-9XW2M", "reporter": "PLANTED-REP-4HV8N",
           "summary": "Planted account: the zebra quartz tribunal withheld our grant 6021"}


def planted_events() -> list[dict]:
    base = {"issue_ref": PLANTED["issue"], "body": "DCMS", "principle": "recognition", "category": "reprisal or self-censorship",
            "reporter_size_band": "micro", "reporter_district": "E08000038", "reporter_id": PLANTED["reporter"],
            "summary": PLANTED["summary"]}
    return [base | {"event_id": f"{PLANTED['event']}-{n}", "event_type": kind, "occurred_at": when}
            for n, (kind, when) in enumerate((("raised", "2025-09-01T10:00:00"), ("acknowledged", "2025-09-03T10:00:00"),
                                               ("resolved", "2025-10-20T10:00:00")), start=1)]


def write_planted(inbox: Path) -> None:
    import csv

    fields = list(planted_events()[0])
    with open(inbox / "issues" / "planted-log.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fields)
        writer.writeheader()
        writer.writerows(planted_events())


@pytest.fixture(scope="module")
def planted(demo_inbox: DemoInbox, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo inbox with a planted issue, built and published; returns the warehouse folder."""
    root = tmp_path_factory.mktemp("planted")
    inbox = root / "inbox"
    shutil.copytree(demo_inbox.path, inbox)
    write_planted(inbox)
    build(inbox, root / "warehouse", as_of=AS_OF)
    return root / "warehouse"


def needles() -> list[bytes]:
    texts = list(PLANTED.values()) + [PLANTED["summary"][:32]]
    return [t.encode("utf-8") for t in texts] + [t.encode("utf-16-le") for t in texts]


def holding(data: bytes) -> list[str]:
    return [n.decode("utf-8", errors="replace") for n in needles() if n in data]


def test_the_planted_issue_is_in_the_restricted_data(planted: Path) -> None:
    """So the searches below can find it: the restricted database holds its events."""
    private = restricted(published_database(planted))
    con = duckdb.connect(str(private), read_only=True)
    try:
        assert con.execute("select count(*) from staging_issue_events where issue_ref = ?", [PLANTED["issue"]]).fetchall() == [(3,)]
    finally:
        con.close()


def test_no_published_byte_holds_the_planted_issue(planted: Path) -> None:
    release = current_release(planted)
    files = [p for p in release.rglob("*") if p.is_file()]
    assert {p.suffix for p in files} >= {".duckdb", ".parquet", ".html", ".json"}
    found = {str(p.relative_to(release)): holding(p.read_bytes()) for p in files}
    assert {name: hits for name, hits in found.items() if hits} == {}
    # compressed storage is searched decompressed: every text value of every table, in the database and in Parquet
    con = duckdb.connect(str(release / "covenant.duckdb"), read_only=True)
    try:
        columns = con.execute("select schema_name, table_name, column_name from duckdb_columns() "
                              "where data_type = 'VARCHAR' and database_name = current_database()").fetchall()
        assert len(columns) > 100
        leaks = []
        for schema, name, column in columns:
            for text in PLANTED.values():
                # names come from the database's catalogue; the text is bound
                if con.execute(f'select count(*) from "{schema}"."{name}" where contains("{column}", ?)', [text]).fetchall()[0][0]:
                    leaks.append(f"{schema}.{name}.{column}")
        for parquet in (release / "parquet").glob("*.parquet"):
            frame = pl.read_parquet(parquet)
            for column in (c for c, t in frame.schema.items() if t == pl.Utf8):
                if frame[column].str.contains_any(list(PLANTED.values())).any():
                    leaks.append(f"{parquet.name}.{column}")
        assert leaks == []
    finally:
        con.close()


def page_text(at: AppTest) -> str:
    texts = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning", "error", "success", "text", "code"):
        texts += [str(e.value) for e in getattr(at, kind)]
    texts += [f"{m.label} {m.value}" for m in at.metric]
    texts += [e.value.to_csv() for e in at.dataframe]
    return "\n".join(texts)


def test_no_page_and_no_extract_shows_the_planted_issue(planted: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COVENANT_WAREHOUSE", str(planted))
    streamlit.cache_data.clear()
    streamlit.cache_resource.clear()
    shown = {}
    for page in PAGES:
        at = AppTest.from_file(APP, default_timeout=120)
        at.query_params["body"] = "DCMS"
        at.run()
        at.switch_page(f"app_pages/{page}").run()
        assert not at.exception, (page, [e.value for e in at.exception])
        shown[page] = [t for t in PLANTED.values() if t in page_text(at)]
    assert {page: hits for page, hits in shown.items() if hits} == {}
    database = published_database(planted)
    for dataset in extracts.EXTRACTS:
        frame = queries.extract(dataset.key, {}, "2024-25 Q1", "2026-27 Q4", database_path=database)
        for fmt in extracts.FORMATS:
            data = extracts.file_bytes(frame, dataset, fmt, "everything")
            if fmt == "xlsx":
                with zipfile.ZipFile(io.BytesIO(data)) as book:
                    data = b"".join(book.read(name) for name in book.namelist())
            elif fmt == "parquet":
                data = pl.read_parquet(io.BytesIO(data)).write_csv().encode("utf-8")
            assert holding(data) == [], (dataset.key, fmt)


def test_the_restricted_data_lives_outside_the_published_tree_for_its_owner_alone(planted: Path) -> None:
    private_root = restricted_dir(planted)
    release = current_release(planted)
    assert not private_root.resolve().is_relative_to(planted.resolve())
    assert private_root == planted.with_name(planted.name + "-restricted")
    assert not [p for p in planted.rglob("*") if "restricted" in p.name or p.suffix == ".duckdb" and p.name != "covenant.duckdb"]
    private_release = restricted(release / "covenant.duckdb").parent
    assert private_release.parent.parent == private_root and private_release.name == release.name
    assert {p.name for p in private_release.iterdir()} == {"covenant-restricted.duckdb", "manifest.json", "data_docs"}
    for path in [private_root, releases_dir(private_root), private_release, *private_release.rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o700 if path.is_dir() else 0o600), (path, oct(mode))
    assert not list(private_root.glob(".building-*"))  # the build's workspace is gone


@pytest.mark.parametrize("leak", ["a restricted table", "a reporter id in a page of the Data Docs"])
def test_the_leak_gate_refuses_a_release_that_holds_restricted_data(planted: Path, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch, leak: str) -> None:
    warehouse = tmp_path / "warehouse"  # a copy of the planted warehouse, with its restricted folder: the first release
    for published, copy in ((planted, warehouse), (restricted_dir(planted), restricted_dir(warehouse))):
        shutil.copytree(published, copy, symlinks=True)
    first = current_release(warehouse).name
    if leak == "a restricted table":
        declared = release_module.public_tables
        monkeypatch.setattr(release_module, "public_tables",
                            lambda con: declared(con) | {"staging.issue_events": ("select * from staging.issue_events", {})})
    else:
        write_docs = build_module.Validator.write_docs

        def leaky(self, folder: Path):
            index = write_docs(self, folder)
            if index is not None:
                index.write_text(index.read_text() + f"<p>{PLANTED['reporter']}</p>")
            return index

        monkeypatch.setattr(build_module.Validator, "write_docs", leaky)
    with pytest.raises(BuildRejected, match="the leak gate found restricted data") as refused:
        build(planted.parent / "inbox", warehouse, as_of=AS_OF)
    assert not any(text in str(refused.value) for text in PLANTED.values())  # the refusal names no secret
    assert current_release(warehouse).name == first
    assert release_names(warehouse) == [first]
    assert [p.name for p in releases_dir(restricted_dir(warehouse)).iterdir()] == [first]


# --- retention: a reader never finds its release gone -------------------------------------------------------------


def release_named(folder: Path, when: dt.datetime) -> str:
    name = when.strftime("%Y%m%dT%H%M%S%fZ")
    for root in (folder, restricted_dir(folder)):
        (releases_dir(root) / name).mkdir(parents=True)
        (releases_dir(root) / name / "covenant.duckdb").write_bytes(b"")
    return name


def test_a_superseded_release_stays_for_the_retention_period(tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse"
    now = dt.datetime(2026, 11, 25, 12, tzinfo=dt.UTC)
    names = [release_named(warehouse, now - dt.timedelta(days=days)) for days in (90, 40, 29, 1, 0)]
    os.symlink(os.path.relpath(releases_dir(warehouse) / names[-1], warehouse), warehouse / "current")
    assert superseded_at(names[1], names) == now - dt.timedelta(days=29)
    release_module.prune(warehouse, now, retention_days=30)
    # the oldest was superseded 40 days ago and goes; the next, superseded 29 days ago, stays
    assert release_names(warehouse) == names[1:]
    assert sorted(p.name for p in releases_dir(restricted_dir(warehouse)).iterdir()) == names[1:]
    release_module.prune(warehouse, now + dt.timedelta(days=365), retention_days=30)
    assert release_names(warehouse) == [names[-1]]  # the published one stays


def test_a_build_with_no_published_release_removes_no_earlier_release(tmp_path: Path) -> None:
    """`current` deleted or dangling: the next build's clean-up must not take every release with it."""
    warehouse = tmp_path / "warehouse"
    now = dt.datetime.now(dt.UTC)
    names = [release_named(warehouse, now - dt.timedelta(minutes=m)) for m in (3, 2)]
    os.symlink("releases/gone", warehouse / "current")  # dangling
    release_module.remove_unfinished(warehouse)
    assert release_names(warehouse) == names


def test_a_page_view_reads_the_release_published_as_it_started(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    warehouse = tmp_path / "warehouse"
    first = release_named(warehouse, dt.datetime(2026, 11, 1, tzinfo=dt.UTC))
    second = release_named(warehouse, dt.datetime(2026, 11, 2, tzinfo=dt.UTC))
    link = warehouse / "current"
    os.symlink(f"releases/{first}", link)
    monkeypatch.setenv("COVENANT_WAREHOUSE", str(warehouse))
    queries.pin_release()
    os.symlink(f"releases/{second}", warehouse / ".current-new")
    os.replace(warehouse / ".current-new", link)  # a build publishes during the view
    assert queries.release().name == first and queries.database().parent.name == first
    queries.pin_release()  # the next view
    assert queries.release().name == second


def test_current_turned_back_to_an_earlier_release_by_hand_removes_no_later_one(tmp_path: Path) -> None:
    """An operator rolling back (`current` pointed at an earlier release): the next build's clean-up keeps every
    release that was published, which it knows from the record of publications, not from `current`; only a finished
    release never published (a build killed before switching `current` to it) is removed."""
    warehouse = tmp_path / "warehouse"
    now = dt.datetime.now(dt.UTC)
    names = [release_named(warehouse, now - dt.timedelta(minutes=m)) for m in (3, 2, 1)]
    (releases_dir(warehouse) / PUBLISHED_LOG).write_text(f"{names[0]}\n{names[1]}\n")
    os.symlink(f"releases/{names[0]}", warehouse / "current")  # turned back from names[1] by hand
    release_module.remove_unfinished(warehouse)
    assert release_names(warehouse) == names[:2]  # names[2] was never published
    assert sorted(p.name for p in releases_dir(restricted_dir(warehouse)).iterdir()) == names[:2]


def test_the_leak_gate_searches_every_batch_of_a_table_and_of_a_parquet_file(tmp_path: Path,
                                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """The gate reads a table's text a batch of rows at a time (memory bounded by a batch, not by a 10M-row table): a
    restricted value in the last batch, inside a value, compressed away from the file's bytes, is still found."""
    monkeypatch.setattr(leak_gate, "BATCH_ROWS", 3)
    secret = "EVT-2025-000417"
    values = [f"grant {n:04d}" for n in range(10)] + [f"see {secret} for more"]
    con = duckdb.connect(str(tmp_path / "covenant.duckdb"))
    con.execute("create schema marts")
    con.execute("create table marts.awards as select unnest(?::varchar[]) as title, 1 as n", [values])
    con.execute("copy marts.awards to ? (format parquet, compression zstd)", [str(tmp_path / "marts.awards.parquet")])
    con.close()
    hits = leak_gate.scan(tmp_path, {secret: "event id", "EVT-2099-999999": "event id"})
    assert sorted(str(hit) for hit in hits if hit.where != "bytes") == [
        "covenant.duckdb (marts.awards.title): a restricted event id",
        "marts.awards.parquet (title): a restricted event id"]
    assert leak_gate.scan(tmp_path, {"EVT-2099-999999": "event id"}) == []

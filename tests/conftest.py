"""Shared fixtures: one demo inbox and one warehouse built from it per session (both take seconds), and a factory
for tiny hand-written inboxes for focused build tests."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl
import pytest

from data_contracts import load_contract
from etl import demo
from etl.build import BuildResult, build
from etl.demo import DemoSettings, DemoSummary, write_demo_inbox
from etl.sources import INBOX_FOLDERS
from etl.warehouse_files import RESTRICTED_DATABASE, published_database, releases_dir, restricted_release
from etl.xlsx import write_workbook

AS_OF = dt.date(2026, 11, 25)
DEMO_SETTINGS = DemoSettings(awards=3000, seed=7, as_of=AS_OF, defect_rate=0.02)


@dataclass(frozen=True)
class DemoInbox:
    path: Path
    summary: DemoSummary
    settings: DemoSettings


@dataclass(frozen=True)
class BuiltWarehouse:
    path: Path
    result: BuildResult
    inbox: Path

    @property
    def database(self) -> Path:
        db = published_database(self.path)
        assert db is not None, f"nothing published under {self.path}"
        return db


def release_names(warehouse: Path) -> list[str]:
    """The names of a warehouse's release folders, in order (the record of publications, releases/.published, aside)."""
    from etl.warehouse_files import PUBLISHED_LOG

    return sorted(p.name for p in releases_dir(warehouse).iterdir() if p.name != PUBLISHED_LOG)


def restricted(database: Path) -> Path:
    """The restricted database (row-level issue data) of a published database's release."""
    release = database.parent
    return restricted_release(release.parent.parent, release.name) / RESTRICTED_DATABASE


def query(database: Path, sql: str, params: Sequence | None = None) -> list[tuple]:
    """Rows of one query against a published database, opened read-only."""
    con = duckdb.connect(str(database), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def table(database: Path, sql: str) -> pl.DataFrame:
    """One query against a published database, opened read-only, as a polars frame."""
    con = duckdb.connect(str(database), read_only=True)
    try:
        return pl.from_arrow(con.sql(sql).to_arrow_table())
    finally:
        con.close()


# --- tiers: `make check` runs the unit tier alone --------------------------------------------------------------------
# unit:    figures, readers, rules and pages' functions on tiny frames and files; no warehouse is built
# build:   builds a warehouse (a tiny inbox's takes seconds, the demo's about half a minute), or reads one built
# browser: needs Chromium: drives the dashboard (tests/browser) or draws with it
# A test is in the build tier when it is marked so or asks for a fixture of BUILDING_FIXTURES; in the unit tier
# building is refused (unit_tier_builds_nothing), so a test that builds and is not marked fails, naming its tier.
TIERS = ("unit", "build", "browser")
BUILDING_FIXTURES = {"built_warehouse", "make_inbox", "awkward", "hand", "hand_without_low_bases", "lifecycle", "two_releases",
                     "corpus", "planted", "real_build", "rebuilt", "hostile"}  # each builds a warehouse
BROWSER_TESTS = Path(__file__).parent / "browser"


# The modules that take longest, started first: `make test` gives each worker one module at a time (--dist loadfile,
# so a module's fixtures are made once) in this order, and the workers then finish close together.
LONGEST_FIRST = ("browser/test_browser.py", "test_load.py", "test_disclosure.py", "test_public_by_construction.py",
                 "test_faults.py", "browser/test_hostile_text.py", "test_security.py", "test_dashboard.py",
                 "browser/test_print.py", "test_build.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    tests = Path(__file__).parent
    order = {tests / name: place for place, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: order.get(item.path, len(order)))  # stable: the rest keep their order
    for item in items:
        if item.path.is_relative_to(BROWSER_TESTS) or item.get_closest_marker("browser"):
            tier = "browser"
        elif item.get_closest_marker("build") or BUILDING_FIXTURES & set(item.fixturenames):
            tier = "build"
        else:
            tier = "unit"
        if not item.get_closest_marker(tier):
            item.add_marker(getattr(pytest.mark, tier))


_running: list[pytest.Item] = []  # the test being set up, run or torn down


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    _running[:] = [item]  # before its fixtures are made: a fixture that builds is caught too


@pytest.fixture(scope="session", autouse=True)
def unit_tier_builds_nothing():
    import etl.build

    real = etl.build._build_release

    def guarded(*args, **kwargs):
        if _running and _running[0].get_closest_marker("unit"):
            raise AssertionError(f"{_running[0].nodeid} is in the unit tier and built a warehouse: mark it "
                                 "@pytest.mark.build, or add the fixture that built to BUILDING_FIXTURES (tests/conftest.py)")
        return real(*args, **kwargs)

    etl.build._build_release = guarded
    yield
    etl.build._build_release = real


@pytest.fixture(scope="session")
def demo_inbox(tmp_path_factory: pytest.TempPathFactory) -> DemoInbox:
    """The demo inbox (3,000 awards, seed 7, as of 25 November 2026, 2% defects). Read it, never change it."""
    path = tmp_path_factory.mktemp("demo") / "inbox"
    summary = write_demo_inbox(path, DEMO_SETTINGS)
    return DemoInbox(path, summary, DEMO_SETTINGS)


def generated_records(settings: DemoSettings) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """The demo generator's own award records (after defects, with a `defect` column), organisations and bodies
    (with their `trait`) for `settings`, rebuilt with its internal functions: what the files were made from."""
    bodies = demo._bodies(settings)
    districts = demo._districts()
    orgs = demo._organisations(settings, districts)
    lsoa = demo._lsoa_lookup(settings, districts)
    awards = demo._awards(settings, bodies, districts, orgs)
    records = demo._award_records(awards, bodies, districts, orgs, settings)
    records = demo._apply_funding_defects(records, settings, DemoSummary(), lsoa)
    return records, orgs, bodies


@pytest.fixture(scope="session")
def generated(demo_inbox: DemoInbox) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    return generated_records(demo_inbox.settings)


@pytest.fixture(scope="session")
def built_warehouse(demo_inbox: DemoInbox, tmp_path_factory: pytest.TempPathFactory) -> BuiltWarehouse:
    """The demo inbox built and published. Read it, never change it."""
    path = tmp_path_factory.mktemp("warehouse")
    result = build(demo_inbox.path, path, as_of=AS_OF)
    return BuiltWarehouse(path, result, demo_inbox.path)


# --- tiny inboxes -------------------------------------------------------------------------------------------------

FUNDING = load_contract("funding").dataset("grants")
FUNDING_TITLES = {f.name: f.title for f in FUNDING.fields}
# the columns a minimal valid 360Giving CSV needs, by field name
GRANT_FIELDS = ("grant_id", "title", "currency", "amount_awarded", "award_date", "recipient_org_id", "recipient_name",
                "funding_org_id", "funding_org_name", "beneficiary_geocode", "beneficiary_geocode_type")


def grant(grant_id: str, **values: str | None) -> dict[str, str | None]:
    """One valid award as text, keyed by field name; keyword arguments override the defaults."""
    row = {
        "grant_id": grant_id,
        "title": f"Grant {grant_id}",
        "currency": "GBP",
        "amount_awarded": "5000",
        "award_date": "2025-06-01",
        "recipient_org_id": "GB-CHC-1234567",
        "recipient_name": "Barnsley Community Trust",
        "funding_org_id": "GB-GOR-D5",
        "funding_org_name": "Department for Culture, Media and Sport",
        "beneficiary_geocode": "E08000038",
        "beneficiary_geocode_type": "MD",
    }
    row.update(values)
    return row


class InboxFactory:
    """Writes files into a fresh inbox folder (with the five source folders) for one test."""

    def __init__(self, path: Path) -> None:
        self.path = path
        for folder in INBOX_FOLDERS:
            (path / folder).mkdir(parents=True, exist_ok=True)

    def write_bytes(self, relative: str, data: bytes) -> Path:
        target = self.path / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        return target

    def write_text(self, relative: str, text: str, encoding: str = "utf-8") -> Path:
        return self.write_bytes(relative, text.encode(encoding))

    def csv(self, relative: str, header: Sequence[str], rows: Iterable[Sequence], *, delimiter: str = ",",
            encoding: str = "utf-8") -> Path:
        """A CSV file (encoding 'utf-8-sig' writes a byte-order mark, 'cp1252' Windows-1252)."""
        out = io.StringIO()
        writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
        writer.writerow(header)
        writer.writerows([["" if v is None else v for v in row] for row in rows])
        return self.write_text(relative, out.getvalue(), encoding)

    def funding_csv(self, name: str, grants: Sequence[dict], *, fields: Sequence[str] = GRANT_FIELDS,
                    delimiter: str = ",", encoding: str = "utf-8") -> Path:
        """A 360Giving CSV in funding/ headed by the standard's titles, with the given fields of each grant."""
        return self.csv(f"funding/{name}", [FUNDING_TITLES[f] for f in fields],
                        [[g.get(f) for f in fields] for g in grants], delimiter=delimiter, encoding=encoding)

    def organisations_csv(self, name: str, rows: Sequence[dict]) -> Path:
        fields = [f.name for f in load_contract("organisations").dataset("organisations").fields]
        return self.csv(f"organisations/{name}", fields, [[r.get(f) for f in fields] for r in rows])

    def issues_csv(self, name: str, rows: Sequence[dict]) -> Path:
        fields = [f.name for f in load_contract("issue_events").dataset("issue_events").fields]
        return self.csv(f"issues/{name}", fields, [[r.get(f) for f in fields] for r in rows])

    def return_workbook(self, name: str, sheets: dict[str, list[dict]]) -> Path:
        """A departmental return: every sheet of the template, with rows (by field name) for the given datasets."""
        target = self.path / "returns" / name
        contract = load_contract("returns")
        write_workbook(target, [
            (d.physical_name, [f.title for f in d.fields], [[row.get(f.name) for f in d.fields] for row in sheets.get(d.name, [])])
            for d in contract.datasets
        ], created=dt.datetime(2026, 1, 1))
        return target


@pytest.fixture
def make_inbox(tmp_path: Path):
    """make_inbox() -> an InboxFactory over a new, empty inbox under this test's tmp_path."""
    count = 0

    def make(name: str | None = None) -> InboxFactory:
        nonlocal count
        count += 1
        return InboxFactory(tmp_path / (name or f"inbox{count}"))

    return make

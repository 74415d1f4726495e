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

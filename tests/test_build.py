"""The build: every row accounted for, defects quarantined or repaired where they should be, nothing confidential
published; then focused cases on tiny hand-written inboxes (rejected files, copies, corrections, encodings,
strict builds, idempotence)."""

from __future__ import annotations

import datetime as dt
import dataclasses
import hashlib
import json
import os
import re
from pathlib import Path

import duckdb
import polars as pl
import pytest

from tests.conftest import (AS_OF, GRANT_FIELDS, BuiltWarehouse, DemoInbox, InboxFactory, grant, query, release_names, restricted,
                            table)
from data_contracts import load_contract
from etl.build import BuildRejected, BuildResult, build
from etl.sources import SOURCES
from etl.warehouse_files import DATABASE_FILE, MANIFEST_FILE, current_release, published_database, releases_dir

LOADED_FOLDERS = ("organisations", "funding", "returns", "issues", "reference")
STAGING = {"organisations": ["organisations"], "funding": ["grants"], "issues": ["issue_events"],
           "returns": [d.name for d in load_contract("returns").datasets]}
# what confidential issue text looks like in the demo's issue logs (reporter ids and the free-text summaries)
CONFIDENTIAL = r"REP-\d{6}|Concern raised about|Issue reopened"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def field_words(dataset: str) -> set[str]:
    """The names and titles of a dataset's fields: what a quarantine reason must start with."""
    source = next(s for s in SOURCES if dataset in STAGING[s.folder])
    fields = load_contract(source.contract).dataset(dataset).fields
    words = {f.name for f in fields} | {f.title for f in fields}
    if source.folder == "returns":
        words.add("Summary")  # a sheet whose workbook's Summary row was quarantined
    return words


def check_quarantine_rows(database: Path, result: BuildResult) -> pl.DataFrame:
    """Every quarantined row, published or (for issue events) restricted, names its dataset, file, row and field."""
    public = table(database, "select * from quarantine.rows")
    assert "issue_events" not in set(public["dataset"])
    rows = pl.concat([public, table(restricted(database), "select * from quarantine_rows")])
    assert rows.columns == ["dataset", "source_file", "source_row", "problem", "rule", "record"]
    assert rows.select(pl.col("dataset", "source_file", "source_row", "problem", "rule").null_count()).row(0) == (0,) * 5
    paths = {f.path for f in result.files}
    for row in rows.iter_rows(named=True):
        assert row["source_file"] in paths
        assert row["source_row"] >= 1
        field = row["problem"].split(":")[0]
        assert field in field_words(row["dataset"]), row["problem"]
        assert json.loads(row["record"])  # the values as sent
    return rows


# --- the demo warehouse -----------------------------------------------------------------------------------------


def test_every_file_reconciles(built_warehouse: BuiltWarehouse, demo_inbox: DemoInbox) -> None:
    files = built_warehouse.result.files
    summary = demo_inbox.summary
    assert built_warehouse.result.published
    assert len(files) == sum(summary.files[f] for f in LOADED_FOLDERS)
    assert [f.path for f in files if f.rejected or f.duplicate_of] == []
    assert [(f.path, f.rows_read, f.rows_loaded, f.rows_quarantined) for f in files
            if f.rows_read != f.rows_loaded + f.rows_quarantined] == []
    read = {folder: sum(f.rows_read for f in files if f.source == folder) for folder in LOADED_FOLDERS}
    assert read == {folder: summary.rows[folder] for folder in LOADED_FOLDERS}
    assert all(f.sha256 == sha256(built_warehouse.inbox / f.path) for f in files)


@pytest.mark.build
def test_the_build_times_each_stage(demo_inbox, tmp_path) -> None:
    from etl.build import SOURCES, STAGES, build
    from tests.conftest import AS_OF

    told = []
    result = build(demo_inbox.path, tmp_path / "warehouse", as_of=AS_OF, on_stage=told.append)
    assert list(dict.fromkeys(told)) == [*STAGES, None]  # in order; normalise and validate alternate per source
    assert told.count("normalise") == told.count("validate") == len(SOURCES)  # one after the other, source by source
    assert list(result.stage_seconds) == list(STAGES) and all(s > 0 for s in result.stage_seconds.values())


def test_manifest_and_tables_agree(built_warehouse: BuiltWarehouse) -> None:
    result, db = built_warehouse.result, built_warehouse.database
    manifest = json.loads((db.parent / MANIFEST_FILE).read_text())
    assert manifest["load_id"] == result.load_id == db.parent.name
    issue_files = [f for f in result.files if f.source == "issues"]
    withheld = [dict(path=f"issues/file {n} (name withheld)", source="issues", sha256=None, rows_read=None, rows_loaded=None,
                     rows_quarantined=None, rejected=None, duplicate_of=None) for n in range(1, len(issue_files) + 1)]
    assert manifest["files"] == [dataclasses.asdict(f) for f in result.files if f.source != "issues"] + withheld
    assert len(issue_files) >= 2 and not any(f.rejected for f in issue_files)
    full = json.loads((restricted(db).parent / MANIFEST_FILE).read_text())
    assert full["files"] == [dataclasses.asdict(f) for f in result.files]
    assert full["tables"] == result.tables
    actual = {name: query(db, f"select count(*) from {name}")[0][0] for name in manifest["tables"]}
    private = {name: query(restricted(db), f"select count(*) from {name.replace('.', '_')}")[0][0]
               for name in ("raw.issue_events", "staging.issue_events", "marts.issues")}
    assert actual | private == result.tables | {"quarantine.rows": actual["quarantine.rows"]}
    assert actual == manifest["tables"]
    assert {n.split(".")[0] for n in actual} == {"raw", "staging", "marts", "quarantine"}
    assert not any("issue_events" in name or name == "marts.issues" for name in actual) and "marts.issue_figures" in actual
    actual |= private | {"quarantine.rows": result.tables["quarantine.rows"]}
    for folder, datasets in STAGING.items():
        loaded = sum(f.rows_loaded for f in result.files if f.source == folder)
        assert loaded == sum(actual[f"staging.{d}"] for d in datasets), folder
        assert loaded > 0
    assert actual["quarantine.rows"] == sum(f.rows_quarantined for f in result.files)
    assert actual["marts.awards"] == actual["staging.grants"]
    assert actual["marts.organisations"] == actual["staging.organisations"] == 750
    assert actual["marts.body_quarters"] == actual["staging.return_summary"]
    assert actual["marts.issues"] == query(restricted(db), "select count(distinct issue_ref) from staging_issue_events")[0][0]
    files = table(db, "select * from meta.load_files")
    assert files.to_dicts() == manifest["files"]
    assert table(restricted(db), "select * from load_files").to_dicts() == [dataclasses.asdict(f) for f in result.files if f.source == "issues"]
    assert query(db, "select load_id, as_of from meta.builds") == [(result.load_id, AS_OF)]


def test_every_quarantine_row_names_its_dataset_file_row_and_field(built_warehouse: BuiltWarehouse) -> None:
    rows = check_quarantine_rows(built_warehouse.database, built_warehouse.result)
    assert rows.height >= 5
    # the clean demo data quarantines only funding and issue rows (the planted defects), never a return
    assert set(rows["dataset"]) == {"grants", "issue_events"}
    reasons = built_warehouse.result.quarantine_reasons
    assert sum(reasons.values()) == rows.height


@pytest.fixture(scope="module")
def loaded_grants(built_warehouse: BuiltWarehouse) -> pl.DataFrame:
    return table(built_warehouse.database, "select * from staging.grants")


@pytest.fixture(scope="module")
def quarantined_grants(built_warehouse: BuiltWarehouse) -> pl.DataFrame:
    return table(built_warehouse.database, """
        select source_file, source_row, problem, json_extract_string(record, '$.grant_id') as grant_id
        from quarantine.rows where dataset = 'grants'""")


def planted(generated, kind: str) -> pl.DataFrame:
    records, _, _ = generated
    return records.filter(pl.col("defect") == kind)


def test_quarantined_grants_are_exactly_the_planted_unloadable_ones(generated, loaded_grants, quarantined_grants) -> None:
    records, _, _ = generated
    unloadable = records.filter(pl.col("defect").is_in(["missing_amount", "negative_amount", "future_award_date"]))
    duplicated = planted(generated, "duplicate_identifier")
    assert unloadable.height >= 3 and duplicated.height >= 1
    assert sorted(quarantined_grants["grant_id"]) == sorted(unloadable["grant_id"].to_list() + duplicated["grant_id"].to_list())
    assert set(unloadable["grant_id"]).isdisjoint(loaded_grants["grant_id"])
    # a duplicated record: the first is loaded, the repeat quarantined
    assert loaded_grants.filter(pl.col("grant_id").is_in(duplicated["grant_id"].to_list())).height == duplicated.height
    assert loaded_grants["grant_id"].n_unique() == loaded_grants.height


def test_bad_amounts_and_dates_are_quarantined_with_the_field_named(generated, quarantined_grants) -> None:
    problems = dict(quarantined_grants.select("grant_id", "problem").iter_rows())
    amounts = planted(generated, "negative_amount")["grant_id"].to_list() + planted(generated, "missing_amount")["grant_id"].to_list()
    assert amounts
    assert [g for g in amounts if not problems[g].startswith("Amount Awarded:")] == []
    future = planted(generated, "future_award_date")["grant_id"].to_list()
    assert future
    assert [g for g in future if not (problems[g].startswith("Award Date:") and "future" in problems[g])] == []
    for g in planted(generated, "duplicate_identifier")["grant_id"]:
        assert re.fullmatch(r"grant_id: duplicate of line \d+ in the same file", problems[g])


def test_reformatted_dates_and_amounts_are_repaired_and_noted(generated, loaded_grants) -> None:
    records, _, _ = generated
    for kind, column, note in (("dmy_date", "award_date", "award date read as DD/MM/YYYY"),
                               ("pound_amount", "amount_awarded", "amount read from £ and thousands separators")):
        expected = planted(generated, kind).select("grant_id", pl.col(column).alias("expected"))
        got = loaded_grants.join(expected, on="grant_id")
        assert got.height == expected.height > 0
        assert (got[column] == got["expected"]).all()
        # only CSV files carry the text defects (JSON and XLSX hold typed values)
        csv = got.filter(pl.col("source_file").str.ends_with(".csv"))
        assert csv.height >= 1
        assert csv["repairs"].str.contains(note, literal=True).all()
        assert not got.filter(~pl.col("source_file").str.ends_with(".csv"))["repairs"].str.contains(note, literal=True).any()


def test_geocodes_are_repaired(generated, loaded_grants) -> None:
    successor = {"E08000016": "E08000038", "E08000019": "E08000039"}
    # Barnsley and Sheffield under their pre-2024 codes
    former = loaded_grants.filter(pl.col("beneficiary_geocode").is_in(list(successor)))
    assert former.height >= 1
    assert (former["district_code"] == former["beneficiary_geocode"].replace_strict(successor)).all()
    assert (former["geocode_repair"] == "former_code").all()
    assert former["repairs"].str.contains("former district code mapped to the current one", literal=True).all()
    assert loaded_grants.filter(pl.col("district_code").is_in(list(successor))).height == 0
    # code and type the wrong way round: the type column holds the code
    swapped = loaded_grants.join(planted(generated, "swapped_geocode").select("grant_id"), on="grant_id")
    assert swapped.height >= 1
    assert (swapped["district_code"] == swapped["beneficiary_geocode_type"].replace(successor)).all()
    assert swapped["repairs"].str.contains("geocode and geocode type were swapped", literal=True).all()
    # small areas through the inbox's lookup
    small = loaded_grants.join(planted(generated, "small_area_code").select("grant_id"), on="grant_id").filter(
        pl.col("beneficiary_geocode_type") == "LSOA")
    assert small.height >= 1
    assert (small["geocode_repair"] == "small_area").all() and small["district_code"].null_count() == 0
    missing = loaded_grants.join(planted(generated, "missing_location").select("grant_id"), on="grant_id")
    assert missing.height >= 1 and missing["district_code"].null_count() == missing.height


def test_funders_and_recipients_are_resolved(generated, loaded_grants, built_warehouse: BuiltWarehouse) -> None:
    records, _, _ = generated
    codes = records.select("grant_id", "funder_code")
    # a funder written the way publishers abbreviate it is still its public body
    alias = loaded_grants.join(planted(generated, "funder_alias").select("grant_id"), on="grant_id").join(codes, on="grant_id")
    assert alias.height >= 1
    assert alias.filter(pl.col("funder_body_code").is_null() | (pl.col("funder_body_code") != pl.col("funder_code"))).rows() == []
    # a funder not in the reference is loaded, and flagged in the marts
    unknown = planted(generated, "unknown_funder")["grant_id"].to_list()
    assert unknown
    flagged = query(built_warehouse.database, "select grant_id, funder_not_in_reference from marts.awards where grant_id in "
                    f"({', '.join(repr(g) for g in unknown)})")
    assert sorted(flagged) == sorted((g, True) for g in unknown)
    # an org-id made from a charity number
    charity = planted(generated, "charity_number_only").select("grant_id", "recipient_charity_number")
    derived = loaded_grants.join(charity, on="grant_id")
    assert derived.height >= 1
    assert (derived["recipient_org_id"] == "GB-CHC-" + derived["recipient_charity_number_right"]).all()
    assert derived["repairs"].str.contains("recipient org-id made from", literal=True).all()
    # every clean record's funder is a known body
    clean = loaded_grants.join(records.filter(pl.col("defect").is_null()).select("grant_id"), on="grant_id")
    assert clean["funder_body_code"].null_count() == 0


def test_formula_text_is_kept_as_text(generated, loaded_grants) -> None:
    formula = loaded_grants.join(planted(generated, "formula_in_title").select("grant_id"), on="grant_id")
    assert formula.height >= 1
    assert formula["title"].str.starts_with('=HYPERLINK("http://example.invalid"').all()


def test_issue_events_naming_an_unknown_body_are_quarantined(built_warehouse: BuiltWarehouse, demo_inbox: DemoInbox) -> None:
    rows = table(restricted(built_warehouse.database), """
        select problem, json_extract_string(record, '$.body') as body from quarantine_rows
        where dataset = 'issue_events' and problem like 'body:%'""")
    assert rows.height == demo_inbox.summary.defects["unknown_body_in_issue"]
    assert rows["body"].to_list() == ["Department of Unknown Affairs"] * rows.height
    assert rows["problem"].str.starts_with("body: the value is not a public body").all()
    assert query(restricted(built_warehouse.database), "select count(*) from staging_issue_events where body_code is null") == [(0,)]


def varchar_columns(database: Path) -> dict[tuple[str, str], list[str]]:
    columns: dict[tuple[str, str], list[str]] = {}
    for schema, name, column in query(database, """
            select schema_name, table_name, column_name from duckdb_columns()
            where data_type = 'VARCHAR' and not internal order by all"""):
        columns.setdefault((schema, name), []).append(column)
    return columns


def rows_matching(database: Path, pattern: str) -> dict[str, int]:
    """Rows of every table with a text value matching `pattern`, by table."""
    found = {}
    for (schema, name), columns in varchar_columns(database).items():
        where = " or ".join(f'regexp_matches("{c}", ?)' for c in columns)
        count = query(database, f'select count(*) from "{schema}"."{name}" where {where}', [pattern] * len(columns))[0][0]
        if count:
            found[f"{schema}.{name}"] = count
    return found


def test_nothing_confidential_is_published(built_warehouse: BuiltWarehouse) -> None:
    raw = "".join(p.read_text() for p in sorted((built_warehouse.inbox / "issues").iterdir()))
    assert len(re.findall(CONFIDENTIAL, raw)) > 100  # the inbox has them ...
    db = built_warehouse.database
    columns = query(db, """select schema_name, table_name, column_name from duckdb_columns()
                           where lower(column_name) like '%reporter_id%' or lower(column_name) = 'summary'""")
    assert columns == []  # ... the warehouse has neither the columns
    assert query(db, "select count(*) from information_schema.columns where column_name in ('reporter_id', 'summary')") == [(0,)]
    assert rows_matching(db, CONFIDENTIAL) == {}  # ... nor any of their values, in any table
    assert len(varchar_columns(db)) > 20
    for path in db.parent.rglob("*"):  # nor the manifest and validation reports beside it
        if path.is_file() and path.suffix in (".json", ".html", ".md", ".txt"):
            assert not re.search(CONFIDENTIAL, path.read_text(errors="replace")), path


# --- tiny inboxes -----------------------------------------------------------------------------------------------

NO_AMOUNT = [f for f in GRANT_FIELDS if f != "amount_awarded"]
SECRET = "Our funder threatened us"


def write_awkward_inbox(inbox: InboxFactory) -> None:
    good = inbox.funding_csv("a_good.csv", [
        grant("360G-T-1"),
        grant("360G-T-2", amount_awarded="£1,234.50"),
        grant("360G-T-3", award_date="01/06/2025", beneficiary_geocode="E08000016"),
    ])
    inbox.write_bytes("funding/b_copy.csv", good.read_bytes())
    inbox.funding_csv("c_no_amount_column.csv", [grant("360G-T-20")], fields=NO_AMOUNT)
    inbox.funding_csv("d_windows_1252.csv", [grant("360G-T-4", recipient_name="Café Société Trust", amount_awarded="£2,500")],
                      encoding="cp1252")
    inbox.funding_csv("e_bom.csv", [grant("360G-T-5", recipient_name="Zoë's Place, Ynys Môn")], encoding="utf-8-sig")
    inbox.funding_csv("f_semicolon.csv", [grant("360G-T-6", title="Grants, small and large", amount_awarded="750.25")],
                      delimiter=";")
    inbox.funding_csv("g_correction.csv", [grant("360G-T-1", amount_awarded="6000")])
    (inbox.path / "funding" / "h_link.csv").symlink_to(good)
    inbox.funding_csv("i_bad_rows.csv", [
        grant("360G-T-10", amount_awarded=None),
        grant("360G-T-11", amount_awarded="-5"),
        grant("360G-T-12", amount_awarded="abc"),
        grant("360G-T-13", award_date="2027-01-01"),
        grant("360G-T-14"),
    ])
    inbox.organisations_csv("register.csv", [
        {"org_id": "GB-CHC-1234567", "name": "Barnsley Community Trust", "latest_income": "250000",
         "local_authority_code": "E08000016"},
        {"org_id": "gb-coh-01234567", "name": "Big Charity Ltd", "latest_income": "£12,000,000"},
    ])
    event = {"issue_ref": "ISS-1", "principle": "partnership", "category": "late payment", "reporter_size_band": "small",
             "reporter_district": "E08000016", "reporter_id": "REP-SECRET-1", "summary": SECRET}
    inbox.issues_csv("events.csv", [
        event | {"event_id": "ISS-1-E1", "event_type": "raised", "occurred_at": "2025-08-01T10:00:00", "body": "DCMS"},
        event | {"event_id": "ISS-1-E2", "event_type": "resolved", "occurred_at": "2025-09-01T10:00:00", "body": "DCMS"},
        event | {"event_id": "ISS-2-E1", "issue_ref": "ISS-2", "event_type": "raised", "occurred_at": "2025-08-02T10:00:00",
                 "body": "Department of Unknown Affairs"},
    ])
    inbox.return_workbook("dcms_return_2025-26_Q1.xlsx", {
        "return_summary": [{"body_code": "DCMS", "financial_year": "2025-26", "quarter": 1, "action_plan_published": "Yes",
                            "ministerial_lead_named": "Yes", "senior_official_lead_named": "No",
                            "meetings_committed": 4, "meetings_held": 3, "submitted_on": "14/08/2025"}],
        "return_commitments": [{"commitment_ref": "DCMS-C01", "principle": "partnership",
                                "commitment": "Pay grants in advance", "status": "on track"}],
    })


@dataclasses.dataclass(frozen=True)
class Built:
    inbox: InboxFactory
    warehouse: Path
    result: BuildResult

    @property
    def database(self) -> Path:
        return published_database(self.warehouse)

    def file(self, path: str):
        return next(f for f in self.result.files if f.path == path)

    def grants(self) -> dict[str, dict]:
        return {r["grant_id"]: r for r in table(self.database, "select * from staging.grants").iter_rows(named=True)}


@pytest.fixture(scope="module")
def awkward(tmp_path_factory: pytest.TempPathFactory) -> Built:
    inbox = InboxFactory(tmp_path_factory.mktemp("awkward") / "inbox")
    write_awkward_inbox(inbox)
    warehouse = tmp_path_factory.mktemp("awkward-warehouse")
    return Built(inbox, warehouse, build(inbox.path, warehouse, as_of=AS_OF))


def test_awkward_inbox_reconciles(awkward: Built) -> None:
    counts = {f.path: (f.rows_read, f.rows_loaded, f.rows_quarantined) for f in awkward.result.files}
    assert counts == {
        "organisations/register.csv": (2, 2, 0),
        "funding/a_good.csv": (3, 2, 1),  # 360G-T-1 superseded by the correction
        "funding/b_copy.csv": (0, 0, 0),
        "funding/c_no_amount_column.csv": (0, 0, 0),
        "funding/d_windows_1252.csv": (1, 1, 0),
        "funding/e_bom.csv": (1, 1, 0),
        "funding/f_semicolon.csv": (1, 1, 0),
        "funding/g_correction.csv": (1, 1, 0),
        "funding/h_link.csv": (0, 0, 0),
        "funding/i_bad_rows.csv": (5, 1, 4),
        "returns/dcms_return_2025-26_Q1.xlsx": (2, 2, 0),
        "issues/events.csv": (3, 2, 1),
    }
    check_quarantine_rows(awkward.database, awkward.result)


def test_a_file_missing_a_required_column_is_rejected_and_the_rest_still_loads(awkward: Built) -> None:
    rejected = awkward.file("funding/c_no_amount_column.csv").rejected
    assert rejected is not None
    assert "funding/c_no_amount_column.csv" in rejected and "'Amount Awarded'" in rejected and "missing" in rejected
    assert awkward.result.published and awkward.database is not None
    assert current_release(awkward.warehouse) == Path(awkward.result.release)
    assert "360G-T-20" not in awkward.grants()
    assert {"360G-T-1", "360G-T-2", "360G-T-3", "360G-T-4", "360G-T-5", "360G-T-6", "360G-T-14"} == set(awkward.grants())
    assert [f.path for f in awkward.result.files if f.rejected] == ["funding/c_no_amount_column.csv", "funding/h_link.csv"]


def test_an_identical_copy_is_loaded_once(awkward: Built) -> None:
    copy, original = awkward.file("funding/b_copy.csv"), awkward.file("funding/a_good.csv")
    assert copy.duplicate_of == "funding/a_good.csv"
    assert copy.sha256 == original.sha256 is not None
    assert query(awkward.database, "select count(*) from staging.grants where grant_id = '360G-T-2'") == [(1,)]
    assert query(awkward.database, "select count(*) from quarantine.rows where source_file = 'funding/b_copy.csv'") == [(0,)]


def test_a_corrected_record_in_a_later_file_supersedes_the_earlier_one(awkward: Built) -> None:
    corrected = awkward.grants()["360G-T-1"]
    assert (corrected["amount_awarded"], corrected["source_file"], corrected["source_row"]) == (6000.0, "funding/g_correction.csv", 2)
    assert query(awkward.database, "select source_file, source_row, problem from quarantine.rows where dataset = 'grants' "
                 "and json_extract_string(record, '$.grant_id') = '360G-T-1'") == [
        ("funding/a_good.csv", 2, "grant_id: superseded by funding/g_correction.csv line 2")]


def test_a_symbolic_link_is_rejected(awkward: Built) -> None:
    link = awkward.file("funding/h_link.csv")
    assert link.sha256 is None and link.rows_read == 0
    assert link.rejected == "funding/h_link.csv: is a symbolic link; put the file itself in the inbox"


def test_windows_1252_and_bom_files_keep_their_characters(awkward: Built) -> None:
    grants = awkward.grants()
    assert (grants["360G-T-4"]["recipient_name"], grants["360G-T-4"]["amount_awarded"]) == ("Café Société Trust", 2500.0)
    assert grants["360G-T-4"]["repairs"] == "amount read from £ and thousands separators"
    # the byte-order mark is not part of the first column's title, so Identifier is found
    assert grants["360G-T-5"]["recipient_name"] == "Zoë's Place, Ynys Môn"
    assert grants["360G-T-5"]["source_row"] == 2


def test_a_semicolon_delimited_file_loads(awkward: Built) -> None:
    row = awkward.grants()["360G-T-6"]
    assert (row["title"], row["amount_awarded"], row["funder_body_code"]) == ("Grants, small and large", 750.25, "DCMS")


def test_bad_rows_are_quarantined_by_line_with_the_field_named(awkward: Built) -> None:
    rows = query(awkward.database, "select source_row, json_extract_string(record, '$.grant_id'), problem from quarantine.rows "
                 "where source_file = 'funding/i_bad_rows.csv' order by source_row")
    assert [(line, grant_id) for line, grant_id, _ in rows] == [(2, "360G-T-10"), (3, "360G-T-11"), (4, "360G-T-12"), (5, "360G-T-13")]
    problems = [p for _, _, p in rows]
    assert problems[0].startswith("Amount Awarded:") and "missing" in problems[0]
    assert problems[1].startswith("Amount Awarded:") and "'-5" in problems[1]
    assert problems[2] == "Amount Awarded: 'abc' is not a number"
    assert problems[3].startswith("Award Date:") and "2027-01-01" in problems[3] and "future" in problems[3]
    record = json.loads(query(awkward.database, "select record from quarantine.rows where source_row = 4 "
                                                "and source_file = 'funding/i_bad_rows.csv'")[0][0])
    assert record["amount_awarded"] == "abc" and record["recipient_name"] == "Barnsley Community Trust"


def test_repairs_are_made_and_noted(awkward: Built) -> None:
    grants = awkward.grants()
    assert grants["360G-T-2"]["amount_awarded"] == 1234.5
    assert grants["360G-T-3"]["award_date"].isoformat() == "2025-06-01"
    assert grants["360G-T-3"]["repairs"] == "award date read as DD/MM/YYYY; former district code mapped to the current one"
    assert (grants["360G-T-3"]["district_code"], grants["360G-T-1"]["district_code"]) == ("E08000038", "E08000038")
    organisations = query(awkward.database, "select org_id, district_code, size_band, smaller_organisation from marts.organisations order by 1")
    assert organisations == [("GB-CHC-1234567", "E08000038", "medium", True), ("GB-COH-01234567", None, "major", False)]


def test_issue_events_lose_their_confidential_fields_and_unknown_bodies_are_quarantined(awkward: Built) -> None:
    db = awkward.database
    private = restricted(db)
    assert query(private, "select event_id, body_code from staging_issue_events order by 1") == [("ISS-1-E1", "DCMS"), ("ISS-1-E2", "DCMS")]
    assert query(private, "select source_row, problem from quarantine_rows where dataset = 'issue_events'") == [
        (4, "body: the value is not a public body in the reference; expected a code, name or alias of one")]
    assert query(private, "select status, days_to_resolve from marts_issues where issue_ref = 'ISS-1'") == [("resolved", 31)]
    assert SECRET in (awkward.inbox.path / "issues" / "events.csv").read_text()
    assert rows_matching(db, "REP-SECRET|threatened") == {}
    assert rows_matching(private, "REP-SECRET|threatened") == {}


def test_a_return_loads(awkward: Built) -> None:
    db = awkward.database
    assert query(db, "select body_code, financial_year, quarter, meetings_committed, meetings_held, action_plan_published "
                     "from staging.return_summary") == [("DCMS", "2025-26", 1, 4, 3, True)]
    assert query(db, "select commitment_ref, principle, status from staging.return_commitments") == [
        ("DCMS-C01", "partnership", "on track")]
    # sent on 14 August for a quarter that ended on 30 June: due 30 days after, on 30 July, so late
    assert query(db, "select submitted_on, due_on, timeliness from marts.body_quarters") == [
        (dt.date(2025, 8, 14), dt.date(2025, 7, 30), "late")]


def contents(database: Path) -> dict[str, list]:
    """Every staging, marts, quarantine and reference table, without the load id (new for every build), sorted."""
    out = {}
    con = duckdb.connect(str(database), read_only=True)
    try:
        tables = con.sql("select schema_name, table_name from duckdb_tables() "
                         "where schema_name in ('raw', 'staging', 'marts', 'quarantine', 'reference') order by all").fetchall()
        for schema, name in tables:
            columns = [c for (c,) in con.execute("select column_name from duckdb_columns() where schema_name = ? and table_name = ? "
                                                 "order by column_index", [schema, name]).fetchall() if c != "load_id"]
            rows = con.sql(f'select {", ".join(chr(34) + c + chr(34) for c in columns)} from "{schema}"."{name}"').fetchall()
            out[f"{schema}.{name}"] = [columns, sorted(rows, key=repr)]
    finally:
        con.close()
    return out


@pytest.mark.build
def test_rebuilding_the_same_inbox_gives_the_same_contents(awkward: Built, tmp_path: Path) -> None:
    again = build(awkward.inbox.path, tmp_path / "warehouse", as_of=AS_OF)
    assert again.load_id != awkward.result.load_id
    first, second = contents(awkward.database), contents(published_database(tmp_path / "warehouse"))
    assert len(first) > 20
    assert first["staging.grants"][1]  # not trivially equal
    assert [name for name in first if first[name] != second.get(name)] == []
    assert sorted(first) == sorted(second)
    assert again.files == awkward.result.files
    assert again.tables == awkward.result.tables and again.quarantine_reasons == awkward.result.quarantine_reasons


@pytest.mark.build
def test_an_inbox_read_by_worker_processes_gives_the_same_contents(awkward: Built, tmp_path: Path, monkeypatch) -> None:
    """A large inbox is read by a process per CPU: the awkward inbox (rejected, duplicate, Windows-1252 and
    semicolon files, returns, issue logs) read that way builds exactly what it builds when read in one process."""
    import etl.inbox

    monkeypatch.setattr(etl.inbox, "PARALLEL_READ_BYTES", 0)
    monkeypatch.setattr(etl.inbox, "READ_WORKERS", 2)
    started = []
    real_pool = etl.inbox.ProcessPoolExecutor
    monkeypatch.setattr(etl.inbox, "ProcessPoolExecutor", lambda *a, **k: started.append(a) or real_pool(*a, **k))
    again = build(awkward.inbox.path, tmp_path / "warehouse", as_of=AS_OF)
    assert started == [(2,)]
    first, second = contents(awkward.database), contents(published_database(tmp_path / "warehouse"))
    assert [name for name in first if first[name] != second.get(name)] == []
    assert sorted(first) == sorted(second)
    assert again.files == awkward.result.files
    assert any(f.rejected for f in again.files) and any(f.duplicate_of for f in again.files)
    assert again.tables == awkward.result.tables and again.quarantine_reasons == awkward.result.quarantine_reasons


def test_strict_build_with_a_rejected_file_publishes_nothing(make_inbox, tmp_path: Path) -> None:
    inbox = make_inbox()
    inbox.funding_csv("a.csv", [grant("360G-S-1")])
    warehouse = tmp_path / "warehouse"
    first = build(inbox.path, warehouse, strict=True, as_of=AS_OF)  # a clean inbox passes a strict build
    database = published_database(warehouse)
    link = os.readlink(warehouse / "current")
    before = sha256(database)
    releases = release_names(warehouse)
    assert releases == [first.load_id]

    inbox.funding_csv("b.csv", [grant("360G-S-2")], fields=NO_AMOUNT)
    with pytest.raises(BuildRejected) as refused:
        build(inbox.path, warehouse, strict=True, as_of=AS_OF)
    message = str(refused.value)
    assert "funding/b.csv" in message and "'Amount Awarded'" in message and "nothing was published" in message
    assert sha256(database) == before
    assert os.readlink(warehouse / "current") == link
    assert published_database(warehouse) == database
    assert release_names(warehouse) == releases  # no half-built release left behind
    assert sorted(p.name for p in warehouse.iterdir()) == [".build.lock", "current", "releases"]


def test_a_missing_inbox_is_refused(tmp_path: Path) -> None:
    with pytest.raises(BuildRejected, match="does not exist"):
        build(tmp_path / "nowhere", tmp_path / "warehouse", as_of=AS_OF)
    assert not (tmp_path / "warehouse").exists()


def test_a_second_build_while_one_runs_is_refused_and_leftovers_of_an_interrupted_build_are_cleared(make_inbox, tmp_path: Path) -> None:
    import fcntl

    inbox = make_inbox()
    inbox.funding_csv("a.csv", [grant("360G-A-1")])
    warehouse = tmp_path / "warehouse"
    leftover = releases_dir(warehouse) / ".building-20260101T000000000000Z"
    leftover.mkdir(parents=True)
    (leftover / DATABASE_FILE).write_bytes(b"half a database")
    with open(warehouse / ".build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        with pytest.raises(BuildRejected, match="another build is running"):
            build(inbox.path, warehouse, as_of=AS_OF)
    assert current_release(warehouse) is None
    result = build(inbox.path, warehouse, as_of=AS_OF)
    assert result.published and not leftover.exists()
    assert release_names(warehouse) == [result.load_id]


def test_data_docs_are_published_beside_the_database_and_fetch_nothing_from_the_internet(built_warehouse: BuiltWarehouse) -> None:
    release = built_warehouse.database.parent
    assert built_warehouse.result.data_docs == "data_docs/index.html"
    pages = list((release / "data_docs").rglob("*.html"))
    assert len(pages) >= 2  # the index and at least one validation result
    fetched = re.compile(r"<(?:link|script|img)\b[^>]*\b(?:href|src)=[\"']https?://", re.IGNORECASE)
    assert [p.name for p in pages if fetched.search(p.read_text(encoding="utf-8"))] == []
    assert "grants" in (release / "data_docs" / "index.html").read_text(encoding="utf-8")


def test_a_folder_inside_an_inbox_folder_is_reported_and_hidden_files_are_passed_over(make_inbox, tmp_path: Path) -> None:
    inbox = make_inbox()
    inbox.funding_csv("a.csv", [grant("360G-F-1")])
    inbox.funding_csv("2024/b.csv", [grant("360G-F-2")])
    inbox.write_text("funding/.DS_Store", "not data")
    inbox.write_text("funding/~$a.csv", "Office's lock file")
    result = build(inbox.path, tmp_path / "warehouse", as_of=AS_OF)
    assert {f.path: (f.rows_loaded, f.rejected) for f in result.files if f.source == "funding"} == {
        "funding/a.csv": (1, None),
        "funding/2024": (0, "funding/2024: is a folder, and its files were not read; put them directly in funding/"),
    }


def test_a_build_given_relative_paths_publishes_everything_an_absolute_one_does(make_inbox, tmp_path: Path, monkeypatch) -> None:
    """Paths are made absolute once, as the build starts: a relative --warehouse (the default, data/warehouse) once
    published no Data Docs."""
    inbox = make_inbox("inbox")
    inbox.funding_csv("a.csv", [grant("360G-R-1")])
    monkeypatch.chdir(tmp_path)
    result = build(Path("inbox"), Path("data/warehouse"), as_of=AS_OF)
    release = current_release(tmp_path / "data" / "warehouse")
    assert result.release == str(release) and Path(result.release).is_absolute()
    assert result.data_docs == "data_docs/index.html" and (release / "data_docs" / "index.html").is_file()
    manifest = json.loads((release / MANIFEST_FILE).read_text())
    assert manifest["database_bytes"] == (release / DATABASE_FILE).stat().st_size
    assert manifest["database_sha256"] == hashlib.sha256((release / DATABASE_FILE).read_bytes()).hexdigest()

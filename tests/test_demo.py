"""The demo inbox generator: deterministic for a seed, in the formats real senders use, readable by the ETL's own
readers, and with the patterns the dashboard is meant to show."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import hashlib
import json
from pathlib import Path

import polars as pl
import pytest

from tests.conftest import DemoInbox, generated_records
from data_contracts import load_contract
from etl import demo, periods
from etl.demo import write_demo_inbox
from etl.sources import Context, funding, organisations, returns
from etl.sources.files import open_workbook

FOLDERS = {"funding", "organisations", "returns", "issues", "reference"}


def file_hashes(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.rglob("*")) if p.is_file()}


def read_funding(folder: Path) -> pl.DataFrame:
    """Every funding file read back with the ETL's reader, with the file's name."""
    frames = [funding.read(p, f"funding/{p.name}")["grants"].with_columns(pl.lit(p.name).alias("source_file"))
              for p in sorted(folder.iterdir())]
    return pl.concat(frames, how="diagonal_relaxed")


@pytest.fixture(scope="module")
def funding_back(demo_inbox: DemoInbox) -> pl.DataFrame:
    """The demo's funding files as read and normalised by the ETL (no build)."""
    return funding.normalise(read_funding(demo_inbox.path / "funding"), Context(as_of=demo_inbox.settings.as_of))


# --- determinism ------------------------------------------------------------------------------------------------


def test_same_seed_gives_byte_identical_files(demo_inbox: DemoInbox, tmp_path: Path) -> None:
    again = write_demo_inbox(tmp_path / "inbox", demo_inbox.settings)
    first, second = file_hashes(demo_inbox.path), file_hashes(tmp_path / "inbox")
    assert len(first) == sum(demo_inbox.summary.files.values()) + 1  # + demo.json
    assert sorted(first) == sorted(second)
    assert [name for name in first if first[name] != second[name]] == []
    assert again == demo_inbox.summary


def test_a_different_seed_gives_different_funding_files(demo_inbox: DemoInbox, generated, tmp_path: Path) -> None:
    settings = dataclasses.replace(demo_inbox.settings, seed=8)
    records, _, _ = generated_records(settings)
    folder = tmp_path / "funding"
    folder.mkdir()
    rows = sum(demo._write_funding_file(folder, key, group, fmt, encoding)
               for key, (group, fmt, encoding) in demo._funding_files(settings, records).items())
    assert rows >= settings.awards
    ours, theirs = file_hashes(demo_inbox.path / "funding"), file_hashes(folder)
    common = set(ours) & set(theirs)
    assert len(common) > 50
    assert [name for name in common if ours[name] == theirs[name]] == []
    # the records differ, not just the bytes
    seven, _, _ = generated
    assert seven["amount_awarded"].sum() != records["amount_awarded"].sum()


# --- the inbox on disk ------------------------------------------------------------------------------------------


def test_inbox_has_the_five_folders_with_the_expected_file_kinds(demo_inbox: DemoInbox) -> None:
    root = demo_inbox.path
    assert {p.name for p in root.iterdir() if p.is_dir()} == FOLDERS
    assert {p.name for p in root.iterdir() if p.is_file()} == {"demo.json"}
    suffixes = {folder: {p.suffix for p in (root / folder).iterdir()} for folder in FOLDERS}
    assert suffixes == {
        "funding": {".json", ".csv", ".xlsx"},
        "organisations": {".csv"},
        "returns": {".xlsx"},
        "issues": {".csv"},
        "reference": {".csv"},
    }
    assert [p.name for p in (root / "organisations").iterdir()] == ["register.csv"]
    assert sorted(p.name for p in (root / "issues").iterdir()) == [
        "issue_events_2024-25.csv", "issue_events_2025-26.csv", "issue_events_2026-27.csv"]
    assert [p.name for p in (root / "reference").iterdir()] == ["lsoa21_to_lad23_demo.csv"]
    # one funding file per funder per financial year, named for both
    assert all(p.stem.split("_grants_")[1] in ("2024-25", "2025-26", "2026-27") for p in (root / "funding").iterdir())


def test_return_workbooks_have_the_sheets_of_the_contract(demo_inbox: DemoInbox) -> None:
    expected = [d.physical_name for d in load_contract("returns").datasets]
    assert expected[:2] == ["Summary", "Commitments"]
    books = sorted((demo_inbox.path / "returns").iterdir())
    assert len(books) > 1000
    wrong = {p.name: names for p in books if (names := open_workbook(p, p.name).sheet_names) != expected}
    assert wrong == {}


def test_funding_workbooks_put_grants_on_one_sheet_named_for_the_year(demo_inbox: DemoInbox) -> None:
    books = sorted((demo_inbox.path / "funding").glob("*.xlsx"))
    assert books
    for p in books:
        fy = p.stem.split("_grants_")[1]
        assert open_workbook(p, p.name).sheet_names == [f"Grants {fy}"]


def test_issue_logs_carry_the_contract_columns_including_the_confidential_ones(demo_inbox: DemoInbox) -> None:
    titles = [f.title for f in load_contract("issue_events").dataset("issue_events").fields]
    for p in sorted((demo_inbox.path / "issues").iterdir()):
        with open(p, newline="", encoding="utf-8") as f:
            header = next(csv.reader(f))
        assert header == titles
        assert {"reporter_id", "summary"} <= set(header)  # input only: the build drops them


def count_csv_rows(path: Path) -> int:
    with open(path, newline="", encoding="utf-8") as f:
        return sum(1 for _ in csv.reader(f)) - 1


def test_demo_json_counts_match_the_files_on_disk(demo_inbox: DemoInbox) -> None:
    root = demo_inbox.path
    document = json.loads((root / "demo.json").read_text())
    assert {k: document[k] for k in ("seed", "awards", "as_of", "defect_rate")} == {
        "seed": 7, "awards": 3000, "as_of": "2026-11-25", "defect_rate": 0.02}
    assert document["files"] == {folder: len(list((root / folder).iterdir())) for folder in document["files"]}
    assert set(document["files"]) == FOLDERS
    assert document["rows"]["organisations"] == count_csv_rows(root / "organisations" / "register.csv") == 750
    assert document["rows"]["issues"] == sum(count_csv_rows(p) for p in (root / "issues").iterdir())
    assert document["rows"]["reference"] == count_csv_rows(root / "reference" / "lsoa21_to_lad23_demo.csv")
    summary = demo_inbox.summary
    assert (document["files"], document["rows"], document["defects"]) == (summary.files, summary.rows, summary.defects)
    # the encoding defects are always planted once each when there are defects at all
    assert document["defects"]["windows_1252_file"] == document["defects"]["utf8_bom_file"] == 1


def test_encoding_defects_are_real(demo_inbox: DemoInbox, generated) -> None:
    records, _, _ = generated
    encodings = {f"{code.lower()}_grants_{fy}.csv": encoding
                 for (code, fy), (_, fmt, encoding) in demo._funding_files(demo_inbox.settings, records).items() if encoding}
    assert sorted(encodings.values()) == ["cp1252", "utf-8-sig"]
    for name, encoding in encodings.items():
        data = (demo_inbox.path / "funding" / name).read_bytes()
        assert data.startswith(b"\xef\xbb\xbf") == (encoding == "utf-8-sig")
        assert data.decode(encoding).startswith("Identifier,Title,")
    others = [p.read_bytes() for p in (demo_inbox.path / "funding").glob("*.csv") if p.name not in encodings]
    assert not any(d.startswith(b"\xef\xbb\xbf") for d in others)
    for d in others:
        d.decode("utf-8")  # every other CSV is plain UTF-8


# --- parse-back -------------------------------------------------------------------------------------------------


def test_every_funding_row_reads_back(demo_inbox: DemoInbox, funding_back: pl.DataFrame) -> None:
    summary = demo_inbox.summary
    assert funding_back.height == summary.rows["funding"]
    planted = summary.defects["duplicate_identifier"]
    assert funding_back.height == demo_inbox.settings.awards + planted
    counts = funding_back.group_by("grant_id").len()
    assert counts.filter(pl.col("len") > 1)["len"].to_list() == [2] * planted
    assert funding_back["grant_id"].null_count() == 0


def test_clean_records_read_back_as_generated(funding_back: pl.DataFrame, generated) -> None:
    records, _, _ = generated
    clean = records.filter(pl.col("defect").is_null()).select(
        "grant_id", "amount_awarded", "award_date", "recipient_org_id", "recipient_name", "funding_org_name",
        "duration_months", "format")
    assert clean.height > 2800
    back = funding_back.unique("grant_id", keep="first").select(
        "grant_id", pl.col("amount_awarded").alias("amount_back"), pl.col("award_date").alias("date_back"),
        pl.col("recipient_org_id").alias("org_back"), pl.col("recipient_name").alias("name_back"),
        pl.col("funding_org_name").alias("funder_back"), pl.col("duration_months").alias("months_back"),
        pl.col("source_file"))
    joined = clean.join(back, on="grant_id", how="left")
    assert joined["source_file"].null_count() == 0
    mismatched = joined.filter(
        (pl.col("amount_awarded") != pl.col("amount_back")) | (pl.col("award_date") != pl.col("date_back"))
        | (pl.col("recipient_org_id") != pl.col("org_back")) | (pl.col("recipient_name") != pl.col("name_back"))
        | (pl.col("funding_org_name") != pl.col("funder_back")) | (pl.col("duration_months") != pl.col("months_back"))
    )
    assert mismatched.select("grant_id", "source_file").rows() == []
    # every file format is covered by the comparison
    assert {Path(f).suffix for f in joined["source_file"]} == {".json", ".csv", ".xlsx"}
    # a sample record, spelled out
    sample = joined.row(0, named=True)
    assert (sample["amount_back"], sample["date_back"], sample["name_back"]) == (
        sample["amount_awarded"], sample["award_date"], sample["recipient_name"])


def test_defective_records_read_back_with_their_defect(funding_back: pl.DataFrame, generated) -> None:
    records, _, _ = generated
    kinds = records.filter(pl.col("defect").is_not_null()).select("grant_id", "defect").unique("grant_id")
    back = funding_back.unique("grant_id", keep="first").join(kinds, on="grant_id")
    by_kind = {k: g for (k,), g in back.partition_by("defect", as_dict=True).items()}
    if "negative_amount" in by_kind:
        assert (by_kind["negative_amount"]["amount_awarded"] < 0).all()
    if "future_award_date" in by_kind:
        assert (by_kind["future_award_date"]["award_date"] > dt.date(2026, 11, 25)).all()
    if "missing_amount" in by_kind:
        assert by_kind["missing_amount"]["amount_awarded"].null_count() == by_kind["missing_amount"].height
    assert "pound_amount" in by_kind and "small_area_code" in by_kind
    # a small-area code only where the lookup has one for the district (English and Welsh current codes)
    small_areas = by_kind["small_area_code"].filter(pl.col("beneficiary_geocode_type") == "LSOA")
    assert small_areas.height >= 1
    assert small_areas["beneficiary_geocode"].str.contains(r"^[EW]01\d{6}$").all()


def test_the_organisation_register_reads_back(demo_inbox: DemoInbox, generated) -> None:
    _, orgs, _ = generated
    path = demo_inbox.path / "organisations" / "register.csv"
    frame = organisations.normalise(organisations.read(path, "organisations/register.csv")["organisations"])
    assert frame.height == demo_inbox.summary.rows["organisations"] == orgs.height
    assert frame["org_id"].n_unique() == frame.height
    assert frame["org_id"].null_count() == 0
    assert frame["org_id"].to_list() == orgs["org_id"].to_list()
    assert frame["latest_income"].to_list() == orgs["latest_income"].to_list()
    # the company numbers keep their leading zeros through the CSV
    assert frame["company_number"].drop_nulls().str.len_chars().unique().to_list() == [8]


def test_return_workbooks_parse(demo_inbox: DemoInbox) -> None:
    books = sorted((demo_inbox.path / "returns").iterdir())[::10]
    names = [d.name for d in load_contract("returns").datasets]
    for p in books:
        frames = returns.read(p, f"returns/{p.name}")
        assert list(frames) == names
        summary = frames["return_summary"].row(0, named=True)
        # file names are <body code>_return_<financial year>_Q<quarter>.xlsx
        _, fy, q = p.stem.rsplit("_", 2)
        assert (summary["financial_year"], summary["quarter"]) == (fy, q[1])
        assert summary["meetings_held"] is not None and int(summary["meetings_held"]) >= 0


def test_returns_cover_ended_quarters_only(demo_inbox: DemoInbox) -> None:
    quarters = {tuple(p.stem.rsplit("_", 2)[1:]) for p in (demo_inbox.path / "returns").iterdir()}
    # as of 25 November 2026 the last ended quarter is 2026-27 Q2
    assert ("2026-27", "Q2") in quarters and ("2026-27", "Q3") not in quarters
    assert ("2024-25", "Q1") in quarters
    assert len(quarters) == 10


# --- patterns ---------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def awards_with_size(demo_inbox: DemoInbox, funding_back: pl.DataFrame) -> pl.DataFrame:
    path = demo_inbox.path / "organisations" / "register.csv"
    register = organisations.normalise(organisations.read(path, "organisations/register.csv")["organisations"])
    clean = funding_back.filter(pl.col("problem").is_null()).unique("grant_id", keep="first")
    return clean.join(register.select(pl.col("org_id").alias("recipient_org_id"), "latest_income", "size_band",
                                      "smaller_organisation"), on="recipient_org_id", how="inner")


def test_smaller_organisations_get_smaller_and_shorter_awards(awards_with_size: pl.DataFrame) -> None:
    assert awards_with_size.height > 2500
    smaller = awards_with_size.filter(pl.col("smaller_organisation") == True)  # noqa: E712
    large = awards_with_size.filter(pl.col("latest_income") >= 1_000_000)
    assert smaller.height > 500 and large.height > 200
    assert smaller["amount_awarded"].median() * 3 < large["amount_awarded"].median()
    assert smaller["duration_months"].median() < large["duration_months"].median()
    # and the share of awards of two years or more rises with size
    long = lambda f: (f["duration_months"] >= 24).mean()  # noqa: E731
    assert long(smaller) + 0.1 < long(large)


def test_improvers_lengthen_awards_after_the_covenant_more_than_laggards(funding_back: pl.DataFrame, generated) -> None:
    _, _, bodies = generated
    traits = bodies.select(pl.col("code").alias("funder_body_code"), "trait")
    awards = funding_back.filter(pl.col("problem").is_null()).unique("grant_id").join(traits, on="funder_body_code")
    before = pl.col("award_date") < periods.quarter_bounds(2025, 2)[0]  # the baseline and 2025-26 Q1
    after = pl.col("award_date") > periods.quarter_bounds(2025, 2)[1]  # after 2025-26 Q2
    share = {}
    for trait in ("improver", "laggard"):
        for when, condition in (("before", before), ("after", after)):
            group = awards.filter((pl.col("trait") == trait) & condition)
            assert group.height > 100, (trait, when)
            share[trait, when] = (group["duration_months"] >= 24).mean()
    improver_rise = share["improver", "after"] - share["improver", "before"]
    laggard_rise = share["laggard", "after"] - share["laggard", "before"]
    assert improver_rise > 0.05
    assert improver_rise > laggard_rise + 0.05

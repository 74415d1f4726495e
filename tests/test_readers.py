"""Readers on small hand-written files: each format they take, and a clear error naming the file, the line or
column, and what was expected for each they refuse."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from etl.sources import funding, issues, returns
from etl.sources.files import SourceError
from etl.xlsx import write_workbook


def test_issue_events_as_json_lines_lose_their_confidential_fields(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    events = [
        {"event_id": "E1", "issue_ref": "I1", "event_type": "raised", "occurred_at": "2025-06-01T09:00:00", "body": "DCMS",
         "principle": "recognition", "category": "other", "reporter_size_band": "small", "reporter_district": "E08000038",
         "reporter_id": "REP-1", "summary": "My charity was told to stop campaigning"},
        {"event_id": "E2", "issue_ref": "I1", "event_type": "resolved", "occurred_at": "2025-07-01T09:00:00", "body": "DCMS",
         "reporter_id": "REP-1", "free_text_note": "anything else a sender adds"},
    ]
    path.write_text("\n".join(json.dumps(e) for e in events) + "\n\n")
    frame = issues.read(path, "issues/events.jsonl")["issue_events"]
    assert frame["event_id"].to_list() == ["E1", "E2"]
    assert frame["source_row"].to_list() == [1, 2]
    assert "reporter_id" not in frame.columns and "summary" not in frame.columns and "free_text_note" not in frame.columns
    typed = issues.normalise(frame)
    assert typed["body_code"].to_list() == ["DCMS", "DCMS"]
    assert typed["problem"].to_list() == [None, None]


def test_a_broken_json_lines_file_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text('{"event_id": "E1"}\n{"event_id": \n')
    with pytest.raises(SourceError) as error:
        issues.read(path, "issues/events.jsonl")
    assert str(error.value).startswith("issues/events.jsonl: line 2: is not valid JSON Lines")


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('{"grants": [{"id": "360G-1"', "is not valid JSON"),
        ('{"publisher": {"name": "Someone"}}', 'expected an object with a "grants" list'),
        ('[{"id": "360G-1"}]', 'expected an object with a "grants" list'),
    ],
)
def test_json_that_is_not_a_360giving_package_is_refused(tmp_path: Path, content: str, expected: str) -> None:
    path = tmp_path / "grants.json"
    path.write_text(content)
    with pytest.raises(SourceError) as error:
        funding.read(path, "funding/grants.json")
    assert str(error.value).startswith("funding/grants.json")
    assert expected in str(error.value)


def test_a_second_beneficiary_location_is_kept_with_the_extra_fields(tmp_path: Path) -> None:
    path = tmp_path / "grants.json"
    grant = {"id": "360G-1", "amountAwarded": 10, "currency": "GBP", "awardDate": "2025-05-01",
             "recipientOrganization": [{"id": "GB-CHC-1", "name": "A"}], "fundingOrganization": [{"id": "GB-GOR-D5", "name": "DCMS"}],
             "beneficiaryLocation": [{"geoCode": "E08000038", "geoCodeType": "MD"}, {"geoCode": "E08000039", "geoCodeType": "MD"}],
             "publisherField": "kept"}
    path.write_text(json.dumps({"grants": [grant]}))
    frame = funding.read(path, "funding/grants.json")["grants"]
    assert frame["beneficiary_geocode"].to_list() == ["E08000038"]
    extras = json.loads(frame["extra_fields"][0])
    assert extras["publisherField"] == "kept"
    assert extras["beneficiaryLocation"] == [{"geoCode": "E08000039", "geoCodeType": "MD"}]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # orjson reads these; a whole number stays a whole number
        (b'{"grants": [{"id": "A", "amountAwarded": 5000, "duration": 1.5, "title": "caf\xc3\xa9"}]}', ["5000", "café"]),
        (b'\xef\xbb\xbf{"grants": [{"id": "A", "amountAwarded": 5000.0, "title": "x"}]}', ["5000.0", "x"]),
        # the standard library reads these: beyond 64 bits, NaN, Windows-1252
        (b'{"grants": [{"id": "A", "amountAwarded": 123456789012345678901234567890, "title": "x"}]}',
         ["123456789012345678901234567890", "x"]),
        (b'{"grants": [{"id": "A", "amountAwarded": NaN, "title": "x"}]}', ["nan", "x"]),
        (b'{"grants": [{"id": "A", "amountAwarded": 7, "title": "caf\xe9 \x96 tea"}]}', ["7", "café – tea"]),
    ],
)
def test_json_values_are_read_exactly_as_sent(tmp_path: Path, raw: bytes, expected: list[str]) -> None:
    import gc

    path = tmp_path / "grants.json"
    path.write_bytes(raw)
    frame = funding.read(path, "funding/grants.json")["grants"]
    assert frame.select("amount_awarded", "title").row(0) == tuple(expected)
    assert gc.isenabled()  # the cycle collector, paused while the file is read, runs again


def test_a_broken_json_file_names_its_line_and_collection_resumes(tmp_path: Path) -> None:
    import gc

    path = tmp_path / "grants.json"
    path.write_text('{"grants": [\n{"id": "A"},\n{"id": "B",}\n]}')
    with pytest.raises(SourceError) as error:
        funding.read(path, "funding/grants.json")
    assert str(error.value).startswith("funding/grants.json: line 3: is not valid JSON")
    assert gc.isenabled()


def test_a_corrupt_workbook_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "grants.xlsx"
    path.write_bytes(b"PK\x03\x04 this is not really a workbook")
    with pytest.raises(SourceError) as error:
        funding.read(path, "funding/grants.xlsx")
    assert str(error.value).startswith("funding/grants.xlsx: cannot be opened as an XLSX workbook")


def test_a_password_protected_workbook_is_refused_with_a_reason(tmp_path: Path) -> None:
    path = tmp_path / "grants.xlsx"
    path.write_bytes(bytes.fromhex("D0CF11E0A1B11AE1") + bytes(4088))  # how an encrypted Office file begins
    with pytest.raises(SourceError) as error:
        funding.read(path, "funding/grants.xlsx")
    assert str(error.value).startswith("funding/grants.xlsx: is password-protected")


def test_a_workbook_that_decompresses_to_gigabytes_is_refused_unread(tmp_path: Path, monkeypatch) -> None:
    import zipfile

    from etl.sources import files

    path = tmp_path / "return.xlsx"
    write_workbook(path, [("Summary", ["Public body code"], [["DCMS"]])])
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive, archive.open("xl/media/padding.bin", "w") as padding:
        for _ in range(4):  # 4 MB of zeros, a few kB packed
            padding.write(bytes(1 << 20))
    assert path.stat().st_size < 100_000
    monkeypatch.setattr(files, "MAX_WORKBOOK_BYTES", 2 * 1024**2)  # the real bound is 512 MB: the same rule, smaller
    with pytest.raises(SourceError) as error:
        returns.read(path, "returns/return.xlsx")
    assert str(error.value).startswith("returns/return.xlsx: would decompress to 4 MB; expected a workbook of at most 2 MB")


def test_a_return_without_the_expected_sheet_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "return.xlsx"
    write_workbook(path, [("Sheet1", ["Public body code"], [["DCMS"]])])
    with pytest.raises(SourceError) as error:
        returns.read(path, "returns/return.xlsx")
    assert str(error.value).startswith("returns/return.xlsx: has no sheet 'Summary'")
    assert "'Commitments'" in str(error.value)


def test_a_spreadsheet_with_the_grants_on_a_sheet_of_any_name_and_titles_spaced_differently(tmp_path: Path) -> None:
    path = tmp_path / "grants.xlsx"
    headers = ["Identifier", "Amount Awarded", "Currency", "Award Date", "Recipient Org: Identifier", "Recipient Org:Name",
               "Funding Org:Identifier", "Funding Org:Name", "Grant Programme: Title", "Beneficiary Location:0:Geographic Code"]
    write_workbook(path, [("ABCT data - Jan 2013 - Aug 2020", headers,
                           [["360G-X-1", "1500", "GBP", "01/06/2025", "GB-CHC-1", "A", "GB-GOR-D5", "DCMS", "Arts", "E08000038"]])])
    frame = funding.read(path, "funding/grants.xlsx")["grants"]
    row = frame.row(0, named=True)
    assert (row["grant_id"], row["recipient_org_id"], row["programme_title"], row["beneficiary_geocode"]) == (
        "360G-X-1", "GB-CHC-1", "Arts", "E08000038")
    assert row["source_row"] == 2

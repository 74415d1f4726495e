"""Readers on small hand-written files: each format they take, and a clear error naming the file, the line or
column, and what was expected for each they refuse."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from etl.sources import files, funding, issues, returns
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
        # a whole number stays a whole number, a decimal as written
        (b'{"grants": [{"id": "A", "amountAwarded": 5000, "duration": 1.5, "title": "caf\xc3\xa9"}]}', ["5000", "café"]),
        (b'\xef\xbb\xbf{"grants": [{"id": "A", "amountAwarded": 5000.0, "title": "x"}]}', ["5000.0", "x"]),
        # beyond 64 bits exactly, NaN (then not a number: quarantined), Windows-1252
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


# --- what a message may quote -------------------------------------------------------------------------------------

CONTACT = "Jo Bloggs, jo.bloggs@example.org, 07700 900123"  # a reporter's details, where a header should be
NEVER = ("Jo Bloggs", "jo.bloggs", "07700", "900123")


def _refusal(read, path: Path, name: str) -> str:
    with pytest.raises(SourceError) as error:
        read(path, name)
    message = str(error.value)
    assert message.startswith(f"{name}: ")
    return message


@pytest.mark.parametrize(("file_name", "content", "expected"), [
    ("no_header.csv", f'E1,I1,raised,2025-06-01T09:00:00,DCMS,"{CONTACT}"\n',
     "issues/no_header.csv: line 1, column 'event_id': the first row does not hold the expected column titles event_id, "
     "issue_ref, event_type, occurred_at, body (missing: event_id, issue_ref, event_type, occurred_at, body; the row has "
     "6 cells, not quoted here); expected a header row"),
    ("some_titles.csv", f'event_id,issue_ref,"{CONTACT}"\nE1,I1,x\n',
     "issues/some_titles.csv: line 1, column 'event_type': the first row does not hold the expected column titles "
     "event_id, issue_ref, event_type, occurred_at, body (missing: event_type, occurred_at, body; the row has 3 cells, "
     "not quoted here); expected a header row"),
    ("open_quote.csv", f'event_id,issue_ref\nE1,"{CONTACT}\nE2,I2\n',
     "issues/open_quote.csv: line 2: a quoted cell is never closed, so the rest of the file reads as one cell; expected "
     "every quoted cell to be closed"),
    ("keys_only.jsonl", f'{{"{CONTACT}": 1}}\n',
     "issues/keys_only.jsonl: line 1, column 'event_id': the first row does not hold the expected column titles "
     "event_id, issue_ref, event_type, occurred_at, body (missing: event_id, issue_ref, event_type, occurred_at, body; "
     "the row has 0 cells, not quoted here); expected a header row"),
])
def test_an_issue_log_is_refused_without_quoting_anything_from_it(tmp_path: Path, file_name: str, content: str,
                                                                  expected: str) -> None:
    path = tmp_path / file_name
    path.write_text(content)
    message = _refusal(issues.read, path, f"issues/{file_name}")
    assert message == expected
    assert not [text for text in NEVER if text in message]


def test_a_ragged_line_is_a_row_of_nothing_but_its_problem_and_the_others_are_read(tmp_path: Path) -> None:
    path = tmp_path / "ragged.csv"
    path.write_text(f"event_id,issue_ref,event_type,occurred_at,body\nE1,I1,raised,2025-06-01,DCMS\n"
                    f"E2,I2,raised,2025-06-01,DCMS,{CONTACT}\r\nE3,I3\rE4,I4,raised,2025-06-01,DCMS\n")
    frame = issues.read(path, "issues/ragged.csv")["issue_events"]
    assert frame.select("source_row", "event_id", "read_problem").rows() == [
        (2, "E1", None),
        (3, None, "the line has 8 fields where the header row has 5; expected 5 fields separated by commas (a value "
                  "with a comma in it goes in quotes)"),
        (4, None, "the line has 2 fields where the header row has 5; expected 5 fields separated by commas (a value "
                  "with a comma in it goes in quotes)"),
        (5, "E4", None),
    ]
    assert not [text for text in NEVER for value in frame.rows() for cell in value if text in str(cell)]


def test_a_broken_json_line_is_a_row_of_nothing_but_its_problem(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text(f'{{"event_id": "E1", "issue_ref": "I1"}}\n{{"event_id": "E2", "summary": "{CONTACT}"\n'
                    f'{{"event_id": "E3", "event_id": "E4"}}\n[1, 2]\n')
    frame = issues.read(path, "issues/events.jsonl")["issue_events"]
    assert frame.select("source_row", "event_id", "read_problem").rows() == [
        (1, "E1", None),
        (2, None, "the line is not valid JSON (Expecting ',' delimiter at character 79); expected one JSON object per line"),
        (3, None, "the line has a key twice; expected each key once"),
        (4, None, "the line is not a JSON object; expected one JSON object per line"),
    ]
    assert frame["body"].to_list() == [None] * 4  # a key no line has is a column of nothing: each row judged alone
    assert not [text for text in NEVER for value in frame.rows() for cell in value if text in str(cell)]


def test_a_public_file_lists_its_plain_titles_and_only_counts_the_others(tmp_path: Path) -> None:
    path = tmp_path / "grants.csv"
    path.write_text('Identifier,<img src=x onerror=alert(1)>,"[a](https://evil.example/)",Recipient Org:Identifier,'
                    f'{"x" * 61}\n1,2,3,4,5\n')
    message = _refusal(funding.read, path, "funding/grants.csv")
    assert message.endswith("; found: 'Identifier', 'Recipient Org:Identifier', and 3 not shown (symbols, or over 60 characters)")


def test_polars_words_about_a_broken_csv_which_quote_it_are_not_passed_on(tmp_path: Path) -> None:
    path = tmp_path / "grants.csv"
    path.write_text('Identifier,Title\n360G-1,"<img src=x onerror=alert(1)>\n360G-2,x\n')
    assert _refusal(funding.read, path, "funding/grants.csv") == (
        "funding/grants.csv: line 2: a quoted cell is never closed, so the rest of the file reads as one cell; expected "
        "every quoted cell to be closed")


def test_a_title_that_repeats_once_trimmed_is_one_column_and_copies_that_differ_are_the_rows_problem(tmp_path: Path) -> None:
    from etl.sources.files import read_csv_text

    path = tmp_path / "grants.csv"
    path.write_text("Identifier, Identifier,Title ,,\n,360G-1,a,,\n360G-2,360G-2,b,,\n360G-3,360G-X,c,,\n")
    frame = read_csv_text(path, "funding/grants.csv", judge_rows=True)
    assert frame.columns == ["source_row", "Identifier", "Title", "column 4", "column 5", "read_problem"]
    assert frame.select("Identifier", "read_problem").rows() == [
        ("360G-1", None), ("360G-2", None),  # the blank copy passed over; copies that agree
        ("360G-3", "column 'Identifier' appears 2 times, with different values in this row; expected the title once")]
    with pytest.raises(SourceError, match="has 2 columns titled 'Identifier'; expected each title once"):
        read_csv_text(path, "reference/lookup.csv")  # a lookup is read whole or not at all


@pytest.mark.parametrize(("value", "shown"), [
    ("-5.0", "'-5.0'"), ("2025-02-30", "'2025-02-30'"), ("Zoë's Place", None), ("£1,234.50", "'£1,234.50'"),
    ("Value of grants awarded (£)", "'Value of grants awarded (£)'"), ("Recipient Org:Identifier", "'Recipient Org:Identifier'"),
    ("<img src=x onerror=alert(1)>", None), ("[a](https://evil.example/)", None), ("![p](x.png)", None),
    (":red[red]", None), ("$x^2$", None), ("https://evil.example/", None), ("www.evil.example", None),
    ("jo.bloggs@example.org", None), ("a_b_", None), ("line\nbreak", None), ("x" * 61, None), ("x" * 60, "'" + "x" * 60 + "'"),
    ("=HYPERLINK(1)", None), ("+SUM(A1)", None), ("`code`", None), ("**bold**", None), ("'quoted'", None),
])
def test_a_message_quotes_a_value_only_when_it_is_short_and_plain(value: str, shown: str | None) -> None:
    import polars as pl

    from etl.normalise import NOT_QUOTED, quoted, quoted_expr

    assert quoted(value) == (shown or NOT_QUOTED)
    assert pl.select(quoted_expr(pl.lit(value))).item() == (shown or NOT_QUOTED)  # the same rule in polars


@pytest.mark.parametrize(("read", "name"), [(funding.read, "funding/grants.csv"), (issues.read, "issues/events.csv")])
def test_a_reader_failing_in_a_way_nobody_foresaw_says_what_was_expected(tmp_path: Path, monkeypatch, read, name) -> None:
    """The error's own text may quote the file: a public source's is passed on only when plain, a confidential
    source's never."""
    from etl.sources import files

    path = tmp_path / "file.csv"
    path.write_text("a,b\n1,2\n")
    for module in (funding, issues):
        monkeypatch.setattr(module, "read_csv_text", lambda *args, **kwargs: (_ for _ in ()).throw(ValueError(f"bad cell {CONTACT!r}")))
    message = _refusal(read, path, name)
    assert message.startswith(f"{name}: could not be read (ValueError); expected ")
    monkeypatch.setattr(files, "_short", lambda error: "plain words")  # a plain message is passed on for a public source
    assert "(plain words)" in _refusal(funding.read, path, "funding/grants.csv")
    assert "(ValueError)" in _refusal(issues.read, path, "issues/events.csv")


# a file's lines, of plain and quoted fields, blank lines, spaces, quotes out of place and every line ending
_CSV_PIECES = ["a", "b c", " ", ",", ";", "\t", "|", '"', '""', '"x,y"', '"p ""q"""', "\n", "\r\n", "\r", "\x1c", "é"]


_CSV_FIELDS = ["", "a", " ", "b c", '"x,y"', '"x;y"', '"p ""q"""', '""', '" "', "é", "\x1c", '"', ' "a"', '"a" ', "|", "\t"]
_CSV_FILES = st.one_of(
    st.lists(st.sampled_from(_CSV_PIECES), min_size=1, max_size=40).map("".join),  # anything
    st.tuples(st.lists(st.lists(st.sampled_from(_CSV_FIELDS), min_size=0, max_size=4), min_size=1, max_size=8),
              st.sampled_from([",", ";", "\t", "|"]), st.sampled_from(["\n", "\r\n"]), st.booleans())
    .map(lambda f: f[2].join(f[1].join(line) for line in f[0]) + (f[2] if f[3] else "")))  # lines of fields


@given(text=_CSV_FILES, delimiter=st.sampled_from([",", ";", "\t", "|"]), block=st.sampled_from([1, 7, files.LINE_BLOCK_CHARS]))
@settings(max_examples=1000, deadline=None)
def test_a_csv_read_a_line_at_a_time_reads_as_the_csv_module_reads_it(text: str, delimiter: str, block: int) -> None:
    """Files in which every line is a whole record are read by polars a line at a time (files._records_by_line), in
    blocks of lines (here of any size): each record's line, width and blankness, and the header, are the csv module's,
    or the file is left to the csv module."""
    default, files.LINE_BLOCK_CHARS = files.LINE_BLOCK_CHARS, block
    try:
        by_line = files._records_by_line(text, delimiter)
    finally:
        files.LINE_BLOCK_CHARS = default
    starts, widths, blank, header = [], [], [], []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    line = 1
    for row in reader:
        header = header if starts else row
        starts.append(line)
        widths.append(len(row))
        blank.append(not any(cell.strip() for cell in row))
        line = reader.line_num + 1
    if by_line is not None:
        assert (by_line[0].to_dict(as_series=False), by_line[1]) == ({"start": starts, "width": widths, "blank": blank}, header)
    if text and all(piece not in text for piece in ('"', "\r", "\x00")):  # no quote, no \r: read a line at a time
        assert by_line is not None


def test_a_large_csv_is_read_a_line_at_a_time_and_a_quoted_line_break_by_the_csv_module() -> None:
    plain = 'Identifier,Title\n360G-1,"Grant, for ""youth"" work"\n\n , \n360G-2,Other\n'
    records, header = files._records_by_line(plain, ",")
    assert records.to_dict(as_series=False) == {"start": [1, 2, 3, 4, 5], "width": [2, 2, 0, 2, 2],
                                                "blank": [False, False, True, True, False]}
    assert header == ["Identifier", "Title"]
    assert files._records_by_line('Identifier,Title\n360G-1,"two\nlines"\n', ",") is None
    records, header = files._records(' Identifier,Title\n360G-1,"two\nlines"\n360G-2,x\n', ",", "f.csv")
    assert records.to_dict(as_series=False) == {"start": [1, 2, 4], "width": [2, 2, 2], "blank": [False, False, False]}
    assert header == [" Identifier", "Title"]

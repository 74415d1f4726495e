"""The pure normalisation functions of etl/normalise.py, each on tiny frames."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from data_contracts import load_contract
from etl import normalise as n
from etl import reference

D = dt.date


def one(expr: pl.Expr, value, dtype=pl.Utf8):
    """The result of an expression over a one-row frame whose column `v` holds `value` (as a reader gives it)."""
    return n.as_read(pl.DataFrame({"v": [value]}, schema={"v": dtype})).select(expr.alias("out"))["out"][0]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("£1,234.50", 1234.5),
        ("1234.5", 1234.5),
        (" 1 234 ", 1234.0),
        ("GBP 500", 500.0),
        ("£ 12", 12.0),
        ("1,234,567.89", 1234567.89),
        ("-250", -250.0),
        ("0", 0.0),
        ("abc", None),
        ("", None),
        ("12 pounds", None),
        (None, None),
    ],
)
def test_amount(text, expected) -> None:
    assert one(n.amount("v"), text) == expected


CONVENTIONS = ("point", "comma-grouped", "comma", "none", "mixed")


@pytest.mark.parametrize(
    ("text", "readings"),
    [  # each value read in a file of each convention: point, comma-grouped, comma, none, mixed (None: in doubt)
        ("1234.5", (1234.5, None, None, 1234.5, 1234.5)),
        ("1,234.50", (1234.5, None, None, 1234.5, 1234.5)),
        ("1234,56", (None, 1234.56, 1234.56, None, None)),
        ("12,5", (None, 12.5, 12.5, None, None)),
        ("1.000,50", (None, 1000.5, 1000.5, None, None)),
        ("1,500", (1500.0, 1.5, None, 1500.0, None)),  # fifteen hundred the UK way, unless the file says otherwise
        ("1.500", (1.5, 1500.0, None, None, None)),  # in doubt unless the file says
        ("1,234,567", (1234567.0, None, None, 1234567.0, 1234567.0)),
        ("1.234.567", (None, 1234567.0, 1234567.0, None, None)),
        ("£ 250", (250.0, 250.0, 250.0, 250.0, 250.0)),
        (" 1 234 567 ", (1234567.0,) * 5),  # spaces between groups of three
        ("1\u00a0234,56", (None, 1234.56, 1234.56, None, None)),  # a no-break space, as French exports group
        ("5000 2500", (None,) * 5),  # two numbers, not one
        ("£1,000 £250", (None,) * 5),
        ("NaN", (None,) * 5),
        ("inf", (None,) * 5),
        ("-Infinity", (None,) * 5),
        ("1e30", (None,) * 5),
        ("1E+05", (None,) * 5),
        ("99999999999999999999", (None,) * 5),  # beyond MAX_NUMBER
        ("0x10", (None,) * 5),
    ],
)
def test_amount_by_the_files_convention(text, readings) -> None:
    frame = pl.DataFrame({"v": [text] * len(CONVENTIONS), "convention": CONVENTIONS})
    assert tuple(frame.select(n.amount("v", "convention"))["v"].to_list()) == readings


@pytest.mark.parametrize(
    ("values", "convention"),
    [
        (["1234,56", "99,5", "12"], "comma"),  # only a decimal comma reads 1234,56
        (["1.000,50", "12"], "comma-grouped"),  # and points group its thousands
        (["12,5", "1.234.567"], "comma-grouped"),
        (["12.5", "1,500"], "point"),
        (["1,500", "2,750"], "none"),  # nothing settles it
        (["1.500", "5000"], "none"),
        (["1,234.50", "12,5"], "mixed"),
        (["5000", "250"], "none"),
        ([None, ""], "none"),
    ],
)
def test_a_files_number_convention_is_decided_from_all_its_numbers(values, convention) -> None:
    half = len(values) // 2
    parts = [(pl.DataFrame({"a": values[:half] or [None]}, schema={"a": pl.Utf8}), ["a"]),
             (pl.DataFrame({"b": values[half:] or [None], "text": "x"}, schema={"b": pl.Utf8, "text": pl.Utf8}), ["b"])]
    assert n.number_convention(parts) == convention


def test_a_number_read_two_ways_is_quarantined_with_both_readings() -> None:
    fields = load_contract("funding").dataset("grants").fields
    text = {f.name: [None] * 4 for f in fields}
    text["amount_awarded"] = ["12,5", "1.000,50", "1,500", "1.500"]
    frame = n.as_read(pl.DataFrame(text, schema={f.name: pl.Utf8 for f in fields})).with_columns(pl.lit("point").alias("c"))
    problems = frame.select(n.parse_problems(fields, convention="c").alias("p"))["p"].to_list()
    assert problems[0] == ("Amount Awarded: '12,5' can be read as 12.5 (with a decimal comma) or 125.0 (with a decimal "
                           "point), and no other number in the file settles which; expected a number with a decimal "
                           "point, as the file's other numbers are written")
    assert problems[1].startswith("Amount Awarded: '1.000,50' can be read as 1000.5 (with a decimal comma) or 1.0005 ")
    assert problems[2:] == [None, None]  # fifteen hundred and one and a half, the file's way
    doubtful = frame.with_columns(pl.lit("comma").alias("c")).select(n.parse_problems(fields, convention="c").alias("p"))
    assert doubtful["p"].to_list()[:2] == [None, None]
    assert doubtful["p"][2].startswith("Amount Awarded: '1,500' can be read as 1.5 (with a decimal comma) or 1500.0 ")
    assert doubtful["p"][3].startswith("Amount Awarded: '1.500' can be read as 1500.0 (with a decimal comma) or 1.5 ")


def test_amount_of_a_numeric_column() -> None:
    assert one(n.amount("v"), 42.5, pl.Float64) == 42.5


@pytest.mark.parametrize(
    ("text", "expected", "dmy"),
    [
        ("2025-06-01", D(2025, 6, 1), None),
        ("2025-06-01T00:00:00+00:00", D(2025, 6, 1), None),
        ("2025-06-01T13:45:00", D(2025, 6, 1), None),
        ("01/06/2025", D(2025, 6, 1), "dmy"),  # day first: 1 June, not 6 January
        ("06/01/2025", D(2025, 1, 6), "dmy"),
        (" 1/6/2025 ", D(2025, 6, 1), "dmy"),
        ("31/12/2025", D(2025, 12, 31), "dmy"),
        ("2025-13-01", None, None),
        ("31/02/2025", None, "dmy"),  # shaped like a date, not one: still null
        ("garbage", None, None),
        ("2025-06-01garbage", None, None),  # the whole text must be the date
        ("2025-06-01T25:61:00", None, None),  # and a time with it must exist
        ("2025-06-01 and later", None, None),
        ("01/06/2025x", None, None),
        ("", None, None),
        (None, None, None),
    ],
)
def test_date_and_the_format_used(text, expected, dmy) -> None:
    assert one(n.date("v"), text) == expected
    assert one(n.date_format_used("v"), text) == dmy


@pytest.mark.parametrize(
    ("text", "expected"),
    [("Yes", True), ("y", True), ("TRUE", True), ("t", True), ("1", True), (" yes ", True),
     ("No", False), ("n", False), ("False", False), ("F", False), ("0", False),
     ("maybe", None), ("", None), ("2", None), (None, None)],
)
def test_boolean(text, expected) -> None:
    assert one(n.boolean("v"), text) is expected


@pytest.mark.parametrize(("text", "expected"), [("  a b  ", "a b"), ("x", "x"), ("", None), ("   ", None), (None, None)])
def test_text(text, expected) -> None:
    assert one(n.text("v"), text) == expected


@pytest.mark.parametrize(
    ("identifier", "charity", "company", "expected"),
    [
        ("GB-CHC-1234567", None, None, "GB-CHC-1234567"),
        ("gb-chc-1234567", None, None, "GB-CHC-1234567"),  # the prefix is upper-cased
        (" gb-coh-sc123456 ", None, None, "GB-COH-sc123456"),  # trimmed; only the prefix changes case
        ("360G-CG-000001", None, None, "360G-CG-000001"),  # not a two-part letters prefix: kept as given
        ("GB-CHC-1111111", "2222222", "03333333", "GB-CHC-1111111"),  # a given id wins
        (None, "1234567", None, "GB-CHC-1234567"),
        ("", "212345", None, "GB-CHC-212345"),
        (None, "SC012345", None, "GB-SC-SC012345"),
        (None, " sc012345 ", None, "GB-SC-SC012345"),
        (None, "NIC100123", None, "GB-NIC-100123"),
        (None, "NI100123", None, "GB-NIC-100123"),
        (None, None, "1234567", "GB-COH-01234567"),  # leading zeros restored to 8 characters
        (None, None, "01234567", "GB-COH-01234567"),
        (None, None, "SC123456", "GB-COH-SC123456"),
        (None, "1234567", "01234567", "GB-CHC-1234567"),  # charity number before company number
        (None, "12345", "01234567", "GB-COH-01234567"),  # too short for a charity number: the company's
        (None, "not a number", None, None),
        (None, None, None, None),
    ],
)
def test_org_id(identifier, charity, company, expected) -> None:
    frame = pl.DataFrame({"id": [identifier], "charity": [charity], "company": [company]}, schema={
        "id": pl.Utf8, "charity": pl.Utf8, "company": pl.Utf8})
    assert frame.select(n.org_id("id", "charity", "company"))["id"][0] == expected


def test_org_id_without_numbers_only_normalises_the_given_id() -> None:
    frame = pl.DataFrame({"id": ["gb-chc-1", None, "  "]})
    assert frame.select(n.org_id("id"))["id"].to_list() == ["GB-CHC-1", None, None]


BODY_NAMES = [
    ("DCMS", "DCMS"),
    ("dcms", "DCMS"),
    ("Department for Culture, Media and Sport", "DCMS"),
    ("  department for culture,   media and SPORT ", "DCMS"),  # case and spacing ignored
    ("Office for Civil Society", "DCMS"),  # an alias
    ("GB-GOR-D5", "DCMS"),  # its org-id
    ("DHSC", "DHSC"),
    ("DEPT. FOR CULTURE, MEDIA & SPORT", "DCMS"),  # '&' for 'and', 'Dept.' for 'Department'
    ("Department for Energy Security & Net Zero", "DESNZ"),
    ("Dept for Energy Security and Net Zero", "DESNZ"),
    ("Ministry of Magic", None),
    ("", None),
    (None, None),
]


def test_body_codes() -> None:
    frame = pl.DataFrame({"row": range(len(BODY_NAMES)), "body": [b for b, _ in BODY_NAMES]})
    out = n.body_codes(frame, "body")
    assert out.height == frame.height  # unknown names are kept, never dropped or duplicated
    assert out.columns == ["row", "body", "body_code"]
    assert dict(out.select("row", "body_code").iter_rows()) == {i: code for i, (_, code) in enumerate(BODY_NAMES)}


def test_body_codes_resolve_every_body_by_its_name_written_the_way_publishers_abbreviate_it() -> None:
    bodies = reference.load("public_bodies")
    # as the demo's "funder_alias" defect writes them: 'and' -> '&', 'Department' -> 'Dept.', upper case
    written = bodies.select(
        "code",
        pl.col("name").str.replace(" and ", " & ").str.replace("Department", "Dept.", literal=True).str.to_uppercase().alias("name"),
    )
    out = n.body_codes(written, "name", "found")
    assert out.height == bodies.height
    assert out.filter(pl.col("found").is_null() | (pl.col("found") != pl.col("code"))).rows() == []


def test_body_codes_on_a_lazy_frame_into_a_named_column() -> None:
    lazy = pl.LazyFrame({"funder": ["DCMS", "Nobody"]})
    out = n.body_codes(lazy, "funder", into="funder_code")
    assert isinstance(out, pl.LazyFrame)
    assert dict(out.collect().iter_rows()) == {"DCMS": "DCMS", "Nobody": None}


@pytest.mark.parametrize(
    ("income", "band"),
    [
        (0.0, "micro"),
        (9999.99, "micro"),
        (10000.0, "small"),
        (99999.99, "small"),
        (100000.0, "medium"),
        (500000.0, "medium"),
        (999999.0, "medium"),
        (1000000.0, "large"),
        (9999999.0, "large"),
        (10000000.0, "major"),
        (99999999.0, "major"),
        (100000000.0, "super_major"),
        (2e9, "super_major"),
        (None, "unknown"),
        (-5.0, "unknown"),
    ],
)
def test_size_band(income, band) -> None:
    assert one(n.size_band("v"), income, pl.Float64) == band


@pytest.mark.parametrize(
    ("income", "smaller"),
    [(500000.0, True), (499999.99, True), (0.0, True), (500000.01, False), (500001.0, False), (None, None)],
)
def test_smaller_organisation(income, smaller) -> None:
    assert one(n.smaller_organisation("v"), income, pl.Float64) is smaller


SMALL_AREAS = pl.DataFrame({"small_area_code": ["E01090001", "W01090002"], "district_code": ["E06000002", "W06000015"]})


@pytest.mark.parametrize(
    ("code", "code_type", "district", "repair"),
    [
        ("E08000025", "MD", "E08000025", None),  # Birmingham, already right
        ("e08000025 ", "MD", "E08000025", None),  # case and spaces
        ("MD", "E08000025", "E08000025", "swapped"),  # code and type the wrong way round
        ("E01090001", "LSOA", "E06000002", "small_area"),  # via the lookup
        ("W01090002", "LSOA", "W06000015", "small_area"),
        ("E08000016", "MD", "E08000038", "former_code"),  # Barnsley's pre-2024 code
        ("E08000019", "MD", "E08000039", "former_code"),  # Sheffield's
        ("MD", "E08000016", "E08000038", "former_code"),  # swapped and former: the last repair is named
        ("E99999999", "LAD", None, None),  # well formed, unknown
        ("E12000001", "RGN", None, None),  # a region, not a district
        ("E01099999", "LSOA", None, None),  # a small area not in the lookup
        ("nonsense", "LAD", None, None),
        (None, None, None, None),
    ],
)
def test_repair_geocodes(code, code_type, district, repair) -> None:
    frame = pl.DataFrame({"code": [code], "type": [code_type]}, schema={"code": pl.Utf8, "type": pl.Utf8})
    out = n.repair_geocodes(frame, "code", "type", SMALL_AREAS)
    assert out.columns == ["code", "type", "geocode_repair", "district_code"]  # inputs kept as sent
    assert out.row(0) == (code, code_type, repair, district)


def test_repair_geocodes_keeps_every_row_on_a_lazy_frame_without_a_lookup() -> None:
    frame = pl.LazyFrame({"row": [1, 2, 3], "code": ["E01090001", "E08000016", "E08000016"], "type": ["LSOA", "MD", "MD"]})
    out = n.repair_geocodes(frame, "code", "type").collect().sort("row")
    assert out["district_code"].to_list() == [None, "E08000038", "E08000038"]
    assert out["geocode_repair"].to_list() == [None, "former_code", "former_code"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-06-01T09:30:00", dt.datetime(2025, 6, 1, 9, 30)),
        ("2025-06-01 09:30:00", dt.datetime(2025, 6, 1, 9, 30)),
        ("2025-06-01T09:30", dt.datetime(2025, 6, 1, 9, 30)),
        ("01/06/2025 09:30", dt.datetime(2025, 6, 1, 9, 30)),
        ("2025-06-01", dt.datetime(2025, 6, 1)),
        ("01/06/2025", dt.datetime(2025, 6, 1)),
        ("soon", None),
        (None, None),
        # a time with a zone is that instant in UK local time (BST in June, GMT in January)
        ("2025-06-01T10:30:00+02:00", dt.datetime(2025, 6, 1, 9, 30)),
        ("2025-06-01T10:30:00Z", dt.datetime(2025, 6, 1, 11, 30)),
        ("2025-01-15T10:30:00.250-05:00", dt.datetime(2025, 1, 15, 15, 30)),
        ("2025-06-01T10:30:00+0530", dt.datetime(2025, 6, 1, 6, 0)),
        ("2025-06-01T09:30:00garbage", None),
        ("2025-08-01T25:00:00", None),  # no such time: not the day alone either
        ("2025-07-28T10:00:00+99:99", None),  # no such offset
        ("2025-07-28T10:00:00+23:00", None),  # offsets end at ±14:00
        ("2025-06-01 09:30 tomorrow", None),
    ],
)
def test_timestamp(text, expected) -> None:
    assert one(n.timestamp("v"), text) == expected


@pytest.mark.parametrize(
    ("text", "instant", "problem"),
    [
        ("2025-06-01T09:30:00", dt.datetime(2025, 6, 1, 8, 30), None),  # summer time: an hour ahead of UTC
        ("2025-01-15T09:30:00", dt.datetime(2025, 1, 15, 9, 30), None),
        ("2025-06-01", dt.datetime(2025, 5, 31, 23, 0), None),
        ("2025-10-26T01:30:00+01:00", dt.datetime(2025, 10, 26, 0, 30), None),  # the first 01:30 of the day
        ("2025-10-26T01:10:00+00:00", dt.datetime(2025, 10, 26, 1, 10), None),  # 40 minutes after it, at an earlier clock time
        ("2025-10-26T01:30:00", None, "t: 2025-10-26 01:30 is a time UK clocks show twice (the hour repeated when they go "
                                      "back in October), so it can be read as 00:30 UTC (summer time, +01:00) or 01:30 "
                                      "UTC (+00:00); expected the time with its zone"),
        ("2025-03-30T01:30:00", None, "t: 2025-03-30 01:30 is a time UK clocks skip (the hour lost when they go forward "
                                      "in March); expected a time that exists in the UK, or the time with its zone"),
        ("2025-03-30T01:30:00Z", dt.datetime(2025, 3, 30, 1, 30), None),  # with its zone it is an instant
        ("soon", None, None),  # not a time at all: parse_problems says so
    ],
)
def test_instant_orders_times_as_they_happened(text, instant, problem) -> None:
    assert one(n.instant("v"), text) == instant
    assert one(n.clock_problem("v", "t"), text) == problem
    if problem:
        assert "01:30" not in one(n.clock_problem("v", "t", quote=False), text)  # a confidential log's time is not written


@pytest.mark.parametrize(
    ("logical_type", "text", "expected"),
    [
        ("number", "£1,000.50", 1000.5),
        ("integer", "12", 12),
        ("integer", "1,200", 1200),
        ("integer", "12.5", None),  # not a whole number
        ("integer", "twelve", None),
        ("integer", "1e30", None),  # not a count: and never an error converting it
        ("integer", "1000000000000000019884624838656", None),
        ("integer", "NaN", None),
        ("date", "31/01/2026", D(2026, 1, 31)),
        ("boolean", "No", False),
        ("string", "  kept  ", "kept"),
    ],
)
def test_typed(logical_type, text, expected) -> None:
    assert one(n.typed("v", logical_type), text) == expected


def test_parse_problems_names_the_first_unreadable_field_and_its_value() -> None:
    fields = load_contract("funding").dataset("grants").fields
    text = {f.name: [None, None, None] for f in fields}
    text["amount_awarded"] = ["abc", "100", None]  # missing values are for the `required` checks, not this one
    text["award_date"] = ["2025-01-01", "soon", None]
    frame = n.as_read(pl.DataFrame(text, schema={f.name: pl.Utf8 for f in fields}))
    problems = frame.select(n.parse_problems(fields).alias("p"))["p"].to_list()
    assert problems[0].startswith("Amount Awarded: ") and "'abc'" in problems[0] and "number" in problems[0]
    assert problems[1].startswith("Award Date: ") and "'soon'" in problems[1]
    assert problems[2] is None


def test_an_issue_event_before_the_issue_was_raised_is_quarantined_and_reopening_is_not():
    import datetime as dt

    from etl.sources.issues import normalise as normalise_issue_events

    events = pl.DataFrame({
        "source_row": [2, 3, 4, 5],
        "event_id": ["a", "b", "c", "d"],
        "issue_ref": ["I1", "I1", "I1", "I2"],
        "event_type": ["raised", "resolved", "reopened", "resolved"],
        "occurred_at": ["2025-05-01T10:00:00", "2025-04-01T10:00:00", "2025-06-01T09:00:00", "2025-01-01T00:00:00"],
        "body": ["DCMS"] * 4, "principle": ["recognition"] * 4, "category": ["other"] * 4,
        "reporter_size_band": ["small"] * 4, "reporter_district": ["E08000038"] * 4,
    })
    problems = dict(normalise_issue_events(events, dt.date(2026, 1, 1)).select("event_id", "problem").iter_rows())
    assert problems == {
        "a": None,
        "b": "occurred_at: the time is before the issue was raised: events out of order; expected no event before the issue's raised event",
        "c": None,
        "d": None,  # an issue whose raised event is missing is kept; the mart flags it
    }


def test_a_date_read_both_ways_in_a_file_that_writes_month_first_is_quarantined_with_both_readings() -> None:
    fields = [f for f in load_contract("funding").dataset("grants").fields if f.name == "award_date"]
    dates = ["06/13/2025", "06/12/2025", "01/02/2025", "05/05/2025", "2025-06-12", "13/06/2025"]
    frame = pl.DataFrame({"award_date": dates})
    order = n.date_order([(frame, ["award_date"])])
    assert order == n.IN_DOUBT and n.date_order([(pl.DataFrame({"d": ["13/06/2025", "06/12/2025"]}), ["d"])]) == n.DAY_FIRST
    read = frame.with_columns(pl.lit(order).alias(n.DATE_ORDER)).pipe(n.as_read).select(
        n.typed("award_date", "date").alias("day"), n.parse_problems(fields).alias("why"))
    assert read["day"].to_list() == [None, None, None, dt.date(2025, 5, 5), dt.date(2025, 6, 12), dt.date(2025, 6, 13)]
    assert read["why"][1] == ("Award Date: '06/12/2025' can be read as 6 December 2025 (day first, the UK way) or 12 June "
                              "2025 (month first, as other dates in the file are written); expected dates written one way "
                              "(2025-06-01 is never in doubt)")
    assert read["why"][2].startswith("Award Date: '01/02/2025' can be read as 1 February 2025 (day first")
    assert read["why"][0].startswith("Award Date: '06/13/2025' is not a date")
    assert read["why"].to_list()[3:] == [None, None, None]
    # in a file that writes day first, the same date is 6 December, the UK way
    uk = pl.DataFrame({"award_date": ["06/12/2025"]}).pipe(n.as_read).select(n.typed("award_date", "date"))
    assert uk.item() == dt.date(2025, 12, 6)


def test_parse_problems_worked_out_once_per_distinct_value_are_those_of_every_row() -> None:
    """with_parse_problems (each field's distinct values, with their file's conventions) gives parse_problems' column,
    row for row, over rows of two files whose conventions differ and values that repeat across them."""
    fields = load_contract("funding").dataset("grants").fields
    text = {f.name: [None] * 8 for f in fields}
    text["amount_awarded"] = ["1,500", "1,500", "abc", "12,5", "#DIV/0!", "100", "1.500", None]
    text["award_date"] = ["06/12/2025", "06/12/2025", "2025-01-01", "soon", "13/06/2025", "06/13/2025", None, "2025-06-01"]
    text["title"] = ["x" * (n.MAX_TEXT_CHARS + 1), "t", "t", None, "t", "t", "t", "t"]
    frame = pl.DataFrame(text, schema={f.name: pl.Utf8 for f in fields}).with_columns(
        pl.Series("c", ["point", "comma"] * 4), pl.Series(n.DATE_ORDER, [n.IN_DOUBT, n.DAY_FIRST] * 4),
        pl.Series(n.READ_PROBLEM, [None, None, None, None, None, None, None, "the row has 3 cells; expected 30"]))
    every_row = frame.select(n.parse_problems(fields, convention="c", read=True).alias("p"))["p"].to_list()
    once_each = n.with_parse_problems(frame, "p", fields, convention="c", read=True)
    assert once_each.columns == [*n.as_read(frame).columns, "p"] and once_each["p"].to_list() == every_row
    assert every_row[0].startswith("Title: 100,001 characters; expected at most 100,000") and every_row[7] == "the row has 3 cells; expected 30"
    assert every_row[1].startswith("Amount Awarded: '1,500' can be read as 1.5 (with a decimal comma)")
    assert every_row[2].startswith("Amount Awarded: 'abc' is not a number") and every_row[4].startswith("Amount Awarded: the cell holds Excel's error")
    assert every_row[5].startswith("Award Date: '06/13/2025' is not a date") and every_row[6] is None


def test_a_value_read_once_per_distinct_value_is_read_as_it_is_row_by_row() -> None:
    """once_per_value reads each distinct (value, file's convention) once and gives every row its reading; it
    refuses to replace a column."""
    frame = pl.DataFrame({"amount": ["1,500", "1,500", "1.500", None, "£2,000", "1,500"],
                          n.NUMBER_CONVENTION: ["point", "comma", "comma", "point", "point", "point"]})
    read = n.once_per_value(frame, _read=n.amount("amount", n.NUMBER_CONVENTION))
    assert read.columns == ["amount", n.NUMBER_CONVENTION, "_read"]
    assert read["_read"].to_list() == frame.select(n.amount("amount", n.NUMBER_CONVENTION))["amount"].to_list()
    assert read["_read"].to_list() == [1500.0, None, None, None, 2000.0, 1500.0]  # '1,500' is in doubt in a comma file
    with pytest.raises(ValueError, match="would replace a column"):
        n.once_per_value(frame, amount=n.amount("amount", n.NUMBER_CONVENTION))


def test_a_value_too_long_is_emptied_and_its_row_given_the_reason_however_small_the_rest() -> None:
    """without_long_values passes a small frame over unread (its buffers cannot hold a long value) and still finds
    one long value among short ones."""
    titles = {"title": "Title", "description": "Description"}
    small = pl.DataFrame({"title": ["a", "b"], "description": ["c", None]})
    assert n.without_long_values(small, titles) is small
    long = pl.DataFrame({"title": ["a", "b"], "description": ["c", "é" * (n.MAX_TEXT_CHARS + 1)]})
    read = n.without_long_values(long, titles)
    assert read["description"].to_list() == ["c", None]
    assert read[n.READ_PROBLEM].to_list() == [None, "Description: 100,001 characters; expected at most 100,000"]

"""UK financial years (April to March) and quarters (Q1 = April to June)."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from etl import periods

D = dt.date


@pytest.mark.parametrize(
    ("day", "year", "quarter", "label"),
    [
        (D(2025, 3, 31), "2024-25", 4, "2024-25 Q4"),
        (D(2025, 4, 1), "2025-26", 1, "2025-26 Q1"),
        (D(2025, 6, 30), "2025-26", 1, "2025-26 Q1"),
        (D(2025, 7, 1), "2025-26", 2, "2025-26 Q2"),
        (D(2025, 7, 17), "2025-26", 2, "2025-26 Q2"),  # the Covenant's publication
        (D(2025, 9, 30), "2025-26", 2, "2025-26 Q2"),
        (D(2025, 10, 1), "2025-26", 3, "2025-26 Q3"),
        (D(2025, 12, 31), "2025-26", 3, "2025-26 Q3"),
        (D(2026, 1, 1), "2025-26", 4, "2025-26 Q4"),
        (D(2024, 2, 29), "2023-24", 4, "2023-24 Q4"),
        (D(2024, 4, 1), "2024-25", 1, "2024-25 Q1"),
        (D(1999, 4, 1), "1999-00", 1, "1999-00 Q1"),  # the century turns in the label
        (D(2000, 1, 1), "1999-00", 4, "1999-00 Q4"),
        (D(2009, 4, 1), "2009-10", 1, "2009-10 Q1"),
    ],
)
def test_financial_year_quarter_and_label(day: dt.date, year: str, quarter: int, label: str) -> None:
    assert periods.financial_year(day) == year
    assert periods.financial_quarter(day) == quarter
    assert periods.period_label(day) == label


@pytest.mark.parametrize(("day", "start"), [(D(2025, 3, 31), 2024), (D(2025, 4, 1), 2025), (D(2026, 1, 1), 2025)])
def test_financial_year_start(day: dt.date, start: int) -> None:
    assert periods.financial_year_start(day) == start


@pytest.mark.parametrize(("start", "label"), [(2024, "2024-25"), (2099, "2099-00"), (2005, "2005-06")])
def test_financial_year_label(start: int, label: str) -> None:
    assert periods.financial_year_label(start) == label


@pytest.mark.parametrize(
    ("start_year", "quarter", "first", "last"),
    [
        (2025, 1, D(2025, 4, 1), D(2025, 6, 30)),
        (2025, 2, D(2025, 7, 1), D(2025, 9, 30)),
        (2025, 3, D(2025, 10, 1), D(2025, 12, 31)),
        (2025, 4, D(2026, 1, 1), D(2026, 3, 31)),
        (2023, 4, D(2024, 1, 1), D(2024, 3, 31)),
        (2024, 1, D(2024, 4, 1), D(2024, 6, 30)),
    ],
)
def test_quarter_bounds(start_year: int, quarter: int, first: dt.date, last: dt.date) -> None:
    assert periods.quarter_bounds(start_year, quarter) == (first, last)
    # every day of the quarter is labelled with that quarter, and the days either side are not
    assert periods.period_label(first) == periods.period_label(last) == f"{periods.financial_year_label(start_year)} Q{quarter}"
    assert periods.period_label(first - dt.timedelta(days=1)) != periods.period_label(first)
    assert periods.period_label(last + dt.timedelta(days=1)) != periods.period_label(last)


def test_calendar_runs_from_the_baseline_to_the_quarter_containing_the_day() -> None:
    cal = periods.calendar(D(2026, 11, 25))
    assert cal["period"].to_list() == [
        "2024-25 Q1", "2024-25 Q2", "2024-25 Q3", "2024-25 Q4",
        "2025-26 Q1", "2025-26 Q2", "2025-26 Q3", "2025-26 Q4",
        "2026-27 Q1", "2026-27 Q2", "2026-27 Q3",
    ]
    assert cal.columns == ["period", "financial_year", "quarter", "first_day", "last_day", "return_due", "is_baseline", "after_covenant"]
    assert cal.row(0, named=True) == {
        "period": "2024-25 Q1", "financial_year": "2024-25", "quarter": 1, "first_day": D(2024, 4, 1),
        "last_day": D(2024, 6, 30), "return_due": D(2024, 7, 30), "is_baseline": True, "after_covenant": False,
    }
    assert cal.filter(pl.col("period") == "2025-26 Q4")["return_due"][0] == D(2026, 4, 30)  # 30 days after 31 March
    assert cal["last_day"][-1] == D(2026, 12, 31)
    assert cal["is_baseline"].to_list() == [True] * 4 + [False] * 7
    # published 17 July 2025: 2025-26 Q2 is the first quarter after the Covenant
    assert cal.filter("after_covenant")["period"][0] == "2025-26 Q2"
    assert cal["after_covenant"].sum() == 6
    # quarters follow each other without gaps
    assert all(b == a + dt.timedelta(days=1) for a, b in zip(cal["last_day"][:-1], cal["first_day"][1:]))


@pytest.mark.parametrize(
    ("last_day", "rows", "last_period"),
    [(D(2024, 4, 1), 1, "2024-25 Q1"), (D(2024, 6, 30), 1, "2024-25 Q1"), (D(2024, 7, 1), 2, "2024-25 Q2"),
     (D(2025, 3, 31), 4, "2024-25 Q4"), (D(2025, 4, 1), 5, "2025-26 Q1")],
)
def test_calendar_edges(last_day: dt.date, rows: int, last_period: str) -> None:
    cal = periods.calendar(last_day)
    assert cal.height == rows
    assert cal["period"][-1] == last_period


def test_calendar_before_the_baseline_is_empty_with_its_columns() -> None:
    cal = periods.calendar(D(2024, 3, 31))
    assert cal.height == 0
    assert cal.schema == periods.calendar(D(2025, 1, 1)).schema
    assert cal.columns[:3] == ["period", "financial_year", "quarter"]


def test_expressions_agree_with_the_python_functions() -> None:
    days = pl.date_range(D(2023, 1, 1), D(2028, 12, 31), "1d", eager=True).alias("day").to_frame()
    out = days.with_columns(
        periods.financial_year_expr("day").alias("fy"),
        periods.financial_quarter_expr("day").alias("q"),
    )
    assert out.height == 2192
    mismatches = [
        (day, fy, q) for day, fy, q in out.iter_rows()
        if (fy, q) != (periods.financial_year(day), periods.financial_quarter(day))
    ]
    assert mismatches == []
    assert out.schema["q"] == pl.Int8


def test_expressions_work_on_datetimes_and_keep_nulls() -> None:
    frame = pl.DataFrame({"at": [dt.datetime(2025, 3, 31, 23, 59), dt.datetime(2025, 4, 1, 0, 0), None]})
    out = frame.select(periods.financial_year_expr("at").alias("fy"), periods.financial_quarter_expr("at").alias("q"))
    assert out["fy"].to_list() == ["2024-25", "2025-26", None]
    assert out["q"].to_list() == [4, 1, None]

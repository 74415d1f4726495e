"""UK financial years (April to March, written 2025-26) and their quarters (Q1 = April to June)."""

from __future__ import annotations

import datetime as dt

import polars as pl

BASELINE_FINANCIAL_YEAR = "2024-25"
COVENANT_PUBLISHED = dt.date(2025, 7, 17)
RETURN_DUE_DAYS = 30  # a quarter's departmental return is due within 30 days of the quarter's end (the product's
# rule: the Covenant sets no deadline; a month is the usual deadline for departmental management information)


def financial_year_start(day: dt.date) -> int:
    """The calendar year in which the financial year containing `day` began."""
    return day.year if day.month >= 4 else day.year - 1


def financial_year_label(start_year: int) -> str:
    """2025 -> '2025-26'."""
    return f"{start_year}-{(start_year + 1) % 100:02d}"


def start_year(label: str) -> int:
    """'2025-26' -> 2025, the calendar year the financial year began in."""
    first, _, second = label.partition("-")
    year = int(first)
    if second != f"{(year + 1) % 100:02d}":
        raise ValueError(f"{label!r} is not a financial year written like 2025-26")
    return year


def baseline_start_year() -> int:
    """The calendar year the baseline financial year began in (2024): the calendar runs from it."""
    return start_year(BASELINE_FINANCIAL_YEAR)


def financial_year(day: dt.date) -> str:
    return financial_year_label(financial_year_start(day))


def financial_quarter(day: dt.date) -> int:
    """1 for April-June ... 4 for January-March."""
    return (day.month - 4) % 12 // 3 + 1


def period_label(day: dt.date) -> str:
    """'2025-26 Q2'."""
    return f"{financial_year(day)} Q{financial_quarter(day)}"


def quarter_bounds(start_year: int, quarter: int) -> tuple[dt.date, dt.date]:
    """First and last day of a financial quarter."""
    month = 4 + 3 * (quarter - 1)
    year = start_year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    first = dt.date(year, month, 1)
    next_month = month + 3
    next_first = dt.date(year + (next_month - 1) // 12, (next_month - 1) % 12 + 1, 1)
    return first, next_first - dt.timedelta(days=1)


CALENDAR_SCHEMA = {"period": pl.Utf8, "financial_year": pl.Utf8, "quarter": pl.Int64, "first_day": pl.Date,
                   "last_day": pl.Date, "return_due": pl.Date, "is_baseline": pl.Boolean, "after_covenant": pl.Boolean}


def calendar(last_day: dt.date, first_start_year: int | None = None) -> pl.DataFrame:
    """One row per financial quarter from the baseline year (or the year beginning in `first_start_year`) to the
    quarter containing `last_day`."""
    rows = []
    start_year, quarter = first_start_year or baseline_start_year(), 1
    while True:
        first, last = quarter_bounds(start_year, quarter)
        if first > last_day:
            break
        rows.append(
            {
                "period": f"{financial_year_label(start_year)} Q{quarter}",
                "financial_year": financial_year_label(start_year),
                "quarter": quarter,
                "first_day": first,
                "last_day": last,
                "return_due": last + dt.timedelta(days=RETURN_DUE_DAYS),
                "is_baseline": financial_year_label(start_year) == BASELINE_FINANCIAL_YEAR,
                "after_covenant": last >= COVENANT_PUBLISHED,
            }
        )
        start_year, quarter = (start_year, quarter + 1) if quarter < 4 else (start_year + 1, 1)
    return pl.DataFrame(rows, schema=CALENDAR_SCHEMA)  # the columns even when `last_day` is before the first year


def financial_year_expr(date_column: str) -> pl.Expr:
    """Polars expression: a date column -> its financial year label."""
    day = pl.col(date_column)
    start = pl.when(day.dt.month() >= 4).then(day.dt.year()).otherwise(day.dt.year() - 1)
    return pl.format("{}-{}", start, ((start + 1) % 100).cast(pl.Utf8).str.zfill(2))


def financial_year_problem_expr(column: str, shown: pl.Expr, as_of: dt.date | None = None) -> pl.Expr:
    """Why a financial year as written ('2025-27', '2031-32' before it has begun) is not one a return can cover, as a
    quarantine reason naming the field and the value as `shown` (quoted, or not shown); null when it is (a year of
    two consecutive calendar years, begun by `as_of`)."""
    label = pl.col(column).cast(pl.Utf8)
    first = label.str.slice(0, 4).cast(pl.Int64, strict=False)
    consecutive = label.str.contains(r"^\d{4}-\d{2}$") & (label.str.slice(5, 2) == ((first + 1) % 100).cast(pl.Utf8).str.zfill(2))
    begun = first <= (financial_year_start(as_of) if as_of else first)
    return (pl.when(label.is_null()).then(pl.lit(None, pl.Utf8))
            .when(~consecutive.fill_null(False)).then(pl.format(
                "Financial year: {} is not a financial year; expected two consecutive years, like 2025-26", shown))
            .when(~begun).then(pl.format("Financial year: {} has not begun; expected a year up to {}", shown,
                                         pl.lit(financial_year(as_of) if as_of else ""))))


def financial_quarter_expr(date_column: str) -> pl.Expr:
    return ((pl.col(date_column).dt.month().cast(pl.Int16) - 4) % 12 // 3 + 1).cast(pl.Int8)


def window(financial_year: str, quarter: int | None = None) -> dict:
    """A financial year or one of its quarters as a window of the query-time engine (warehouse/engine/figures.sql),
    whose quarters are numbered start year × 4 + quarter − 1."""
    first = start_year(financial_year) * 4
    if quarter is None:
        return {"window_name": financial_year, "period_level": "year", "financial_year": financial_year, "quarter": None,
                "first_index": first, "last_index": first + 3}
    return {"window_name": f"{financial_year} Q{quarter}", "period_level": "quarter", "financial_year": financial_year,
            "quarter": quarter, "first_index": first + quarter - 1, "last_index": first + quarter - 1}

"""Every published cell of every funding and returns indicator against an independent recomputation from the inbox.

tests/recompute.py reads the demo inbox's raw files (360Giving JSON, CSV and XLSX under funding/, the organisation
register, the return workbooks, the small-area lookup under reference/) with its own code, decides row by row which
rows count from the data contracts (required fields, formats, ranges, an identifier once per file, no award dated
after the data's date), and computes each indicator from its written definition. It never calls the warehouse SQL,
the indicators' formulas, the build, etl/normalise.py or the readers in etl/sources/, and it does not look up what the
build quarantined (every quarantine rule the demo exercises is reproduced there). It uses only the shipped reference
data (etl/reference, through its module) and the contracts' field titles.

For each indicator (sources funding and/or returns, not issues), every cell of marts.indicator_values (keyed by
indicator, period level, financial year, quarter, breakdown and breakdown code) must have a recomputed cell and every
recomputed cell a published one; in each, the value, numerator and denominator agree within 1e-9 relative, and
`lacking` agrees exactly (every indicator declares what it needs, so what lacking counts is defined for each).

Fixtures: the session's demo inbox and its built warehouse (tests/conftest.py: 3,000 awards, seed 7, 2% defects,
as of 25 November 2026).

The corrected definitions of #20 are recomputed as written: meetings held against committed counts every meeting
held over every meeting committed (a return committing to none adds its meetings held; lacking only where a field is
empty); the smaller-organisation share of those engaged counts lacking in different organisations. An indicator
counts only the bodies of the types it applies to (its declaration's applies_to).
"""

from __future__ import annotations

import polars as pl
import pytest

from tests import recompute
from tests.conftest import AS_OF, BuiltWarehouse, DemoInbox, table
from warehouse.indicators import indicators

RELATIVE = 1e-9
SHOWN = 8  # differing cells printed on failure

WANTED = sorted(i.id for i in indicators() if "issues" not in i.sources)


CASES = [pytest.param(indicator, id=indicator) for indicator in WANTED]


@pytest.fixture(scope="module")
def inbox(demo_inbox: DemoInbox) -> recompute.Inbox:
    return recompute.Inbox.read(demo_inbox.path, AS_OF)


@pytest.fixture(scope="module")
def published(built_warehouse: BuiltWarehouse) -> pl.DataFrame:
    return table(built_warehouse.database, """
        select indicator_id, period_level, financial_year, quarter::bigint as quarter, breakdown, breakdown_code,
               value, numerator, denominator, lacking
        from marts.indicator_values""")


def test_every_funding_and_returns_indicator_is_recomputed() -> None:
    assert sorted(recompute.INDICATORS) == WANTED
    declared = {i.id: i for i in indicators()}
    for indicator_id, spec in recompute.INDICATORS.items():
        assert spec.calculation == declared[indicator_id].calculation, indicator_id


def _close(a: str, b: str) -> pl.Expr:
    left, right = pl.col(a), pl.col(b)
    both_null = left.is_null() & right.is_null()
    near = (left - right).abs() <= RELATIVE * pl.max_horizontal(left.abs(), right.abs())
    return both_null | near.fill_null(False)


@pytest.mark.parametrize("indicator", CASES)
def test_published_cells_match_the_recomputation(indicator: str, inbox: recompute.Inbox, published: pl.DataFrame) -> None:
    keys = list(recompute.CELL_KEYS)
    theirs = published.filter(pl.col("indicator_id") == indicator)
    mine = recompute.recompute(inbox, indicator)
    assert theirs.height > 0, f"{indicator}: nothing published to compare"
    assert not theirs.select(keys).is_duplicated().any() and not mine.select(keys).is_duplicated().any()
    joined = (theirs.with_columns(pl.lit(True).alias("in_published"))
              .join(mine.with_columns(pl.lit(True).alias("in_recomputed")), on=keys, how="full", nulls_equal=True,
                    coalesce=True, suffix="_recomputed"))
    missing = joined.filter(pl.col("in_recomputed").is_null())
    extra = joined.filter(pl.col("in_published").is_null())
    agree = (_close("value", "value_recomputed") & _close("numerator", "numerator_recomputed")
             & _close("denominator", "denominator_recomputed")
             & (pl.col("lacking") == pl.col("lacking_recomputed")).fill_null(False))
    differ = joined.filter(pl.col("in_published") & pl.col("in_recomputed") & ~agree)
    problems = []
    columns = [*keys[1:], "value", "value_recomputed", "numerator", "numerator_recomputed", "denominator",
               "denominator_recomputed", "lacking", "lacking_recomputed"]
    with pl.Config(tbl_rows=SHOWN, tbl_cols=-1, tbl_width_chars=400, fmt_str_lengths=40):
        for name, rows in (("published but not recomputed", missing), ("recomputed but not published", extra),
                           ("differing", differ)):
            if rows.height:
                problems.append(f"{rows.height} of {joined.height} cells {name}, the first {min(SHOWN, rows.height)}:\n"
                                f"{rows.sort(keys, nulls_last=True).select(columns).head(SHOWN)}")
    assert not problems, f"{indicator}:\n" + "\n".join(problems)

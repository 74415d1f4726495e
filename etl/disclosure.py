"""Disclosure control for figures derived from issue logs, as government statistics do it.

A count from 1 to 4 in any published cell could identify a reporter (one small charity in one district raising one
issue about one council), so:

- **Primary suppression:** a cell (a period and a breakdown value) is suppressed when any class of its issues has
  from 1 to 4 members, a class being the issues that every issue indicator counts alike (raised and resolved late,
  raised and still open, ...). Every issue-derived figure of a cell (numerator, denominator, records lacking a
  field, their differences, and the same figures of the other issue indicators) is a sum of classes, so none can
  be from 1 to 4 once no class is. A cell is also suppressed when any figure it would publish is from 1 to 4.
- **Secondary suppression:** published cells add up: the cells of a breakdown to its "all" cell, quarters to their
  year, districts to their region, regions to their nation, public bodies to their type. Wherever such a sum has
  exactly one suppressed cell, it could be worked out by subtraction, so the smallest other non-zero cell of the
  sum is suppressed too; this repeats until no sum has exactly one.

Suppression is joint across the issue indicators: a cell is published for all of them or for none, so one
indicator's count cannot be recovered from another's. An indicator that counts only one cell of another breakdown
(issues about reprisal are one issue category) has that cell as its total. A suppressed cell keeps its row, with its
figures null and `suppressed` true; the dashboard and extracts show it as `[c]`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

import polars as pl

from warehouse.indicators import BREAKDOWNS

SMALLEST_SAFE = 5  # counts from 1 to SMALLEST_SAFE - 1 are suppressed

# (child breakdown, parent breakdown): each child cell's parent is read from the records, not assumed
HIERARCHIES = (("district", "region"), ("region", "nation"), ("public_body", "body_type"))
CELL = ("period_level", "financial_year", "quarter", "breakdown", "breakdown_code")

Key = tuple


def _at_risk(count: float | None) -> bool:
    return count is not None and 1 <= count < SMALLEST_SAFE


def checked_counts(row: dict, suppress: Iterable[str], calculation: str) -> list[float]:
    """The issue-derived counts a cell would publish: lacking, the declared numerator/denominator, their difference."""
    counts = [row["lacking"]] + [row[name] for name in suppress]
    if calculation == "share" and set(suppress) >= {"numerator", "denominator"} and None not in (row["numerator"], row["denominator"]):
        counts.append(row["denominator"] - row["numerator"])
    return [c for c in counts if c is not None]


def equations(keys: Iterable[Key], parents: dict[str, dict[str | None, set]],
              totals: dict[str, tuple[str, str]] | None = None) -> list[tuple[Key, list[Key]]]:
    """Every (total, parts) relation that holds between published cells; see the module docstring. `totals` names
    the total cell of a breakdown whose total is not the "all" cell (the breakdowns of an indicator counting within
    one cell of another)."""
    totals = totals or {}
    keys = sorted(set(keys), key=lambda k: tuple("" if v is None else str(v) for v in k))
    by_breakdown: dict[tuple, list[Key]] = defaultdict(list)
    quarters: dict[tuple, list[Key]] = defaultdict(list)
    for key in keys:
        level, year, quarter, breakdown, code = key
        by_breakdown[(level, year, quarter, breakdown)].append(key)
        if level == "quarter":
            quarters[("year", year, None, breakdown, code)].append(key)
    found: list[tuple[Key, list[Key]]] = []
    present = set(keys)
    for (level, year, quarter, breakdown), parts in by_breakdown.items():
        total = (level, year, quarter, *totals.get(breakdown, ("all", None)))
        if breakdown != "all" and total in present:
            found.append((total, parts))
        for child, parent in HIERARCHIES:
            suffix = breakdown[len(child):] if breakdown.startswith(child) else None
            if suffix is None or (suffix and breakdown not in totals):
                continue
            parent = parent + suffix
            groups: dict[str | None, list[Key]] = defaultdict(list)
            ambiguous: set[str | None] = set()
            for part in parts:
                owners = parents.get(child, {}).get(part[4], set())
                if len(owners) == 1:
                    groups[next(iter(owners))].append(part)
                else:
                    ambiguous |= owners
            for owner, members in groups.items():
                total = (level, year, quarter, parent, owner)
                if owner not in ambiguous and total in present:
                    found.append((total, members))
    found.extend((year_key, parts) for year_key, parts in quarters.items() if year_key in present)
    return found


def control(cells: pl.DataFrame, classes: pl.DataFrame, suppress: dict[str, tuple[str, ...]],
            calculations: dict[str, str], within: dict[str, tuple[str, str]],
            parents: dict[str, dict[str | None, set]]) -> pl.DataFrame:
    """Apply primary and secondary suppression to the cells of the issue-derived indicators.

    `cells` has the columns of warehouse/engine/cells.sql plus `indicator_id`; `classes` those of
    warehouse/engine/issue_classes.sql; `suppress` and `calculations` give, per indicator, its issue-derived counts
    and its calculation; `within` the (breakdown, code) cell an indicator's total is, for those that count one cell;
    `parents` maps a child breakdown's codes to the parent codes they were seen with (e.g.
    parents['district']['E08000038'] == {'E12000003'}).
    Returns `cells` with a `suppressed` column and the figures of suppressed cells set to null."""
    masked: set[Key] = set()
    weight: dict[Key, float] = defaultdict(float)
    for row in classes.iter_rows(named=True):
        key = tuple(row[c] for c in CELL)
        if _at_risk(row["issues"]):
            masked.add(key)
        weight[key] += row["issues"]
    joint_keys = []
    for row in cells.iter_rows(named=True):
        key = joint_key(tuple(row[c] for c in CELL), within.get(row["indicator_id"]))
        joint_keys.append(key)
        counts = checked_counts(row, suppress[row["indicator_id"]], calculations[row["indicator_id"]])
        if any(_at_risk(c) for c in counts):
            masked.add(key)
        weight[key] = max([weight[key], *counts])
    relations = equations(weight.keys(), parents, totals={sub_breakdown(b, w): w for w in set(within.values()) for b in BREAKDOWNS if b != "all"})
    changed = True
    while changed:
        changed = False
        for total, parts in relations:
            hidden = [k for k in (total, *parts) if k in masked]
            if len(hidden) != 1:
                continue
            candidates = [k for k in parts if k not in masked and weight[k] > 0]
            if candidates:
                masked.add(min(candidates, key=lambda k: weight[k]))
            elif total not in masked and weight[total] > 0:
                masked.add(total)
            else:
                continue
            changed = True
    out = cells.with_columns(pl.Series("suppressed", [k in masked for k in joint_keys], dtype=pl.Boolean))
    hide = pl.col("suppressed")
    denominator_hidden = pl.col("indicator_id").replace_strict(
        {i: "denominator" in names for i, names in suppress.items()}, default=True, return_dtype=pl.Boolean)
    return out.with_columns(
        pl.when(hide).then(None).otherwise(pl.col("value")).alias("value"),
        pl.when(hide).then(None).otherwise(pl.col("numerator")).alias("numerator"),
        pl.when(hide & denominator_hidden).then(None).otherwise(pl.col("denominator")).alias("denominator"),
        pl.when(hide).then(None).otherwise(pl.col("lacking")).alias("lacking"),
    )


def sub_breakdown(breakdown: str, within: tuple[str, str]) -> str:
    """The name of a breakdown of the issues within one cell of another, e.g. 'district of category=reprisal'."""
    return f"{breakdown} of {within[0]}={within[1]}"


def joint_key(key: Key, within: tuple[str, str] | None) -> Key:
    """Where a cell sits in the joint table: an indicator counting within one cell has that cell as its total."""
    if within is None:
        return key
    level, year, quarter, breakdown, code = key
    if breakdown == "all":
        return (level, year, quarter, within[0], within[1])
    return (level, year, quarter, sub_breakdown(breakdown, within), code)

"""An attacker with only the published warehouse, written apart from the build's own disclosure control
(etl/disclosure.py), from what docs/disclosure-control.md tells every reader.

It reads `marts.issue_figures` (each figure published, suppressed or withheld), the reference tables and the data's
date, writes down every relation the documentation states, works out what it can by peeling (an equation with one
unknown left) and then bounds every figure not published by linear programming (scipy's HiGHS): the least and the
most it can be. A count from 1 to 4 is disclosed when it comes out exactly, or within a range narrower than 5.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import polars as pl
from scipy.optimize import linprog
from scipy.sparse import coo_matrix

REPRISAL = "reprisal or self-censorship"
# the status classes of an issue (resolved or open, late or not) and the figures that add them up
SUMS = {"raised": ("ri", "rl", "oi", "ol"), "resolved": ("ri", "rl"), "open": ("oi", "ol"), "late": ("rl", "ol")}
NARROWEST = 5


@dataclass
class Published:
    """What the public database says of the issue figures."""

    figures: pl.DataFrame  # figure, period_level, financial_year, quarter, breakdown, breakdown_code, count, status
    medians: pl.DataFrame  # the published medians of days to resolve: the cell, the median and the count resolved
    body_types: dict[str, str | None]
    region_nations: dict[str, str]
    nations: list[str]
    as_of: dt.date


def read(database: Path) -> Published:
    con = duckdb.connect(str(database), read_only=True)
    try:
        figures = con.sql("select figure, period_level, financial_year, quarter, breakdown, breakdown_code, count, status "
                          "from marts.issue_figures").pl()
        medians = con.sql("""select period_level, financial_year, quarter, breakdown, breakdown_code, value as median,
                                    denominator as resolved from marts.indicator_values
                             where indicator_id = 'issues_median_days_to_resolve' and value is not null""").pl()
        bodies = con.sql("select code, body_type from reference.public_bodies").fetchall()
        regions = con.sql("select gss_code, nation_code from reference.localities where level = 'region'").fetchall()
        nations = [n for (n,) in con.sql("select gss_code from reference.localities where level = 'nation'").fetchall()]
        (as_of,) = con.sql("select max(as_of) from meta.builds").fetchall()[0]
    finally:
        con.close()
    return Published(figures, medians, dict(bodies), dict(regions), nations, as_of)


def _quarter_days(year: str, quarter: int | None) -> tuple[dt.date, dt.date]:
    first = int(year[:4])
    if quarter is None:
        return dt.date(first, 4, 1), dt.date(first + 1, 3, 31)
    month = 3 * quarter + 1
    start = dt.date(first + (month > 12), (month - 1) % 12 + 1, 1)
    month += 3
    end = dt.date(first + (month > 12), (month - 1) % 12 + 1, 1) - dt.timedelta(days=1)
    return start, end


@dataclass
class Model:
    """Unknowns: four class counts per cell of issues, one count per cell of reprisal issues."""

    columns: dict[tuple, int] = field(default_factory=dict)
    equal: list[tuple[dict[int, float], float]] = field(default_factory=list)
    at_most: list[tuple[dict[int, float], float]] = field(default_factory=list)  # sum <= bound

    def col(self, key: tuple) -> int:
        return self.columns.setdefault(key, len(self.columns))

    def figure(self, figure: str, cell: tuple) -> dict[int, float]:
        if figure == "reprisal":
            return {self.col(("reprisal", cell)): 1.0}
        return {self.col(("issues", cell, c)): 1.0 for c in SUMS[figure]}


def model(published: Published, year: str, group_rule: bool = True) -> tuple[Model, dict[tuple, tuple[dict[int, float], str, float | None]]]:
    """The attacker's equations for one financial year, and each figure as (coefficients, status, count). With
    `group_rule`, what the documented group withholding shows of a total is used too."""
    m = Model()
    rows = published.figures.filter(pl.col("financial_year") == year)
    figures = {}
    cells: dict[str, set] = defaultdict(set)
    for r in rows.iter_rows(named=True):
        cell = (r["period_level"], r["quarter"], r["breakdown"], r["breakdown_code"])
        fam = "reprisal" if r["figure"] == "reprisal" else "issues"
        cells[fam].add(cell)
        figures[(r["figure"], *cell)] = (m.figure(r["figure"], cell), r["status"], r["count"])
    for coefficients, status, count in figures.values():
        if status == "published":
            m.equal.append((coefficients, float(count)))
        else:
            m.at_most.append(({c: -v for c, v in coefficients.items()}, -1.0 if status == "suppressed" else 0.0))

    def add(fam: str, total: tuple, parts: list[tuple], group: bool = True) -> None:
        """total = the sum of parts, class by class; and, for a group, what group withholding shows of the total."""
        if total not in cells[fam] or not all(p in cells[fam] for p in parts):
            return
        classes = ("",) if fam == "reprisal" else SUMS["raised"]
        for c in classes:
            key = (lambda cell: ("reprisal", cell)) if fam == "reprisal" else (lambda cell, c=c: ("issues", cell, c))
            row = {m.col(key(total)): 1.0}
            for p in parts:
                row[m.col(key(p))] = row.get(m.col(key(p)), 0.0) - 1.0
            m.equal.append((row, 0.0))
        names = ("reprisal",) if fam == "reprisal" else tuple(SUMS)
        for name in names if group and group_rule and len(parts) > 1 else ():  # one part is its total: no group
            # a group's parts are withheld when its total is hidden or from 1 to its parts + 4: so a group with a part
            # not withheld has a total published, and of none or at least its parts + 5
            if any(figures[(name, *p)][1] != "withheld" for p in parts) and figures[(name, *total)][2] != 0:
                m.at_most.append(({c: -v for c, v in m.figure(name, total).items()}, -(len(parts) + 5.0)))

    for fam in ("issues", "reprisal"):
        by_period = defaultdict(lambda: defaultdict(list))
        for cell in cells[fam]:
            by_period[(cell[0], cell[1])][cell[2]].append(cell)
        for (level, quarter), breakdowns in by_period.items():
            total = (level, quarter, "all", None)
            for b, parts in breakdowns.items():
                if b != "all":
                    add(fam, total, parts)
            bodies = breakdowns.get("public_body", [])
            for t in breakdowns.get("body_type", []):
                add(fam, t, [b for b in bodies if published.body_types.get(b[3]) == t[3]])
            regions = breakdowns.get("region", [])
            for n in breakdowns.get("nation", []):
                inside = [r for r in regions if r[3] is not None and published.region_nations.get(r[3]) == n[3]]
                if inside:
                    add(fam, n, inside)
            if regions and breakdowns.get("nation"):
                with_regions = set(published.region_nations.values())
                outside = [n for n in breakdowns["nation"] if n[3] not in with_regions]
                add(fam, (level, quarter, "region", None), outside, group=False)
        quarters = [c for c in cells[fam] if c[0] == "quarter" and c[2] == "all"]
        if quarters:
            add(fam, ("year", None, "all", None), quarters)
    # what the definitions say of lateness, resolution and reprisal issues
    late_before = published.as_of - dt.timedelta(days=90)
    for cell in cells["issues"]:
        start, end = _quarter_days(year, cell[1])
        if end < late_before:
            m.equal.append(({m.col(("issues", cell, "oi")): 1.0}, 0.0))
        if start >= late_before:
            m.equal.append(({m.col(("issues", cell, "rl")): 1.0, m.col(("issues", cell, "ol")): 1.0}, 0.0))
    category = ("year", None, "category", REPRISAL)
    for cell in cells["reprisal"]:
        if cell in cells["issues"]:
            row = {m.col(("reprisal", cell)): 1.0} | {c: -1.0 for c in m.figure("raised", cell)}
            m.at_most.append((row, 0.0))
            if cell[0] == "year" and cell[2] != "all" and category in cells["issues"]:
                row = {m.col(("reprisal", cell)): -1.0}
                for sign, part in ((1.0, cell), (1.0, category), (-1.0, ("year", None, "all", None))):
                    for c in m.figure("raised", part):
                        row[c] = row.get(c, 0.0) + sign
                m.at_most.append((row, 0.0))
    # a median of days to resolve says on which side of 90 days at least half the resolved issues fall
    for r in published.medians.filter(pl.col("financial_year") == year).iter_rows(named=True):
        late = {m.col(("issues", (r["period_level"], r["quarter"], r["breakdown"], r["breakdown_code"]), "rl")): 1.0}
        resolved = int(r["resolved"])
        if r["median"] > 90:
            m.at_most.append(({c: -1.0 for c in late}, -float(-(-resolved // 2))))
        else:
            m.at_most.append((late, float(resolved // 2)))
    if ("year", None, "all", None) in cells["reprisal"] and category in cells["issues"]:
        row = {m.col(("reprisal", ("year", None, "all", None))): 1.0} | {c: -1.0 for c in m.figure("raised", category)}
        m.equal.append((row, 0.0))
    return m, figures


def _matrix(rows: list[tuple[dict[int, float], float]], width: int):
    if not rows:
        return None, None
    r, c, v = [], [], []
    for i, (coefficients, _) in enumerate(rows):
        for col, value in coefficients.items():
            r.append(i)
            c.append(col)
            v.append(value)
    return coo_matrix((v, (r, c)), shape=(len(rows), width)).tocsr(), np.array([b for _, b in rows])


def peel(figures: dict[tuple, tuple[dict[int, float], str, float | None]], m: Model) -> dict[tuple, float]:
    """Figures worked out exactly by equations with one unknown figure left, over figures (not classes): a total
    and its parts of one figure, and raised = resolved + open."""
    known = {k: float(c) for k, (_, s, c) in figures.items() if s == "published"}
    equations = []
    by_cell = defaultdict(dict)
    for key in figures:
        by_cell[key[1:]][key[0]] = key
    for cell, names in by_cell.items():
        if {"raised", "resolved", "open"} <= set(names):
            equations.append((names["raised"], [names["resolved"], names["open"]]))
    totals = defaultdict(list)
    for key in figures:
        figure, level, quarter, breakdown, code = key
        if breakdown != "all":
            totals[(figure, level, quarter, "all", None, breakdown)].append(key)
    for (figure, level, quarter, _, _, _), parts in totals.items():
        equations.append(((figure, level, quarter, "all", None), parts))
    found: dict[tuple, float] = {}
    changed = True
    while changed:
        changed = False
        for total, parts in equations:
            members = [total, *parts]
            if any(k not in figures for k in members):
                continue
            unknown = [k for k in members if k not in known]
            if len(unknown) != 1:
                continue
            target = unknown[0]
            value = known[total] - sum(known[p] for p in parts if p != target) if target != total else sum(known[p] for p in parts)
            known[target] = found[target] = value
            changed = True
    return found


def bounds(published: Published, year: str, wanted: set[tuple] | None = None,
           group_rule: bool = True) -> dict[tuple, tuple[float, float]]:
    """The least and most each figure not published (or each of `wanted`) can be, by linear programming."""
    m, figures = model(published, year, group_rule)
    width = len(m.columns)
    a_eq, b_eq = _matrix(m.equal, width)
    a_ub, b_ub = _matrix(m.at_most, width)
    out = {}
    for key, (coefficients, status, _) in figures.items():
        if status == "published" or (wanted is not None and key not in wanted):
            continue
        cost = np.zeros(width)
        for col, value in coefficients.items():
            cost[col] = value
        ends = []
        for sign in (1.0, -1.0):
            result = linprog(sign * cost, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
            if result.status == 3:  # unbounded
                ends.append(float("inf") if sign < 0 else float("-inf"))
            else:
                assert result.status == 0, f"{year}: the attacker's programme is not solvable ({result.message})"
                ends.append(sign * result.fun)
        out[key] = (ends[0], ends[1])
    return out


def disclosed(low: float, high: float) -> bool:
    """A range that pins a count: exact, or narrower than NARROWEST whole issues."""
    return high != float("inf") and np.floor(high + 1e-6) - np.ceil(low - 1e-6) < NARROWEST


# --- the truth, to judge the attack by (from the restricted issues; the attacker never sees it) -------------------

BREAKDOWN_COLUMNS = {"public_body": "body_code", "body_type": "body_type", "nation": "nation_code", "region": "region_code",
                     "size_band": "size_band", "principle": "principle", "category": "category"}


def true_counts(issues: pl.DataFrame, as_of: dt.date) -> dict[tuple, int]:
    """Every non-zero issue figure, counted straight from row-level issues (marts.issues) by the definitions:
    {(figure, financial_year, period_level, quarter, breakdown, code): count}."""
    kept = issues.filter(pl.col("status") != "withdrawn").with_columns(
        late=(pl.col("days_to_resolve") > 90).fill_null(False)
        | ((pl.col("status") == "open") & (pl.col("raised_on") < pl.lit(as_of - dt.timedelta(days=90)))))
    out = {}
    for level in ("year", "quarter"):
        for breakdown in ("all", *BREAKDOWN_COLUMNS):
            keys = ["financial_year"] + (["quarter"] if level == "quarter" else [])
            code = pl.lit(None, pl.Utf8) if breakdown == "all" else pl.col(BREAKDOWN_COLUMNS[breakdown])
            counted = kept.with_columns(code.alias("code")).group_by(*keys, "code").agg(
                raised=pl.len(), resolved=(pl.col("status") == "resolved").sum(), open=(pl.col("status") == "open").sum(),
                late=pl.col("late").sum(), reprisal=(pl.col("category") == REPRISAL).sum())
            for r in counted.iter_rows(named=True):
                for figure in ("raised", "resolved", "open", "late", "reprisal"):
                    if r[figure]:
                        out[(figure, r["financial_year"], level, r.get("quarter"), breakdown, r["code"])] = r[figure]
    return out


def disclosures(published: Published, truth: dict[tuple, int], group_rule: bool = True) -> list[tuple]:
    """Every count from 1 to 4 not published whose range the attacker narrows below NARROWEST: (key, true, low, high)."""
    found = []
    for year in sorted(published.figures["financial_year"].unique()):
        rows = published.figures.filter((pl.col("financial_year") == year) & (pl.col("status") != "published"))
        wanted = {(r["figure"], r["period_level"], r["quarter"], r["breakdown"], r["breakdown_code"]) for r in rows.iter_rows(named=True)
                  if 1 <= truth.get((r["figure"], year, r["period_level"], r["quarter"], r["breakdown"], r["breakdown_code"]), 0) <= 4}
        if not wanted:
            continue
        for key, (low, high) in bounds(published, year, wanted, group_rule).items():
            if disclosed(low, high):
                found.append(((key[0], year, *key[1:]), truth[(key[0], year, *key[1:])], low, high))
    return found

"""Disclosure control for the figures counted from issue logs, proven against an attacker who solves equations.

Reporters fear reprisal, and a count from 1 to 4 in any published cell could identify one. The figures an issue
indicator publishes are counts of issues (`FIGURES`): raised, resolved, still open and not resolved within 90 days,
for the whole country, each type of public body, public body, nation, region, reporter's size band, principle and
category, by financial year; for the whole country by quarter; and issues about reprisal by the same breakdowns but
principle and category. They add up in ways anyone can write down (`relations`): the cells of a breakdown add up to
the whole, the bodies of a type to the type, England's regions to England, the regions' "not known" cell to Wales,
Scotland, Northern Ireland and the nation "not known", quarters to their year, resolved and still open to raised;
the issues raised more than 90 days before the data's date and still open are all late.

The method, chosen for the people who read the figures (docs/disclosure-control.md says why):

1. **Group withholding.** The parts of a group (the parts of one total: the bodies of a type, the categories of the
   year's open issues) are withheld (`[c]`, may be zero) when its total is not published, or is published and from 1
   to its number of parts plus 4 (too thin to break down). The rule depends only on what is published, so it reveals
   nothing. (A total of one part is the same count as its part: it is no group.)
2. **Primary suppression.** Any other count from 1 to 4 is suppressed (`[c]`, reason "cell"). Zeros are published as
   zeros, and every cell has its row, so a suppressed cell means at least 1.
3. **Secondary suppression, checked by linear programming.** For every count from 1 to 4 that is not published, an
   attacker's linear programme finds the least and the most it could be, given every published figure, every
   relation above, and what each mark means (a suppressed cell is at least 1, a withheld one at least 0). Where the
   two are fewer than `PROTECTION` apart, the
   published figure that bounds it (a constraint with a non-zero dual value) is suppressed too, the least useful
   first (`TIERS`: a single body's figures before a category's, a status count before a count of issues raised), and
   the check is repeated; a figure suppressed withholds the parts of the groups it totals, and a count under two names
   (a type of one body is that body) is hidden under both. Suppressing a figure can only widen every other figure's
   range, so one pass suffices. Last, a secondary suppression that the published figures pin down anyway is
   published again.

Shares, medians and rates are published only where every count they rest on is; a median of days to resolve only
over 10 resolved issues or more, and where what it says of the count resolved late (at least, or at most, half of
them) narrows no small count: it is part of the attacker's programme.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from etl import periods
from warehouse import breakdowns as registry

SMALLEST_SAFE = 5  # counts from 1 to SMALLEST_SAFE - 1 are never published
PROTECTION = 5  # an attacker's range for such a count must be at least this wide
LATE_AFTER_DAYS = 90  # an issue is late when it goes more than this many days without being resolved

# the status classes of an issue raised and not withdrawn, and the figures that count them
CLASSES = ("resolved_in_time", "resolved_late", "open_in_time", "open_late")
FIGURES: dict[str, tuple[str, ...]] = {
    "raised": CLASSES,
    "resolved": ("resolved_in_time", "resolved_late"),
    "open": ("open_in_time", "open_late"),
    "late": ("resolved_late", "open_late"),
    "reprisal": (),  # issues raised about reprisal or self-censorship: its own family of cells (see `family`)
}
REPRISAL_CATEGORY = "reprisal or self-censorship"
# the median days to resolve a cell's resolved issues: not a count, but it says on which side of 90 days at least half
# of them fall, and so bounds the count resolved late; published only with the count of resolved issues
MEDIAN = "median"
FEWEST_FOR_MEDIAN = 10  # a median of fewer resolved issues is not published: over an odd number it is one issue's days
STATUSES = ("published", "suppressed", "withheld")  # withheld: a part of a group too thin to break down
CELL = ("period_level", "financial_year", "quarter", "breakdown", "breakdown_code")
STATUS_SCHEMA = {"figure": pl.Utf8, "period_level": pl.Utf8, "financial_year": pl.Utf8, "quarter": pl.Int32,
                 "breakdown": pl.Utf8, "breakdown_code": pl.Utf8, "count": pl.Int64, "status": pl.Utf8}


def family(figure: str) -> str:
    """Figures counting the same issues in the same cells: the four status counts, or the reprisal issues."""
    return "reprisal" if figure == "reprisal" else "issues"


@dataclass(frozen=True)
class Structure:
    """What a reader knows of the published issue figures: every code of each breakdown (its "not known" cell is
    added), the cell each code lies in (by the breakdown registry's parents: the type of each public body, the nation
    of each region), the breakdowns each family of figures is published by (by year; by quarter for the whole
    country only), the financial years, and the data's date."""

    codes: dict[str, tuple[str, ...]]
    parents: dict[str, dict[str, str | None]]  # breakdown -> its code -> the code of its parent breakdown's cell
    breakdowns: dict[str, tuple[str, ...]]  # family -> its breakdowns ("all" first)
    years: tuple[str, ...]
    as_of: dt.date
    quarterly: tuple[str, ...] = ("all",)

    @property
    def body_types(self) -> dict[str, str | None]:
        return self.parents.get("public_body", {})

    @property
    def region_nations(self) -> dict[str, str | None]:
        return self.parents.get("region", {})

    def cells(self, fam: str, year: str) -> list[tuple]:
        """Every published cell of a family in a financial year: (period_level, year, quarter, breakdown, code)."""
        out = [("year", year, None, b, c) for b in self.breakdowns[fam] for c in self._codes(b)]
        for quarter in self.quarters(year):
            out += [("quarter", year, quarter, b, c) for b in self.quarterly for c in self._codes(b)]
        return out

    def quarters(self, year: str) -> list[int]:
        """The quarters of a financial year that had begun by the data's date."""
        return [q for q in range(1, 5) if periods.quarter_bounds(periods.start_year(year), q)[0] <= self.as_of]

    def _codes(self, breakdown: str) -> list[str | None]:
        return [None] if breakdown == "all" else [*self.codes[breakdown], None]

    def period_bounds(self, level: str, year: str, quarter: int | None) -> tuple[dt.date, dt.date]:
        """The first and last day of a financial year or quarter."""
        first_year = periods.start_year(year)
        if level == "quarter":
            return periods.quarter_bounds(first_year, quarter)
        return periods.quarter_bounds(first_year, 1)[0], periods.quarter_bounds(first_year, 4)[1]


@dataclass
class Group:
    """A total and its parts, all cells of one family and period."""

    total: tuple
    parts: list[tuple]

    @property
    def key(self) -> tuple:
        """The group's name: its total, and what its parts are (a total has a group per breakdown)."""
        return (*self.total, self.parts[0][0], self.parts[0][3])


def relations(structure: Structure, fam: str, year: str) -> tuple[list[tuple[list[tuple], list[tuple]]], list[Group]]:
    """Every additive relation between a family's cells in a year, as (left cells, right cells) whose sums are equal,
    and the groups (a total and its parts) that group withholding applies to."""
    equal: list[tuple[list[tuple], list[tuple]]] = []
    groups: list[Group] = []
    periods_of = [("year", year, None)] + [("quarter", year, q) for q in structure.quarters(year)]
    for level, y, q in periods_of:
        breakdowns = structure.breakdowns[fam] if level == "year" else structure.quarterly
        total = (level, y, q, "all", None)
        for b in breakdowns:
            if b == "all":
                continue
            parts = [(level, y, q, b, c) for c in structure._codes(b)]
            equal.append(([total], parts))
            groups.append(Group(total, parts))
        for inner in registry.BREAKDOWNS:  # a cell and the cells of the breakdown inside it (a type and its bodies)
            if inner.parent is None or not {inner.key, inner.parent} <= set(breakdowns):
                continue
            inside = structure.parents[inner.key]
            if inner.covers_parent:  # every issue in a cell of the parent is in one of its cells ("not known" in "not known")
                for p in structure._codes(inner.parent):
                    parts = [(level, y, q, inner.key, c) for c in structure._codes(inner.key) if inside.get(c) == p]
                    equal.append(([(level, y, q, inner.parent, p)], parts))
                    if len(parts) > 1:  # a type of one body is that body: the same count, not a group
                        groups.append(Group((level, y, q, inner.parent, p), parts))
            else:  # parent cells with no cells inside (a nation with no regions) are its "not known" cell
                with_inner = sorted({p for p in inside.values() if p is not None})
                for p in with_inner:
                    parts = [(level, y, q, inner.key, c) for c in structure.codes[inner.key] if inside[c] == p]
                    equal.append(([(level, y, q, inner.parent, p)], parts))
                    if len(parts) > 1:
                        groups.append(Group((level, y, q, inner.parent, p), parts))
                elsewhere = [(level, y, q, inner.parent, p) for p in structure._codes(inner.parent) if p not in with_inner]
                equal.append(([(level, y, q, inner.key, None)], elsewhere))
    quarters = [("quarter", year, q, "all", None) for q in structure.quarters(year)]
    if quarters:
        equal.append(([("year", year, None, "all", None)], quarters))
        if len(quarters) > 1:
            groups.append(Group(("year", year, None, "all", None), quarters))
    return equal, groups


# --- the attacker's linear programme -------------------------------------------------------------------------------


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """HiGHS prints a banner to standard output the first time a solver is made."""
    saved = os.dup(1)
    with open(os.devnull, "w") as devnull:
        os.dup2(devnull.fileno(), 1)
        try:
            yield
        finally:
            os.dup2(saved, 1)
            os.close(saved)


@dataclass
class Programme:
    """One financial year's figures as a linear programme over unknown class counts: a column per status class of
    each cell of the issues family and per cell of the reprisal family; a row per figure (its bounds say what is
    published of it) and per relation."""

    structure: Structure
    year: str
    columns: dict[tuple, int] = field(default_factory=dict)  # (family, cell, class) -> column
    rows: list[tuple[list[int], list[float], float, float]] = field(default_factory=list)
    figure_rows: dict[tuple, int] = field(default_factory=dict)  # (figure, *cell) -> row

    def column(self, fam: str, cell: tuple, cls: str) -> int:
        return self.columns.setdefault((fam, cell, cls), len(self.columns))

    def figure_columns(self, figure: str, cell: tuple) -> list[int]:
        if figure == "reprisal":
            return [self.column("reprisal", cell, "issues")]
        return [self.column("issues", cell, c) for c in FIGURES[figure]]

    def add_row(self, columns: list[int], values: list[float], low: float, high: float) -> int:
        self.rows.append((columns, values, low, high))
        return len(self.rows) - 1


INF = float("inf")


def _bounds(status: str, value: float) -> tuple[float, float]:
    if status == "published":
        return value, value
    return (1.0, INF) if status == "suppressed" else (0.0, INF)


def median_bounds(median: float, resolved: int) -> tuple[float, float]:
    """What a published median of days to resolve `resolved` issues says of how many were resolved late (after
    LATE_AFTER_DAYS): over it, at least half of them; not over it, at most half."""
    if median > LATE_AFTER_DAYS:
        return float(-(-resolved // 2)), INF
    return 0.0, float(resolved // 2)


def programme(structure: Structure, year: str, figures: dict[tuple, int], status: dict[tuple, str]) -> Programme:
    """The attacker's programme for one year. `figures` and `status` are keyed (figure, *cell)."""
    lp = Programme(structure, year)
    for fam in ("issues", "reprisal"):
        names = [f for f in FIGURES if family(f) == fam]
        classes = CLASSES if fam == "issues" else ("issues",)
        for cell in structure.cells(fam, year):
            for cls in classes:
                lp.column(fam, cell, cls)
            for figure in names:
                key = (figure, *cell)
                low, high = _bounds(status[key], figures[key])
                cols = lp.figure_columns(figure, cell)
                lp.figure_rows[key] = lp.add_row(cols, [1.0] * len(cols), low, high)
        equal, _ = relations(structure, fam, year)
        for left, right in equal:
            for cls in classes:
                cols = [lp.column(fam, c, cls) for c in left] + [lp.column(fam, c, cls) for c in right]
                lp.add_row(cols, [1.0] * len(left) + [-1.0] * len(right), 0.0, 0.0)
    # issues raised more than 90 days before the data's date and still open are late; none raised within 90 days is
    as_of = structure.as_of
    for cell in structure.cells("issues", year):
        start, end = structure.period_bounds(cell[0], cell[1], cell[2])
        if end < as_of - dt.timedelta(days=LATE_AFTER_DAYS):
            lp.add_row([lp.column("issues", cell, "open_in_time")], [1.0], 0.0, 0.0)
        if start >= as_of - dt.timedelta(days=LATE_AFTER_DAYS):
            lp.add_row([lp.column("issues", cell, "resolved_late"), lp.column("issues", cell, "open_late")], [1.0, 1.0], 0.0, 0.0)
    # reprisal issues are some of the issues raised: in every cell they share, no more than those raised, and no
    # fewer than the cell's issues and the reprisal category's together leave over from all issues
    issue_cells = set(structure.cells("issues", year))
    for cell in structure.cells("reprisal", year):
        if cell in issue_cells:
            p = lp.column("reprisal", cell, "issues")
            raised = lp.figure_columns("raised", cell)
            lp.add_row([p, *raised], [1.0] + [-1.0] * len(raised), -INF, 0.0)
            if cell[0] == "year" and cell[3] != "all":
                category = lp.figure_columns("raised", ("year", year, None, "category", REPRISAL_CATEGORY))
                everything = lp.figure_columns("raised", ("year", year, None, "all", None))
                lp.add_row([p, *raised, *category, *everything], [1.0] + [-1.0] * (len(raised) + len(category)) + [1.0] * len(everything),
                           0.0, INF)
    for key in (k for k in figures if k[0] == MEDIAN):
        low, high = median_bounds(figures[key], figures[("resolved", *key[1:])]) if status[key] == "published" else (0.0, INF)
        lp.figure_rows[key] = lp.add_row([lp.column("issues", key[1:], "resolved_late")], [1.0], low, high)
    yearly = ("year", year, None, "all", None)
    if "category" in structure.breakdowns["issues"]:
        category = lp.figure_columns("raised", ("year", year, None, "category", REPRISAL_CATEGORY))
        lp.add_row([lp.column("reprisal", yearly, "issues"), *category], [1.0] + [-1.0] * len(category), 0.0, 0.0)
    return lp


class Solver:
    """HiGHS over one programme; the objective changes figure by figure, each solve warm-started from the last."""

    def __init__(self, lp: Programme) -> None:
        import highspy

        self.highspy = highspy
        with _quiet():
            self.h = highspy.Highs()
        self.h.setOptionValue("output_flag", False)
        self.h.setOptionValue("presolve", "off")
        model = highspy.HighsLp()
        model.num_col_, model.num_row_ = len(lp.columns), len(lp.rows)
        model.col_cost_ = np.zeros(model.num_col_)
        model.col_lower_ = np.zeros(model.num_col_)
        model.col_upper_ = np.full(model.num_col_, highspy.kHighsInf)
        inf = highspy.kHighsInf
        model.row_lower_ = np.array([-inf if r[2] == -INF else r[2] for r in lp.rows])
        model.row_upper_ = np.array([inf if r[3] == INF else r[3] for r in lp.rows])
        model.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
        model.a_matrix_.start_ = np.cumsum([0] + [len(r[0]) for r in lp.rows]).astype(np.int32)
        model.a_matrix_.index_ = np.array([c for r in lp.rows for c in r[0]], dtype=np.int32)
        model.a_matrix_.value_ = np.array([v for r in lp.rows for v in r[1]], dtype=float)
        self.h.passModel(model)
        self.lp, self.costed = lp, np.array([], dtype=np.int32)

    def set_status(self, key: tuple, status: str, value: float) -> None:
        low, high = _bounds(status, value) if key[0] != MEDIAN else (0.0, INF)  # a median is only ever hidden here
        self.h.changeRowBounds(self.lp.figure_rows[key], low, self.highspy.kHighsInf if high == INF else high)

    def extreme(self, key: tuple, maximise: bool) -> tuple[float, list[int]]:
        """The least or most a figure can be, and the rows with a non-zero dual value (those that bound it)."""
        columns = np.array(self.lp.figure_columns(key[0], key[1:]), dtype=np.int32)
        if self.costed.size:
            self.h.changeColsCost(self.costed.size, self.costed, np.zeros(self.costed.size))
        self.h.changeColsCost(columns.size, columns, np.full(columns.size, -1.0 if maximise else 1.0))
        self.costed = columns
        self.h.run()
        state = self.h.getModelStatus()
        if state == self.highspy.HighsModelStatus.kUnbounded:
            return (INF if maximise else -INF), []
        if state != self.highspy.HighsModelStatus.kOptimal:
            raise RuntimeError(f"disclosure control: the attacker's programme for {self.lp.year} is {state} "
                               "(the published figures contradict each other)")
        objective = self.h.getInfo().objective_function_value
        duals = self.h.getSolution().row_dual
        binding = [i for i, d in enumerate(duals) if abs(d) > 1e-9]
        return (-objective if maximise else objective), binding


def interval(solver: Solver, key: tuple) -> tuple[float, float]:
    low, _ = solver.extreme(key, maximise=False)
    high, _ = solver.extreme(key, maximise=True)
    return low, high


def protected(low: float, high: float) -> bool:
    """An attacker's range that does not pin a count: at least PROTECTION wide (in whole issues)."""
    return high == INF or np.floor(high + 1e-6) - np.ceil(low - 1e-6) >= PROTECTION


# --- choosing what to publish --------------------------------------------------------------------------------------

# which figures to suppress first when another needs protecting: the least read first; within a tier, the smallest
LOCAL = ("public_body", "region", "size_band")
STATUS_FIGURES = ("resolved", "open", "late", MEDIAN)
TIERS = (
    lambda f, cell: f in STATUS_FIGURES and cell[3] in LOCAL,
    lambda f, cell: cell[3] in LOCAL,
    lambda f, cell: f == "reprisal" and cell[3] != "all",
    lambda f, cell: f in STATUS_FIGURES and cell[3] != "all",
    lambda f, cell: f in STATUS_FIGURES or f == "reprisal",
    lambda f, cell: cell[3] != "all",
    lambda f, cell: True,  # issues raised in the whole country
)


def _tier(key: tuple) -> int:
    return next(n for n, test in enumerate(TIERS) if test(key[0], key[1:]))


def groups_of(structure: Structure, year: str) -> list[tuple[tuple, list[tuple]]]:
    """Every group of a year as (total figure, its part figures), figure by figure."""
    out = []
    for fam in ("issues", "reprisal"):
        for group in relations(structure, fam, year)[1]:
            for figure in (f for f in FIGURES if family(f) == fam):
                out.append(((figure, *group.total), [(figure, *part) for part in group.parts]))
    return out


def aliases(structure: Structure, year: str) -> dict[tuple, list[tuple]]:
    """Figures that are always the same count, each with the others: the year's reprisal issues are the reprisal
    category's issues raised; a type of one body is that body; England is its regions when it has one."""
    pairs = [(("reprisal", "year", year, None, "all", None), ("raised", "year", year, None, "category", REPRISAL_CATEGORY))]
    for fam in ("issues", "reprisal"):
        for left, right in relations(structure, fam, year)[0]:
            if len(left) == 1 and len(right) == 1:
                pairs += [((figure, *left[0]), (figure, *right[0])) for figure in FIGURES if family(figure) == fam]
    same: dict[tuple, list[tuple]] = defaultdict(list)
    for first, second in pairs:
        same[first].append(second)
        same[second].append(first)
    return same


def _withhold(groups: list[tuple[tuple, list[tuple]]], status: dict[tuple, str], figures: dict[tuple, int],
              same: dict[tuple, list[tuple]]) -> set[tuple]:
    """Group withholding, until nothing changes: the parts of a group whose total is not published, or is published
    and from 1 to its parts + 4, are withheld, and so is a published figure that is the same count as one withheld.
    Returns the figures it withheld."""
    changed: set[tuple] = set()
    again = True
    while again:
        again = False
        for total, parts in groups:
            # a published total of none has parts of none, which hide nothing: they are published
            if total in status and (status[total] != "published" or 0 < figures[total] < len(parts) + SMALLEST_SAFE):
                for part in parts:
                    if status.get(part, "withheld") != "withheld":
                        status[part] = "withheld"
                        changed.add(part)
                        again = True
        for key in list(changed):
            for other in same.get(key, ()):
                if status.get(other) == "published":
                    status[other] = "withheld"
                    changed.add(other)
                    again = True
    return changed


def _hide(keys: list[tuple], status: dict[tuple, str], figures: dict[tuple, int], same: dict[tuple, list[tuple]],
          groups: list[tuple[tuple, list[tuple]]]) -> set[tuple]:
    """Suppress figures (with the figures that are the same count), then withhold the parts of every group whose
    total is no longer published. Returns every figure whose status changed."""
    changed = set()
    for key in keys:
        for k in (key, *same.get(key, ())):
            if k in status and status[k] == "published":
                status[k] = "suppressed" if figures[k] > 0 else "withheld"
                changed.add(k)
    changed |= _withhold(groups, status, figures, same)
    return changed | _median_follows(status, changed)


def _median_follows(status: dict[tuple, str], changed: set[tuple]) -> set[tuple]:
    """A median is published only with the count of resolved issues it is the median of."""
    hidden = set()
    for key in changed:
        median = (MEDIAN, *key[1:])
        if key[0] == "resolved" and status.get(median) == "published":
            status[median] = "suppressed"
            hidden.add(median)
    return hidden


def control_year(structure: Structure, year: str, figures: dict[tuple, int], secondary: bool = True) -> dict[tuple, str]:
    """The status of every figure of one financial year: published, suppressed or withheld. With `secondary` false
    only primary suppression is applied (to show that the attacker's programme then recovers counts)."""
    status = {key: "published" for key in figures}
    groups, same = groups_of(structure, year), aliases(structure, year)
    if secondary:
        _withhold(groups, status, figures, same)
    small = [k for k, v in figures.items() if 1 <= v < SMALLEST_SAFE and k[0] != MEDIAN]
    if not secondary:
        status.update({k: "suppressed" for k in small})
        return status
    _median_follows(status, set(_hide([k for k in small if status[k] == "published"], status, figures, same, groups))
                    | {k for k, st in status.items() if st != "published"})
    for key in (k for k in figures if k[0] == MEDIAN and figures[("resolved", *k[1:])] < FEWEST_FOR_MEDIAN):
        status[key] = "suppressed"
    lp = programme(structure, year, figures, status)
    solver = Solver(lp)
    row_figure = {row: key for key, row in lp.figure_rows.items()}
    for key in sorted(small, key=lambda k: (_tier(k), str(k))):
        while True:
            low, binding_low = solver.extreme(key, maximise=False)
            high, binding_high = solver.extreme(key, maximise=True)
            if protected(low, high):
                break
            choice = _secondary(binding_low + binding_high, row_figure, status, figures, same)
            if choice is None:  # nothing bounds it that may be suppressed: suppress the cheapest figure related to it
                choice = _fallback(key, status, figures, same)
            for changed in _hide([choice], status, figures, same, groups):
                solver.set_status(changed, status[changed], figures[changed])
    # a secondary suppression that the published figures pin down anyway (suppressed resolved issues where those
    # raised and still open are published) hides nothing: it is published again, which changes no other range. A
    # group's total or a count with another name stays as it is (its parts were withheld with it)
    totals = {total for total, _ in groups}
    for key in [k for k, st in status.items()
                if st == "suppressed" and k not in small and k not in totals and k not in same and k[0] != MEDIAN]:
        low, high = interval(solver, key)
        if high - low < 1e-6:
            status[key] = "published"
            solver.set_status(key, "published", figures[key])
    return status


def _cost(key: tuple, figures: dict[tuple, int], same: dict[tuple, list[tuple]]) -> tuple:
    """What hiding a figure loses: the dearest tier among it and its other names, then its size."""
    return (max(_tier(k) for k in (key, *same.get(key, ()))), figures[key], str(key))


def _secondary(rows: list[int], row_figure: dict[int, tuple], status: dict[tuple, str], figures: dict[tuple, int],
               same: dict[tuple, list[tuple]]) -> tuple | None:
    candidates = [row_figure[r] for r in rows if r in row_figure]
    candidates = [k for k in candidates if status[k] == "published" and figures[k] > 0]
    return min(candidates, key=lambda k: _cost(k, figures, same), default=None)


def _fallback(key: tuple, status: dict[tuple, str], figures: dict[tuple, int], same: dict[tuple, list[tuple]]) -> tuple:
    """Rarely needed: a published non-zero figure of the same year, nearest to `key` (same cell, then same
    breakdown), cheapest first. With every non-zero figure hidden, no count has an upper bound: this always ends."""
    candidates = [k for k, s in status.items() if s == "published" and figures[k] > 0]
    if not candidates:
        raise RuntimeError(f"disclosure control: nothing left to suppress to protect {key}")

    def distance(k: tuple) -> tuple:
        return (k[1:] != key[1:], k[4] != key[4], *_cost(k, figures, same))

    return min(candidates, key=distance)


def control(figures: pl.DataFrame, structure: Structure, medians: pl.DataFrame | None = None,
            secondary: bool = True) -> pl.DataFrame:
    """The status of every issue figure. `figures` has CELL columns plus `figure` and `count` (the true count) for
    any cells with issues; every other cell of the structure counts zero. `medians` has CELL columns plus `median`,
    the median days to resolve of the cell's resolved issues. Returns every cell of the structure with its figure,
    count and status (published, suppressed or withheld), and a MEDIAN row (count null) for each median."""
    known = {(r["figure"], *(r[c] for c in CELL)): int(r["count"]) for r in figures.iter_rows(named=True)}
    middle = {} if medians is None else {(MEDIAN, *(r[c] for c in CELL)): r["median"]
                                         for r in medians.iter_rows(named=True) if r["median"] is not None}
    rows = []
    for year in structure.years:
        counts = {}
        for fam in ("issues", "reprisal"):
            for cell in structure.cells(fam, year):
                for figure in (f for f in FIGURES if family(f) == fam):
                    counts[(figure, *cell)] = known.pop((figure, *cell), 0)
                if fam == "issues" and counts[("resolved", *cell)] and (MEDIAN, *cell) in middle:
                    counts[(MEDIAN, *cell)] = middle[(MEDIAN, *cell)]
        status = control_year(structure, year, counts, secondary)
        rows += [dict(zip(("figure", *CELL), key)) | {"count": None if key[0] == MEDIAN else counts[key], "status": status[key]}
                 for key in counts]
    # a figure outside the structure (a quarter by breakdown, a year not published) is not published at all
    return pl.DataFrame(rows, schema=STATUS_SCHEMA)

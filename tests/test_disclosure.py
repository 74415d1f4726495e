"""Disclosure control: no issue-derived count from 1 to 4 is published, and no suppressed cell can be worked out
from the published ones, on the demo warehouse and on random issue logs (property-based)."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections import defaultdict
from pathlib import Path

import duckdb
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import BuiltWarehouse, query, restricted, table
from etl import disclosure, indicators as indicator_build, periods
from warehouse.indicators import indicators

ISSUE_INDICATORS = {i.id: i for i in indicators() if i.disclosure_controlled}
ATTACKER_EQUATIONS = disclosure.equations  # the attacker's own copy, whatever the build is made to do
# figures that count the same issues, whichever indicator publishes them (an attacker pools them)
SAME_ISSUES = {
    ("issues_raised", "numerator"): "raised", ("issues_raised", "denominator"): "raised",
    ("issues_resolved_share", "denominator"): "raised", ("issues_unresolved_after_90_days", "denominator"): "raised",
    ("reprisal_issues_per_100_funded", "numerator"): "raised",
    ("issues_resolved_share", "numerator"): "resolved", ("issues_median_days_to_resolve", "denominator"): "resolved",
    ("issues_unresolved_after_90_days", "numerator"): "late",
}


def issue_cells(con_or_path) -> pl.DataFrame:
    sql = """select indicator_id, period_level, financial_year, quarter, breakdown, breakdown_code, value, numerator,
                    denominator, lacking, suppressed
             from marts.indicator_values where list_contains(?, indicator_id)"""
    if isinstance(con_or_path, Path):
        con = duckdb.connect(str(con_or_path), read_only=True)
        try:
            return con.sql(sql, params=[list(ISSUE_INDICATORS)]).pl()
        finally:
            con.close()
    return con_or_path.sql(sql, params=[list(ISSUE_INDICATORS)]).pl()


def published_small_counts(cells: pl.DataFrame) -> list[dict]:
    """Published issue-derived counts from 1 to 4 (numerator, denominator, lacking, and their difference)."""
    found = []
    for row in cells.filter(~pl.col("suppressed")).iter_rows(named=True):
        indicator = ISSUE_INDICATORS[row["indicator_id"]]
        counts = disclosure.checked_counts(row, indicator.suppress, indicator.calculation)
        if indicator.calculation == "count":
            counts.append(row["value"])
        if any(c is not None and 1 <= c <= 4 for c in counts):
            found.append(row)
    return found


def parents_from(issues: pl.DataFrame) -> dict[str, dict]:
    """What an attacker knows of the hierarchies: which region each district's issues count under, and so on (the
    reference says so for every district and body)."""
    parents: dict[str, dict] = {child: defaultdict(set) for child in ("district", "region", "public_body")}
    for child, (child_column, parent_column) in indicator_build.PARENT_COLUMNS.items():
        for code, parent in issues.select(child_column, parent_column).unique().iter_rows():
            parents[child][code].add(parent)
    return parents


def restricted_issues(db: Path) -> pl.DataFrame:
    return table(restricted(db), "select * from marts_issues where status <> 'withdrawn'")


def recovered(cells: pl.DataFrame, parents: dict[str, dict]) -> list[tuple]:
    """An attacker's work: every published figure is an equation (a total is the sum of its parts: a breakdown's
    cells, quarters, districts in a region, bodies of a type), pooled across indicators that count the same issues.
    Repeatedly solve any equation with one unknown left. Returns the suppressed figures worked out, other than zeros
    (a total of zero shows every part of it is zero: that discloses nothing)."""
    known: dict[tuple, float] = {}
    hidden: set[tuple] = set()
    within = {i: ind.within for i, ind in ISSUE_INDICATORS.items() if ind.within}
    for row in cells.iter_rows(named=True):
        key = disclosure.joint_key(tuple(row[c] for c in disclosure.CELL), within.get(row["indicator_id"]))
        for field in ("numerator", "denominator", "lacking"):
            measure = SAME_ISSUES.get((row["indicator_id"], field), f"{row['indicator_id']}.{field}")
            if field == "denominator" and "denominator" not in ISSUE_INDICATORS[row["indicator_id"]].suppress:
                continue  # not an issue count
            if row["suppressed"]:
                hidden.add((measure, key))
            elif row[field] is not None:
                known[(measure, key)] = row[field]
    hidden -= set(known)
    totals = {disclosure.sub_breakdown(b, w): w for w in set(within.values()) for b in
              ("public_body", "body_type", "nation", "region", "district", "size_band", "smaller_organisation", "principle", "category")}
    keys = {key for _, key in known} | {key for _, key in hidden}
    relations = ATTACKER_EQUATIONS(keys, parents, totals)
    measures = {m for m, _ in known} | {m for m, _ in hidden}
    worked_out = []
    changed = True
    while changed:
        changed = False
        for measure in measures:
            for total, parts in relations:
                members = [(measure, k) for k in (total, *parts)]
                unknown = [m for m in members if m in hidden]
                if len(unknown) != 1:
                    continue
                target = unknown[0]
                # cells absent from the table are zero; present ones are known or hidden
                if target == members[0]:
                    known[target] = sum(known.get(m, 0) for m in members[1:])
                else:
                    known[target] = known.get(members[0], 0) - sum(known.get(m, 0) for m in members[1:] if m != target)
                hidden.discard(target)
                if known[target] != 0:
                    worked_out.append((*target, known[target]))
                changed = True
    return worked_out


# --- the demo warehouse ------------------------------------------------------------------------------------------


def test_the_demo_publishes_no_issue_count_from_one_to_four(built_warehouse: BuiltWarehouse) -> None:
    cells = issue_cells(built_warehouse.database)
    assert cells.height > 500 and cells["suppressed"].sum() > 0 and (~cells["suppressed"]).sum() > 0
    assert published_small_counts(cells) == []


def test_no_suppressed_demo_cell_can_be_worked_out(built_warehouse: BuiltWarehouse) -> None:
    parents = parents_from(restricted_issues(built_warehouse.database))
    cells = issue_cells(built_warehouse.database)
    assert recovered(cells, parents) == []


def test_the_attack_works_when_secondary_suppression_is_switched_off(monkeypatch: pytest.MonkeyPatch) -> None:
    """The attack above is real: with primary suppression only, it works a suppressed cell out from the total."""
    cells = pl.DataFrame([cell("all", None, 30), cell("district", "A", 3), cell("district", "B", 7), cell("district", "C", 20)])
    classes = pl.DataFrame(schema={c: cells.schema[c] for c in disclosure.CELL} | {"signature": pl.Utf8, "issues": pl.Int64})
    rules = dict(suppress={"issues_raised": ("numerator", "denominator")}, calculations={"issues_raised": "count"},
                 within={}, parents={})
    assert recovered(disclosure.control(cells, classes, **rules), {}) == []
    monkeypatch.setattr(disclosure, "equations", lambda keys, parents, totals=None: [])
    primary_only = disclosure.control(cells, classes, **rules)
    assert primary_only["suppressed"].sum() == 1
    assert ("raised", ("year", "2025-26", None, "district", "A"), 3.0) in recovered(primary_only, {})


def test_nothing_issue_derived_is_published_outside_the_controlled_figures(built_warehouse: BuiltWarehouse) -> None:
    db = built_warehouse.database
    assert query(db, """select count(*) from information_schema.columns
                        where column_name in ('issue_ref', 'event_id', 'reporter_id', 'summary')""") == [(0,)]
    assert query(db, "select count(*) from information_schema.tables where table_name like '%issue%'") == [(0,)]
    assert query(db, """select count(*) from meta.load_files where source = 'issues'
                        and (rows_read is not null or rows_loaded is not null or rows_quarantined is not null)""") == [(0,)]
    assert query(db, "select count(*) from meta.load_files where source = 'issues'")[0][0] > 0
    assert query(db, """select count(*) from meta.validation_results where dataset = 'issue_events'
                        and (element_count is not null or unexpected_count is not null)""") == [(0,)]
    assert query(db, "select count(*) from quarantine.rows where dataset = 'issue_events'") == [(0,)]
    manifest = json.loads((db.parent / "manifest.json").read_text())
    assert all(f["rows_read"] is None for f in manifest["files"] if f["source"] == "issues")
    assert not any("issue" in name for name in [*manifest["tables"], *manifest["quarantine_reasons"]])
    parquet = {p.name for p in (db.parent / "parquet").iterdir()}
    assert "marts.indicator_values.parquet" in parquet and not any("issue" in name for name in parquet)
    docs = "".join(p.read_text(errors="ignore") for p in (db.parent / "data_docs").rglob("*.html"))
    assert "issue_events" not in docs
    assert "issue_events" in "".join(p.read_text(errors="ignore") for p in (db.parent / "restricted" / "data_docs").rglob("*.html"))


# --- secondary suppression, by hand ------------------------------------------------------------------------------


def cell(breakdown: str, code: str | None, count: int, quarter: int | None = None) -> dict:
    return {"indicator_id": "issues_raised", "period_level": "quarter" if quarter else "year", "financial_year": "2025-26",
            "quarter": quarter, "breakdown": breakdown, "breakdown_code": code, "value": float(count),
            "numerator": float(count), "denominator": float(count), "lacking": 0}


def test_a_lone_suppressed_cell_takes_the_smallest_other_with_it() -> None:
    cells = pl.DataFrame([cell("all", None, 30), cell("district", "A", 3), cell("district", "B", 7),
                          cell("district", "C", 20)])
    classes = pl.DataFrame(schema={c: cells.schema[c] for c in disclosure.CELL} | {"signature": pl.Utf8, "issues": pl.Int64})
    out = disclosure.control(cells, classes, suppress={"issues_raised": ("numerator", "denominator")},
                             calculations={"issues_raised": "count"}, within={}, parents={})
    assert dict(zip(out["breakdown_code"], out["suppressed"])) == {None: False, "A": True, "B": True, "C": False}
    assert out.filter(pl.col("suppressed"))["numerator"].to_list() == [None, None]


def test_suppression_carries_up_a_hierarchy_and_across_quarters() -> None:
    # district A (3) in region R1 with district B (9); region R1 is the only region with issues but R2 has 12
    cells = pl.DataFrame([
        cell("all", None, 24), cell("district", "A", 3), cell("district", "B", 9), cell("district", "C", 12),
        cell("region", "R1", 12), cell("region", "R2", 12),
    ])
    classes = pl.DataFrame(schema={c: cells.schema[c] for c in disclosure.CELL} | {"signature": pl.Utf8, "issues": pl.Int64})
    parents = {"district": {"A": {"R1"}, "B": {"R1"}, "C": {"R2"}}}
    out = disclosure.control(cells, classes, suppress={"issues_raised": ("numerator", "denominator")},
                             calculations={"issues_raised": "count"}, within={}, parents=parents)
    hidden = set(out.filter(pl.col("suppressed"))["breakdown_code"])
    assert {"A", "B"} <= hidden  # B goes with A: R1 = A + B
    # quarters add up to their year: one small quarter takes another with it
    quarters = pl.DataFrame([cell("all", None, 20), cell("all", None, 2, 1), cell("all", None, 8, 2), cell("all", None, 10, 3)])
    out = disclosure.control(quarters, classes, suppress={"issues_raised": ("numerator", "denominator")},
                             calculations={"issues_raised": "count"}, within={}, parents={})
    assert out.filter(pl.col("suppressed"))["quarter"].to_list() == [1, 2]


def test_a_class_of_one_suppresses_the_cell_even_when_every_figure_is_large() -> None:
    # 10 raised, 9 resolved: both figures are large, but 10 - 9 = 1 issue unresolved
    cells = pl.DataFrame([cell("all", None, 10)])
    classes = pl.DataFrame([{"period_level": "year", "financial_year": "2025-26", "quarter": None, "breakdown": "all",
                             "breakdown_code": None, "signature": s, "issues": n}
                            for s, n in (("resolved", 9), ("open", 1))])
    out = disclosure.control(cells, classes, suppress={"issues_raised": ("numerator", "denominator")},
                             calculations={"issues_raised": "count"}, within={}, parents={})
    assert out["suppressed"].to_list() == [True]


# --- property-based: random issue logs ---------------------------------------------------------------------------

BODIES = ("DCMS", "DFE", "LA-BARNSLEY", "LA-SHEFFIELD")
DISTRICTS = ("E08000038", "E08000039", "E08000035", "W06000015", None)
CATEGORIES = ("reprisal or self-censorship", "late payment", "consultation")
PRINCIPLES = ("recognition", "partnership", "participation")
SIZES = ("micro", "small", "medium", "unknown")
AS_OF = dt.date(2026, 11, 25)

an_issue = st.fixed_dictionaries({
    "body_code": st.sampled_from(BODIES), "district_code": st.sampled_from(DISTRICTS),
    "category": st.sampled_from(CATEGORIES), "principle": st.sampled_from(PRINCIPLES), "size_band": st.sampled_from(SIZES),
    "raised_on": st.dates(dt.date(2024, 4, 1), dt.date(2026, 11, 20)),
    "status": st.sampled_from(("resolved", "resolved", "open", "withdrawn")), "days": st.integers(0, 200),
})


@pytest.fixture(scope="module")
def base_marts(built_warehouse: BuiltWarehouse, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo warehouse's marts, to which each example adds its own row-level issues."""
    copy = tmp_path_factory.mktemp("property") / "base.duckdb"
    shutil.copy(built_warehouse.database, copy)
    con = duckdb.connect(str(copy))
    con.execute("attach ? as private (read_only)", [str(restricted(built_warehouse.database))])
    con.execute("create table marts.issues as select * from private.marts_issues where false")
    con.execute("detach private")
    con.close()
    return copy


def issue_rows(drawn: list[dict]) -> pl.DataFrame:
    rows = []
    for n, d in enumerate(drawn):
        resolved = d["status"] == "resolved" and d["raised_on"] + dt.timedelta(days=d["days"]) <= AS_OF
        status = d["status"] if d["status"] != "resolved" or resolved else "open"
        rows.append({
            "issue_ref": f"ISS-{n}", "body_code": d["body_code"],
            "body_type": "ministerial_department" if d["body_code"] in ("DCMS", "DFE") else "local_authority",
            "principle": d["principle"], "category": d["category"], "size_band": d["size_band"],
            "district_code": d["district_code"],
            "region_code": {"E08000038": "E12000003", "E08000039": "E12000003", "E08000035": "E12000003"}.get(d["district_code"]),
            "nation_code": None if d["district_code"] is None else ("W92000004" if d["district_code"].startswith("W") else "E92000001"),
            "raised_on": d["raised_on"], "financial_year": periods.financial_year(d["raised_on"]),
            "quarter": periods.financial_quarter(d["raised_on"]), "status": status,
            "days_to_resolve": d["days"] if status == "resolved" else None,
        })
    return pl.DataFrame(rows, schema={"issue_ref": pl.Utf8, "body_code": pl.Utf8, "body_type": pl.Utf8, "principle": pl.Utf8,
                                      "category": pl.Utf8, "size_band": pl.Utf8, "district_code": pl.Utf8,
                                      "region_code": pl.Utf8, "nation_code": pl.Utf8, "raised_on": pl.Date,
                                      "financial_year": pl.Utf8, "quarter": pl.Int32, "status": pl.Utf8,
                                      "days_to_resolve": pl.Int64})


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(drawn=st.lists(an_issue, min_size=1, max_size=80))
def test_random_issue_logs_never_publish_a_count_from_one_to_four(base_marts: Path, tmp_path: Path, drawn: list[dict]) -> None:
    db = tmp_path / f"example-{len(drawn)}-{abs(hash(str(drawn))) % 10**8}.duckdb"
    shutil.copy(base_marts, db)
    con = duckdb.connect(str(db))
    try:
        frame = issue_rows(drawn)
        con.execute("delete from marts.issues")
        con.execute("insert into marts.issues by name select * from frame")
        indicator_build.build(con, tuple(ISSUE_INDICATORS.values()))
        cells = issue_cells(con)
        parents = parents_from(frame.filter(pl.col("status") != "withdrawn"))
    finally:
        con.close()
        db.unlink(missing_ok=True)
    assert published_small_counts(cells) == []
    assert recovered(cells, parents) == []

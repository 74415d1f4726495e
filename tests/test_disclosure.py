"""Disclosure control, proven by attack: with only the published warehouse, an attacker who writes down every relation
the documentation states, peels equations and solves linear programmes (tests/attack.py) works out no count from 1
to 4 that is not published, nor narrows one to a range under 5 wide, on the demo warehouse and on random issue logs
(property-based); with the protection switched off, the same attack recovers counts. Published figures are the
counts the definitions give, zeros included, and every cell has its row."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import duckdb
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from data_contracts import load_contract
from etl import disclosure, periods
from etl import indicators as indicator_build
from tests import attack
from tests.conftest import BuiltWarehouse, query, restricted, table
from warehouse.indicators import ISSUE_FIGURES, indicators

ISSUE_INDICATORS = {i.id: i for i in indicators() if i.disclosure_controlled}


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
    """Issue indicator rows publishing a count from 1 to 4 (as numerator, an issue-derived denominator, or value)."""
    found = []
    for row in cells.iter_rows(named=True):
        figures = dict(ISSUE_INDICATORS[row["indicator_id"]].issue_figures)
        counts = [row[part] for part in figures]
        if ISSUE_INDICATORS[row["indicator_id"]].calculation == "count":
            counts.append(row["value"])
        if any(c is not None and 1 <= c <= 4 for c in counts):
            found.append(row)
    return found


def restricted_issues(db: Path) -> pl.DataFrame:
    return table(restricted(db), "select * from marts_issues")


# --- the demo warehouse ------------------------------------------------------------------------------------------


def test_the_declared_issue_figures_are_the_ones_disclosure_control_knows() -> None:
    assert set(ISSUE_FIGURES) == set(disclosure.FIGURES)
    assert {figure for i in ISSUE_INDICATORS.values() for _, figure in i.issue_figures} == set(ISSUE_FIGURES)


def test_every_published_issue_figure_is_the_count_the_definitions_give(built_warehouse: BuiltWarehouse) -> None:
    db = built_warehouse.database
    published = attack.read(db)
    truth = attack.true_counts(restricted_issues(db), published.as_of)
    figures = published.figures
    shown = figures.filter(pl.col("status") == "published")
    assert shown.height > 50 and (shown["count"] == 0).sum() > 0 and (shown["count"] >= 5).sum() > 20
    wrong = [r for r in shown.iter_rows(named=True)
             if r["count"] != truth.get((r["figure"], r["financial_year"], r["period_level"], r["quarter"], r["breakdown"],
                                         r["breakdown_code"]), 0)]
    assert wrong == []
    assert figures.filter((pl.col("status") != "published") & pl.col("count").is_not_null()).height == 0
    assert figures.filter((pl.col("count") >= 1) & (pl.col("count") <= 4)).height == 0
    # no information in absence: every cell of every year has its row, for every figure
    years = [y for (y,) in query(db, "select distinct financial_year from reference.periods order by 1")]
    per_cell = figures.group_by("figure", "financial_year").len()
    assert sorted(per_cell["financial_year"].unique()) == years
    bodies = query(db, "select count(*) from reference.public_bodies")[0][0]
    raised_bodies = figures.filter((pl.col("figure") == "raised") & (pl.col("breakdown") == "public_body")
                                   & (pl.col("period_level") == "year"))
    assert raised_bodies.height == len(years) * (bodies + 1)  # every body, and "not known"


def test_the_demo_publishes_no_issue_count_from_one_to_four(built_warehouse: BuiltWarehouse) -> None:
    cells = issue_cells(built_warehouse.database)
    assert cells.height > 500 and cells["suppressed"].sum() > 0 and (~cells["suppressed"]).sum() > 0
    assert published_small_counts(cells) == []
    # a share is published only with both its counts; a median of no resolved issue is there, empty, not suppressed
    shares = cells.filter(pl.col("indicator_id") == "issues_resolved_share")
    assert shares.filter(~pl.col("suppressed") & (pl.col("numerator").is_null() | pl.col("denominator").is_null())).height == 0
    medians = cells.filter((pl.col("indicator_id") == "issues_median_days_to_resolve") & (pl.col("denominator") == 0))
    assert medians.height > 0 and medians["value"].null_count() == medians.height and not medians["suppressed"].any()


def test_a_count_published_under_two_names_is_never_half_hidden(built_warehouse: BuiltWarehouse) -> None:
    """The year's reprisal issues are the reprisal category's issues raised: one figure, one status."""
    figures = attack.read(built_warehouse.database).figures.filter(pl.col("period_level") == "year")
    reprisal = figures.filter((pl.col("figure") == "reprisal") & (pl.col("breakdown") == "all"))
    category = figures.filter((pl.col("figure") == "raised") & (pl.col("breakdown_code") == disclosure.REPRISAL_CATEGORY))
    pairs = reprisal.join(category, on="financial_year")
    assert pairs.height == 3
    assert [(a == "published", n) for a, n in zip(pairs["status"], pairs["count"])] == [
        (b == "published", n) for b, n in zip(pairs["status_right"], pairs["count_right"])]


def test_the_attack_recovers_no_count_on_the_demo(built_warehouse: BuiltWarehouse) -> None:
    db = built_warehouse.database
    published = attack.read(db)
    truth = attack.true_counts(restricted_issues(db), published.as_of)
    assert sum(1 for k, v in truth.items() if 1 <= v <= 4) > 100  # there is something to protect
    assert attack.disclosures(published, truth) == []


def with_issue_figures(base: Path, folder: Path, issues: pl.DataFrame) -> Path:
    """A copy of a public database whose issue figures are rebuilt from `issues` (row-level; dropped afterwards)."""
    db = folder / "covenant.duckdb"
    shutil.copy(base, db)
    con = duckdb.connect(str(db))
    try:
        con.execute("create or replace table marts.issues as select * from issues")
        indicator_build.build(con, tuple(ISSUE_INDICATORS.values()))
        con.execute("drop table marts.issues")
    finally:
        con.close()
    return db


def test_the_attack_recovers_counts_when_the_protection_is_switched_off(built_warehouse: BuiltWarehouse, tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """The attack is real: with primary suppression alone (no group withholding, no secondary suppression), it
    works small counts out exactly from the published ones."""
    original = disclosure.control
    monkeypatch.setattr(disclosure, "control", lambda figures, structure, medians: original(figures, structure, medians, secondary=False))
    issues = restricted_issues(built_warehouse.database)
    db = with_issue_figures(built_warehouse.database, tmp_path, issues)
    published = attack.read(db)
    truth = attack.true_counts(issues, published.as_of)
    found = attack.disclosures(published, truth, group_rule=False)  # no group was withheld
    exact = [f for f in found if f[2] == f[3] == f[1]]
    assert len(exact) > 10, found[:5]
    year = sorted(published.figures["financial_year"].unique())[0]
    model, figures = attack.model(published, year)
    assert any(1 <= v <= 4 for v in attack.peel(figures, model).values())  # peeling alone finds some


def test_nothing_issue_derived_is_published_outside_the_controlled_figures(built_warehouse: BuiltWarehouse) -> None:
    db = built_warehouse.database
    assert query(db, """select count(*) from information_schema.columns
                        where column_name in ('issue_ref', 'event_id', 'reporter_id', 'summary')""") == [(0,)]
    assert [t for (t,) in query(db, "select table_schema || '.' || table_name from information_schema.tables "
                                    "where table_name like '%issue%' order by 1")] == ["marts.issue_figures", "reference.issue_categories"]
    # the categories are the issue logs' contract's, not anything from a log
    categories = next(f.enum for f in load_contract("issue_events").dataset("issue_events").fields if f.name == "category")
    assert [c for (c,) in query(db, "select code from reference.issue_categories order by sort_order")] == list(categories)
    assert query(db, """select count(*) from marts.indicator_facts join marts.indicators using (indicator_id)
                        where disclosure_controlled or category is not null or measures is not null""") == [(0,)]
    files = table(db, "select * from meta.load_files where source = 'issues'")
    assert files.height >= 2
    assert files["path"].to_list() == [f"issues/file {n} (name withheld)" for n in range(1, files.height + 1)]
    assert files.select("sha256", "rows_read", "rows_loaded", "rows_quarantined").null_count().row(0) == (files.height,) * 4
    assert query(db, """select count(*) from meta.validation_results where dataset = 'issue_events'
                        and (element_count is not null or unexpected_count is not null)""") == [(0,)]
    assert query(db, "select count(*) from quarantine.rows where dataset = 'issue_events'") == [(0,)]
    manifest = json.loads((db.parent / "manifest.json").read_text())
    assert [f for f in manifest["files"] if f["source"] == "issues"] == files.to_dicts()
    assert not any("issue_events" in name or name == "marts.issues" for name in [*manifest["tables"], *manifest["quarantine_reasons"]])
    parquet = {p.name for p in (db.parent / "parquet").iterdir()}
    assert {"marts.indicator_values.parquet", "marts.issue_figures.parquet"} <= parquet and "marts.issues.parquet" not in parquet
    docs = "".join(p.read_text(errors="ignore") for p in (db.parent / "data_docs").rglob("*.html"))
    assert "issue_events" not in docs
    private_docs = restricted(db).parent / "data_docs"
    assert "issue_events" in "".join(p.read_text(errors="ignore") for p in private_docs.rglob("*.html"))


# --- the rules, by hand ------------------------------------------------------------------------------------------

AS_OF = dt.date(2026, 11, 25)


def tiny_structure(**changes) -> disclosure.Structure:
    """Two types of body (three departments, two councils), one year."""
    structure = dict(
        codes={"public_body": ("D1", "D2", "D3", "C1", "C2"), "body_type": ("department", "council"), "nation": ("E", "W"),
               "region": ("R1", "R2"), "size_band": ("small", "large"), "principle": ("p1", "p2"), "category": ("c1", "c2")},
        parents={"public_body": {"D1": "department", "D2": "department", "D3": "department", "C1": "council", "C2": "council"},
                 "region": {"R1": "E", "R2": "E"}},
        breakdowns={"issues": ("all", "public_body", "body_type"), "reprisal": ("all",)},
        years=("2025-26",), as_of=AS_OF, quarterly=())
    return disclosure.Structure(**(structure | changes))


def figures_frame(counts: dict[tuple, int]) -> pl.DataFrame:
    """{(figure, breakdown, code): count} for the year 2025-26 -> the frame disclosure.control takes."""
    return pl.DataFrame([{"figure": f, "period_level": "year", "financial_year": "2025-26", "quarter": None, "breakdown": b,
                          "breakdown_code": c, "count": n} for (f, b, c), n in counts.items()],
                        schema={"figure": pl.Utf8, "period_level": pl.Utf8, "financial_year": pl.Utf8, "quarter": pl.Int32,
                                "breakdown": pl.Utf8, "breakdown_code": pl.Utf8, "count": pl.Int64})


def issues_of(bodies: dict[str, int], open_: dict[str, int] | None = None) -> dict[tuple, int]:
    """Counts for issues raised per body (all resolved in time unless `open_` says how many are still open, late)."""
    open_ = open_ or {}
    types = tiny_structure().body_types
    counts: dict[tuple, int] = {}
    for body, n in bodies.items():
        for figure, value in (("raised", n), ("resolved", n - open_.get(body, 0)), ("open", open_.get(body, 0)), ("late", open_.get(body, 0))):
            for key in ((figure, "public_body", body), (figure, "body_type", types[body]), (figure, "all", None)):
                counts[key] = counts.get(key, 0) + value
    return counts


def statuses(out: pl.DataFrame, figure: str, breakdown: str) -> dict:
    rows = out.filter((pl.col("figure") == figure) & (pl.col("breakdown") == breakdown))
    return dict(zip(rows["breakdown_code"], rows["status"]))


def test_zeros_are_published_and_every_cell_has_a_row() -> None:
    out = disclosure.control(figures_frame(issues_of({"D1": 40, "D2": 30, "D3": 25, "C1": 20, "C2": 20})), tiny_structure())
    assert out.height == 4 * (1 + 6 + 3) + 1  # four figures in all, five bodies and "not known", two types and "not
    # known"; reprisal issues in all
    assert statuses(out, "raised", "public_body") == {"D1": "published", "D2": "published", "D3": "published",
                                                      "C1": "published", "C2": "published", None: "published"}
    assert out.filter(pl.col("figure") == "open")["count"].to_list() == [0] * 10
    # a total of none has parts of none: they hide nothing, and are published
    assert set(out.filter(pl.col("figure") == "open")["status"]) == {"published"}


def test_a_lone_small_count_takes_the_smallest_count_that_bounds_it_with_it() -> None:
    # D3 raised 3 issues: from the departments' total (70) and D1, D2 it would come out exactly
    out = disclosure.control(figures_frame(issues_of({"D1": 40, "D2": 27, "D3": 3, "C1": 30, "C2": 30})), tiny_structure())
    raised = statuses(out, "raised", "public_body")
    assert raised["D3"] == "suppressed" and raised["D2"] == "suppressed" and raised["D1"] == "published"
    assert statuses(out, "raised", "body_type") == {"department": "published", "council": "published", None: "published"}


def test_a_group_too_small_to_break_down_is_withheld_and_its_total_published() -> None:
    # the councils have 6 issues between 2 bodies: under 2 + 5, so each council's count is withheld
    out = disclosure.control(figures_frame(issues_of({"D1": 40, "D2": 30, "D3": 25, "C1": 4, "C2": 2})), tiny_structure())
    raised = statuses(out, "raised", "public_body")
    assert (raised["C1"], raised["C2"]) == ("withheld", "withheld")
    assert statuses(out, "raised", "body_type")["council"] == "published"
    assert out.filter((pl.col("figure") == "raised") & (pl.col("breakdown_code") == "council"))["count"].to_list() == [6]


def test_a_status_count_of_one_hides_another_status_count_not_the_issues_raised() -> None:
    # one of D1's 40 issues is still open: raised = resolved + open, so resolved goes too; raised stays published
    out = disclosure.control(figures_frame(issues_of({"D1": 40, "D2": 30, "D3": 25, "C1": 20, "C2": 20}, open_={"D1": 1, "D2": 6})),
                             tiny_structure())
    assert statuses(out, "open", "public_body")["D1"] in ("suppressed", "withheld")
    assert statuses(out, "resolved", "public_body")["D1"] != "published"
    assert statuses(out, "raised", "public_body")["D1"] == "published"


def test_a_median_that_would_narrow_a_late_count_is_not_published() -> None:
    """D1's 10 issues were all resolved, 3 of them after 90 days. With the departments' late total, D2 and D3 hidden,
    the 3 could be anything from 1 to 10; but a published median of 30 days says at most 5 of the 10 took over 90
    days, which would narrow it to 1 to 5: so that median is not published. D2's, which narrows nothing, is; C2's is
    not, being over fewer than 10 issues."""
    late = {"D1": 3, "D2": 10, "D3": 20, "C1": 0, "C2": 0}
    raised = {"D1": 10, "D2": 30, "D3": 40, "C1": 20, "C2": 8}
    types = tiny_structure().body_types
    counts: dict[tuple, int] = {}
    for body, n in raised.items():
        for figure, value in (("raised", n), ("resolved", n), ("open", 0), ("late", late[body])):
            for key in ((figure, "public_body", body), (figure, "body_type", types[body]), (figure, "all", None)):
                counts[key] = counts.get(key, 0) + value
    medians = pl.DataFrame({"period_level": ["year"] * 3, "financial_year": ["2025-26"] * 3, "quarter": [None] * 3,
                            "breakdown": ["public_body"] * 3, "breakdown_code": ["D1", "D2", "C2"], "median": [30.0, 60.0, 20.0]},
                           schema_overrides={"quarter": pl.Int32})
    out = disclosure.control(figures_frame(counts), tiny_structure(), medians)
    assert statuses(out, "late", "public_body")["D1"] == "suppressed"
    assert statuses(out, disclosure.MEDIAN, "public_body") == {"D1": "suppressed", "D2": "published", "C2": "suppressed"}
    assert statuses(out, "resolved", "public_body")["C2"] == "published"
    assert out.filter(pl.col("figure") == disclosure.MEDIAN)["count"].null_count() == 3  # a median is no count
    without = disclosure.control(figures_frame(counts), tiny_structure())  # with no median, D1's resolved stays
    assert statuses(without, "resolved", "public_body")["D1"] == "published"


# --- property-based: random issue logs ---------------------------------------------------------------------------

BODIES = ("DCMS", "DFE", "LA-BARNSLEY", "LA-SHEFFIELD")
DISTRICTS = ("E08000038", "E08000039", "E08000035", "W06000015", None)
CATEGORIES = ("reprisal or self-censorship", "late payment", "consultation")
PRINCIPLES = ("recognition", "partnership", "participation")
SIZES = ("micro", "small", "medium", "unknown")

an_issue = st.fixed_dictionaries({
    "body_code": st.sampled_from(BODIES), "district_code": st.sampled_from(DISTRICTS),
    "category": st.sampled_from(CATEGORIES), "principle": st.sampled_from(PRINCIPLES), "size_band": st.sampled_from(SIZES),
    "raised_on": st.dates(dt.date(2024, 4, 1), dt.date(2026, 11, 20)),
    "status": st.sampled_from(("resolved", "resolved", "open", "withdrawn")), "days": st.integers(0, 200),
})


@pytest.fixture(scope="module")
def base_marts(built_warehouse: BuiltWarehouse, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo warehouse's public database with an empty marts.issues, to which each example adds its issues."""
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
@given(drawn=st.lists(an_issue, min_size=1, max_size=120))
def test_random_issue_logs_disclose_no_count_from_one_to_four(base_marts: Path, tmp_path_factory: pytest.TempPathFactory,
                                                              drawn: list[dict]) -> None:
    folder = tmp_path_factory.mktemp("example")
    issues = issue_rows(drawn)
    db = with_issue_figures(base_marts, folder, issues)
    try:
        published = attack.read(db)
        truth = attack.true_counts(issues, published.as_of)
        assert published_small_counts(issue_cells(db)) == []
        assert attack.disclosures(published, truth) == []
    finally:
        shutil.rmtree(folder, ignore_errors=True)

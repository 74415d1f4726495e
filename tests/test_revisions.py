"""What's new in a release (#20): each build compares its files and figures with the release published before it, so a
second build with one return replaced lists that file and the figures it revised, old and new, and why."""

from __future__ import annotations

from pathlib import Path

import pytest

from etl.build import build
from tests.conftest import AS_OF, InboxFactory, grant, query


def summary(held: int) -> dict:
    return {"body_code": "DCMS", "financial_year": "2025-26", "quarter": 2, "action_plan_published": "Yes",
            "ministerial_lead_named": "Yes", "senior_official_lead_named": "Yes", "meetings_committed": 4,
            "meetings_held": held, "foi_requests": 10, "foi_answered_in_time": 9}


@pytest.fixture(scope="module")
def rebuilt(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    """Built once with DCMS's return holding 3 meetings of 4; then again with that return replaced (4 of 4) and a
    funding file added."""
    inbox = InboxFactory(tmp_path_factory.mktemp("revised") / "inbox")
    inbox.return_workbook("dcms_2025-26_Q2.xlsx", {"return_summary": [summary(3)]})
    inbox.funding_csv("first.csv", [grant("360G-REV-1")])
    warehouse = tmp_path_factory.mktemp("revised-warehouse")
    first = build(inbox.path, warehouse, as_of=AS_OF)
    inbox.return_workbook("dcms_2025-26_Q2.xlsx", {"return_summary": [summary(4)]})
    inbox.funding_csv("second.csv", [grant("360G-REV-2")])
    second = build(inbox.path, warehouse, as_of=AS_OF)
    assert first.published and second.published
    return Path(first.release) / "covenant.duckdb", Path(second.release) / "covenant.duckdb", first.load_id


def test_the_first_release_has_nothing_to_compare_with(rebuilt) -> None:
    first, _, _ = rebuilt
    assert query(first, "select * from meta.release_comparison") == [(None, None, None, None, None)]
    assert query(first, "select count(*) from meta.revisions") == [(0,)]


def test_a_replaced_return_is_listed_with_the_figures_it_revised(rebuilt) -> None:
    _, second, first_id = rebuilt
    assert query(second, "select path, source, change, rows_loaded_before, rows_loaded_now from meta.file_changes") == [
        ("funding/second.csv", "funding", "added", None, 1), ("returns/dcms_2025-26_Q2.xlsx", "returns", "replaced", 1, 1)]
    revised = {(r[0], r[1], r[2], r[3]): r[4:] for r in query(second, """
        select indicator_id, period, breakdown, breakdown_code, value_before, value_now, numerator_before, numerator_now, why
        from meta.revisions where indicator_id = 'meetings_held_against_committed'""")}
    why = "returns: returns/dcms_2025-26_Q2.xlsx (replaced)"
    for period in ("2025-26", "2025-26 Q2"):
        for breakdown, code in (("all", None), ("public_body", "DCMS"), ("body_type", "ministerial_department")):
            assert revised[("meetings_held_against_committed", period, breakdown, code)] == (75.0, 100.0, 3.0, 4.0, why)
    assert len(revised) == 6
    # figures the replaced return did not change are not listed; nor are issue figures, never compared
    indicators = {i for (i,) in query(second, "select distinct indicator_id from meta.revisions")}
    assert "foi_answered_in_time" not in indicators and not any(i.startswith("issues") for i in indicators)
    (previous, files, figures, added, removed), = query(second, "select * from meta.release_comparison")
    assert (previous, files, removed) == (first_id, 2, 0) and figures == query(second, "select count(*) from meta.revisions")[0][0]
    assert added == 0  # the second grant falls in cells the first already had


@pytest.mark.build
def test_an_unreadable_release_before_is_compared_with_nothing(tmp_path: Path) -> None:
    inbox = InboxFactory(tmp_path / "inbox")
    inbox.funding_csv("first.csv", [grant("360G-REV-1")])
    warehouse = tmp_path / "warehouse"
    first = build(inbox.path, warehouse, as_of=AS_OF)
    (Path(first.release) / "covenant.duckdb").chmod(0o644)
    (Path(first.release) / "covenant.duckdb").write_bytes(b"not a database")
    second = build(inbox.path, warehouse, as_of=AS_OF)
    assert second.published
    assert query(Path(second.release) / "covenant.duckdb", "select * from meta.release_comparison") == [
        (first.load_id, None, None, None, None)]


def test_data_quality_shows_whats_new(rebuilt, monkeypatch) -> None:
    from streamlit.testing.v1 import AppTest

    _, second, _ = rebuilt
    monkeypatch.setenv("COVENANT_WAREHOUSE", str(second.parents[2]))
    at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "dashboard" / "app.py"), default_timeout=60)
    at.run()
    at.switch_page("app_pages/data_quality.py").run()
    assert not at.exception
    figures = query(second, "select count(*) from meta.revisions")[0][0]
    assert f"2 files added, replaced or removed; {figures} figures revised" in next(
        m.value for m in at.markdown if m.value.startswith("Against the release before"))
    files = next(f.value for f in at.dataframe if "Rows loaded before" in f.value.columns)
    assert files["File"].tolist() == ["funding/second.csv", "returns/dcms_2025-26_Q2.xlsx"]
    revised = next(f.value for f in at.dataframe if "Why" in f.value.columns)
    row = revised[(revised["Period"] == "2025-26") & (revised["Of"] == "All")
                  & (revised["Indicator"] == "Engagement meetings held against those committed")].iloc[0]
    assert (row["Indicator"], row["Before"], row["Now"], row["Change"]) == (
        "Engagement meetings held against those committed", "75.0%", "100.0%", "+25.0 points")
    assert (row["Numerator before"], row["Numerator now"], row["Denominator now"]) == (3, 4, 4)

"""The dashboard, headless (AppTest): pages render from the published warehouse, filters change the numbers."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard import format as fmt
from tests.conftest import query

APP = str(Path(__file__).resolve().parent.parent / "dashboard" / "app.py")


def app(warehouse: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("COVENANT_WAREHOUSE", str(warehouse))
    return AppTest.from_file(APP, default_timeout=60)


def test_overview_shows_the_latest_year_from_the_warehouse(built_warehouse, monkeypatch):
    at = app(built_warehouse.path, monkeypatch).run()
    assert not at.exception
    assert [t.value for t in at.title] == ["Overview"]
    latest, awards, amount = query(
        built_warehouse.database,
        "select financial_year, count(*), sum(amount_gbp) from marts.awards group by 1 order by 1 desc limit 1",
    )[0]
    assert at.subheader[0].value == f"Funding in {latest} (to date)"  # 25 November 2026 is in 2026-27
    assert at.metric[0].value == fmt.count(awards)
    assert at.metric[1].value == fmt.money(amount)


def test_choosing_a_body_type_changes_the_numbers(built_warehouse, monkeypatch):
    at = app(built_warehouse.path, monkeypatch).run()
    everything = at.metric[0].value
    at.selectbox(key="body_type").select("local_authority").run()
    assert not at.exception
    (awards,) = query(
        built_warehouse.database,
        "select count(*) from marts.awards where body_type = 'local_authority' "
        "and financial_year = (select max(financial_year) from marts.awards)",
    )[0]
    assert at.metric[0].value == fmt.count(awards)
    assert at.metric[0].value != everything


def test_no_warehouse_gives_a_message_not_a_traceback(tmp_path, monkeypatch):
    at = app(tmp_path / "nothing-here", monkeypatch).run()
    assert not at.exception
    assert "No data has been published yet" in at.info[0].value
    assert not at.metric


def test_the_footer_names_sources_and_licence(built_warehouse, monkeypatch):
    at = app(built_warehouse.path, monkeypatch).run()
    assert any("Open Government Licence v3.0" in c.value for c in at.caption)


@pytest.mark.parametrize(
    ("function", "value", "shown"),
    [
        (fmt.money, 1234.5, "£1,234"),
        (fmt.money, 12_345, "£12.3k"),
        (fmt.money, 3_400_000, "£3.4m"),
        (fmt.money, 1_200_000_000, "£1.2bn"),
        (fmt.money, None, "–"),
        (fmt.count, 1234567, "1,234,567"),
        (fmt.percent, 0.4523, "45.2%"),
        (fmt.change_points, 0.031, "+3.1 points"),
        (fmt.change_points, -0.2, "-20.0 points"),
    ],
)
def test_uk_number_formats(function, value, shown):
    assert function(value) == shown


def test_the_data_dictionary_page_lists_every_field_of_the_chosen_source(built_warehouse, monkeypatch):
    from data_contracts.to_dictionary import dictionary

    at = app(built_warehouse.path, monkeypatch).run()  # pages registered with a url_path are known after a first run
    at.switch_page("app_pages/data_dictionary.py").run()
    assert not at.exception
    assert [t.value for t in at.title] == ["Data dictionary"]
    shown = sum(len(frame.value) for frame in at.dataframe)
    assert shown == dictionary().filter(dictionary()["source"] == at.selectbox(key="dictionary_source").value).height
    at.selectbox(key="dictionary_source").select("Issue events").run()
    assert [s.value for s in at.subheader] == ["Issue events (issue_events)"]
    assert len(at.dataframe[0].value) == 11


def test_the_data_dictionary_page_documents_the_published_warehouse(built_warehouse, monkeypatch):
    import warehouse

    at = app(built_warehouse.path, monkeypatch).run()
    at.switch_page("app_pages/data_dictionary.py").run()
    at.selectbox(key="dictionary_source").select("The published warehouse (for analysts)").run()
    assert not at.exception
    tables = [row["table"] for row in warehouse.table_docs()]
    assert [s.value for s in at.subheader] == list(dict.fromkeys(tables))
    assert sum(len(frame.value) for frame in at.dataframe) == len(tables)
    assert "marts.indicator_values" in [s.value for s in at.subheader]

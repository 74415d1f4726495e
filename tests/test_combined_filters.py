"""Every filter applies to every figure: for random combinations of filters and ranges of quarters, the figures the
pages show (the query-time engine, as dashboard/queries.figures runs it) re-aggregate exactly from the rows of the
awards extract for the same filters (dashboard/queries.extract); and the Overview shows them."""

import duckdb
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from dashboard import figures, queries
from dashboard import format as fmt
from etl import indicators
from tests.test_dashboard import APP

QUARTERS = [f"{year} Q{q}" for year in ("2024-25", "2025-26", "2026-27") for q in (1, 2, 3, 4)]


@pytest.fixture(scope="module")
def choices(built_warehouse):
    con = duckdb.connect(str(built_warehouse.database), read_only=True)
    try:
        names = con.sql("select breakdown, code from marts.breakdown_names").pl()
        bodies = con.sql("select distinct body_code from marts.awards where body_code is not null order by 1").pl()["body_code"]
    finally:
        con.close()
    codes = {b: rows["code"].to_list() for (b,), rows in names.partition_by("breakdown", as_dict=True).items()}
    return codes | {"public_body": bodies.to_list()}


def engine(database, ids, first, last, filters):
    con = duckdb.connect(str(database), read_only=True)
    try:
        return con.sql(indicators.figures_sql(), params=indicators.figure_params(
            ids, [figures.span(figures.NOW, figures.period_index(first), figures.period_index(last))], "all",
            {k: [v] for k, v in filters.items()})).pl()
    finally:
        con.close()


URL_OF = {"public_body": "body", "body_type": "body_type", "district": "district", "combined_authority": "combined_authority",
          "region": "region", "nation": "nation", "size_band": "size", "smaller_organisation": "size"}


@st.composite
def filter_sets(draw, codes):
    keys = draw(st.lists(st.sampled_from(sorted(URL_OF)), min_size=1, max_size=3, unique_by=lambda k: URL_OF[k]))
    chosen = {k: draw(st.sampled_from(codes[k])) for k in keys}
    first, last = sorted(draw(st.lists(st.sampled_from(QUARTERS), min_size=2, max_size=2)))
    return chosen, first, last


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_page_figures_re_aggregate_from_the_extract_for_any_filters(built_warehouse, choices, data):
    chosen, first, last = data.draw(filter_sets(choices))
    values = {url: None for url in set(URL_OF.values())} | {URL_OF[k]: code for k, code in chosen.items()}
    rows = queries.extract("awards", values, first, last, database_path=built_warehouse.database)
    found = engine(built_warehouse.database, ["awards_paid_in_advance", "funding_to_smaller_organisations"], first, last, chosen)
    by_id = dict(zip(found["indicator_id"], found.iter_rows(named=True)))

    paid = by_id.get("awards_paid_in_advance")
    known = rows.filter(pl.col("paid_in_advance").is_not_null())
    assert (paid["numerator"], paid["denominator"], paid["lacking"]) == (
        float(known["paid_in_advance"].sum()), float(known.height), rows.height - known.height) if paid else rows.is_empty()
    smaller = by_id.get("funding_to_smaller_organisations")
    if "size_band" in chosen or "smaller_organisation" in chosen:
        assert smaller is None  # not given within a size: the page says so
    elif smaller:
        usable = rows.filter(pl.col("smaller_organisation").is_not_null() & pl.col("amount_gbp").is_not_null())
        assert smaller["numerator"] == pytest.approx(usable.filter(pl.col("smaller_organisation"))["amount_gbp"].sum())
        assert smaller["denominator"] == pytest.approx(usable["amount_gbp"].sum())
    else:
        assert rows.is_empty()


def test_the_overview_shows_exactly_the_awards_of_a_type_region_and_size(built_warehouse, monkeypatch):
    """Local authority + North West: funding to smaller organisations for exactly those awards; adding Small: awards
    paid in advance for exactly those."""
    monkeypatch.setenv("COVENANT_WAREHOUSE", str(built_warehouse.path))
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update({"body_type": "local_authority", "region": "E12000002", "from": "2025-26", "to": "2025-26"})
    at.run()
    assert not at.exception
    values = {url: None for url in set(URL_OF.values())} | {"body_type": "local_authority", "region": "E12000002"}
    rows = queries.extract("awards", values, "2025-26 Q1", "2025-26 Q4", database_path=built_warehouse.database)
    usable = rows.filter(pl.col("smaller_organisation").is_not_null() & pl.col("amount_gbp").is_not_null())
    share = 100 * usable.filter(pl.col("smaller_organisation"))["amount_gbp"].sum() / usable["amount_gbp"].sum()
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Funding to smaller organisations"] == fmt.indicator_value(share, "percent of value")

    at.selectbox(key="filter_size").select("small").run()
    assert not at.exception
    assert at.query_params["size"] in ("small", ["small"]) and at.query_params["region"] in ("E12000002", ["E12000002"])
    small = queries.extract("awards", values | {"size": "small"}, "2025-26 Q1", "2025-26 Q4", database_path=built_warehouse.database)
    known = small.filter(pl.col("paid_in_advance").is_not_null())
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Awards paid in advance"] == fmt.indicator_value(100 * known["paid_in_advance"].sum() / known.height, "percent")
    assert metrics["Funding to smaller organisations"] == "–"  # not given within one size
    assert any("Issue figures follow Local authority only" in c.value for c in at.caption)


def app_at(built_warehouse, monkeypatch, page: str, **params) -> AppTest:
    monkeypatch.setenv("COVENANT_WAREHOUSE", str(built_warehouse.path))
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update(params)
    at.run()
    at.switch_page(f"app_pages/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_a_body_is_ranked_among_the_bodies_of_its_type_and_marked_in_their_ranking(built_warehouse, monkeypatch):
    at = app_at(built_warehouse, monkeypatch, "public_bodies", body="DCMS", **{"from": "2025-26", "to": "2025-26"})
    table = next(f.value for f in at.dataframe if "Rank among ministerial departments" in f.value.columns)
    con = duckdb.connect(str(built_warehouse.database), read_only=True)
    try:
        shares = con.sql(indicators.figures_sql(), params=indicators.figure_params(
            ["awards_paid_in_advance"], [figures.span(figures.NOW, 8100, 8103)], "public_body",
            {"body_type": ["ministerial_department"]})).pl().filter(pl.col("value").is_not_null())
    finally:
        con.close()
    better = shares.filter(pl.col("value") > shares.filter(pl.col("breakdown_code") == "DCMS")["value"]).height
    row = table[table["Indicator"] == "Awards paid in advance"]
    assert row["Rank among ministerial departments"].tolist() == [better + 1]  # numbers, as the CSV holds them
    assert row["Of (peers with a value)"].tolist() == [shares.height]
    ranking = " ".join(m.value for m in at.markdown if "(marked ▶)" in m.value)
    assert "Department for Culture, Media and Sport (marked ▶) is" in ranking


def test_up_to_four_bodies_side_by_side_with_the_engines_values(built_warehouse, monkeypatch):
    at = app_at(built_warehouse, monkeypatch, "public_bodies", compare="DCMS,DFE,HO", **{"from": "2025-26", "to": "2025-26"})
    side = next(f.value for f in at.dataframe if {"Department for Education", "Home Office"} <= set(f.value.columns))
    assert list(side.columns) == ["Indicator", "Department for Culture, Media and Sport", "Department for Education", "Home Office"]
    con = duckdb.connect(str(built_warehouse.database), read_only=True)
    try:
        found = con.sql(indicators.figures_sql(), params=indicators.figure_params(
            ["awards_paid_in_advance"], [figures.span(figures.NOW, 8100, 8103)], "public_body", {"public_body": ["HO"]})).pl()
    finally:
        con.close()
    row = side[side["Indicator"] == "Awards paid in advance"]
    assert row["Home Office"].tolist() == [fmt.indicator_value(found["value"][0], "percent")]
    assert at.multiselect(key="compare_DCMS,DFE,HO").value == ["DCMS", "DFE", "HO"]


def test_places_side_by_side_and_a_district_marked_among_its_regions_districts(built_warehouse, monkeypatch):
    at = app_at(built_warehouse, monkeypatch, "localities", region="E12000003", district="E08000038",
                compare_places="E12000003,E12000002,W92000004")
    side = next(f.value for f in at.dataframe if "Wales (nation)" in f.value.columns)
    assert list(side.columns) == ["Indicator", "Yorkshire and The Humber (region)", "North West (region)", "Wales (nation)"]
    ranking = " ".join(m.value for m in at.markdown if "(marked ▶)" in m.value)
    assert "Barnsley (marked ▶) is" in ranking and "districts" in ranking
    districts = next(f.value for f in at.dataframe if "District" in f.value.columns and "Rank" in f.value.columns)
    con = duckdb.connect(str(built_warehouse.database), read_only=True)
    try:
        inside = {c for (c,) in con.execute("select gss_code from reference.localities where level = 'district' "
                                            "and region_code = 'E12000003'").fetchall()}
    finally:
        con.close()
    assert set(districts["Code"]) <= inside  # the ranking keeps the region chosen


def test_a_range_of_quarters_is_added_up_exactly_and_compared_with_the_same_quarters_a_year_before(built_warehouse, monkeypatch):
    at = app_at(built_warehouse, monkeypatch, "overview", **{"from": "2025-26 Q2", "to": "2025-26 Q3"})
    assert any("All public bodies and places, 2025-26 Q2 to Q3, compared with 2024-25 Q2 to Q3: the same quarters a year "
               "before, and the baseline" in c.value
               for c in at.caption)
    values = {url: None for url in set(URL_OF.values())}
    now = queries.extract("awards", values, "2025-26 Q2", "2025-26 Q3", database_path=built_warehouse.database)
    before = queries.extract("awards", values, "2024-25 Q2", "2024-25 Q3", database_path=built_warehouse.database)

    def share(rows):
        known = rows.filter(pl.col("paid_in_advance").is_not_null())
        return 100 * known["paid_in_advance"].sum() / known.height

    shown = next(m for m in at.metric if m.label == "Awards paid in advance")
    assert shown.value == fmt.indicator_value(share(now), "percent")
    assert shown.delta == fmt.indicator_change(share(now) - share(before), "percent")

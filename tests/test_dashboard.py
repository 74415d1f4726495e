"""The dashboard, headless (AppTest): pages render from the published warehouse, filters change the numbers."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard import format as fmt
from tests.conftest import query

APP = str(Path(__file__).resolve().parent.parent / "dashboard" / "app.py")


def app(warehouse: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("COVENANT_WAREHOUSE", str(warehouse))
    return AppTest.from_file(APP, default_timeout=60)


def headline_values(database: Path, breakdown: str = "all", code: str | None = None, year: str = "2025-26") -> dict[str, str]:
    """What the overview should show for each headline indicator: its value in the latest complete financial year
    (2025-26 in the demo), formatted; – where it has none."""
    rows = query(database, """
        select i.name, v.value, i.unit, coalesce(v.suppressed, false) from marts.indicators i
        left join marts.indicator_values v on v.indicator_id = i.indicator_id and v.period_level = 'year'
         and v.financial_year = ? and v.breakdown = ? and v.breakdown_code is not distinct from ?
        where i.headline""", [year, breakdown, code])
    return {name: fmt.indicator_value(value, unit, suppressed) for name, value, unit, suppressed in rows}


def shown_metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_overview_shows_each_principles_headline_figures(built_warehouse, monkeypatch):
    at = app(built_warehouse.path, monkeypatch).run()
    assert not at.exception
    assert [t.value for t in at.title] == ["Overview"]
    assert [s.value for s in at.header][:5] == ["Recognition and value", "Partnership and collaboration",
                                                   "Participation and inclusion", "Transparency", "Accountability"]
    assert shown_metrics(at) == headline_values(built_warehouse.database)
    assert any("All public bodies and places, 2025-26 (the latest complete financial year" in c.value
               for c in at.caption)  # 2026-27 is not over


def test_choosing_a_body_changes_the_numbers_and_the_url(built_warehouse, monkeypatch):
    at = app(built_warehouse.path, monkeypatch).run()
    everything = shown_metrics(at)
    at.selectbox(key="filter_body").select("DCMS").run()
    assert not at.exception
    assert shown_metrics(at) == headline_values(built_warehouse.database, "public_body", "DCMS")
    assert shown_metrics(at) != everything
    # a figure built on returns says whose returns it is from; one on a low base says so, and has no RAG
    assert any("returns from 1 of 1 body" in c.value for c in at.caption)
    assert not any("Low base" in c.value and ("Green (" in c.value or "Red (" in c.value or "Amber (" in c.value)
                   for c in at.caption)
    assert at.query_params["body"] == ["DCMS"] or at.query_params["body"] == "DCMS"


def test_a_link_with_filters_reopens_the_same_view(built_warehouse, monkeypatch):
    at = app(built_warehouse.path, monkeypatch)
    at.query_params["body_type"] = "local_authority"
    at.query_params["from"] = "2025-26"
    at.run()
    assert not at.exception
    assert at.selectbox(key="filter_body_type").value == "local_authority"
    assert at.select_slider(key="period").value == ("2025-26 Q1", "2026-27 Q4")
    assert shown_metrics(at) == headline_values(built_warehouse.database, "body_type", "local_authority")


def test_a_link_with_a_range_of_quarters_reopens_it(built_warehouse, monkeypatch):
    at = app(built_warehouse.path, monkeypatch)
    at.query_params["from"] = "2025-26 Q2"
    at.query_params["to"] = "2026-27 Q1"
    at.query_params["principle"] = "accountability"
    at.run()
    at.switch_page("app_pages/principles.py").run()
    assert not at.exception
    assert at.select_slider(key="period").value == ("2025-26 Q2", "2026-27 Q1")
    trend = next(frame.value for frame in at.dataframe if "Quarter" in frame.value.columns)
    assert [q.removesuffix(" (to date)") for q in trend["Quarter"]] == ["2025-26 Q2", "2025-26 Q3", "2025-26 Q4", "2026-27 Q1"]
    assert any("issue figures, published by financial year, cover the years they touch (2025-26 to 2026-27)" in c.value
               for c in at.sidebar.caption)
    at.select_slider(key="period").set_value(("2025-26 Q3", "2025-26 Q4")).run()
    assert (at.query_params["from"], at.query_params["to"]) in ((["2025-26 Q3"], ["2025-26 Q4"]), ("2025-26 Q3", "2025-26 Q4"))


@pytest.mark.parametrize("name, value", [("district", "E0'; drop table marts.awards; --"), ("body", "x" * 5000),
                                         ("from", "1999-00"), ("to", "2025-26 Q5"), ("principle", "<script>alert(1)</script>")])
def test_an_unknown_code_in_the_url_gives_a_message_not_a_traceback(built_warehouse, monkeypatch, name, value):
    at = app(built_warehouse.path, monkeypatch)
    at.query_params[name] = value
    at.run()
    assert not at.exception
    assert any("which the data does not have, so it is ignored" in w.value for w in at.warning)
    assert shown_metrics(at) == headline_values(built_warehouse.database)
    assert query(built_warehouse.database, "select count(*) > 0 from marts.awards") == [(True,)]


def test_no_warehouse_gives_a_message_not_a_traceback(tmp_path, monkeypatch):
    at = app(tmp_path / "nothing-here", monkeypatch).run()
    assert not at.exception
    assert "No data has been published yet" in at.info[0].value
    assert not at.metric


def test_pages_that_draw_charts_ask_the_browser_for_the_chart_code_first(built_warehouse, monkeypatch):
    from dashboard import chart_code

    assert chart_code.CHUNK is not None, "Streamlit's Plotly chunk was not found: see dashboard/chart_code.py"
    at = app(built_warehouse.path, monkeypatch).run()
    (script,) = at.main.children[0].children.values()  # before the page's own elements
    assert chart_code.CHUNK.name in script.proto.body and script.proto.unsafe_allow_javascript
    at.switch_page("app_pages/accessibility.py").run()  # a page without charts does not
    assert not [e for e in [*at.get("html"), *at.markdown] if chart_code.CHUNK.name in str(e.proto)]


def test_the_loaded_libraries_are_set_aside_from_garbage_collection_once(built_warehouse, monkeypatch):
    import gc

    at = app(built_warehouse.path, monkeypatch).run()
    assert gc.get_freeze_count() > 0
    again = []
    monkeypatch.setattr(gc, "freeze", lambda: again.append(True))
    at.switch_page("app_pages/principles.py").run()  # later runs set nothing more aside: what pages make is collected
    assert not at.exception and again == []


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


@pytest.mark.parametrize(("noun", "nouns"), [("executive agency", "executive agencies"), ("local authority", "local authorities"),
                                             ("integrated care board", "integrated care boards"),
                                             ("police and crime commissioner", "police and crime commissioners"),
                                             ("non-departmental public body", "non-departmental public bodies")])
def test_plural_nouns(noun, nouns):
    assert fmt.plural_noun(noun) == nouns


@pytest.mark.parametrize(("period", "as_of", "shown"), [
    ("2025-26 Q3", dt.date(2026, 11, 25), "10 to 14 months"),  # 1 Oct 2025 to 31 Dec 2025
    ("2026-27 Q3", dt.date(2026, 11, 25), "under 2 months"),  # the quarter not over
    ("2026-27 Q2", dt.date(2026, 11, 25), "1 to 5 months"),  # 30 Sep is 1 month 25 days before; 1 Jul 4 months 24 days
    ("2024-25 Q4", dt.date(2025, 3, 31), "under 3 months"),
])
def test_how_long_open_issues_have_waited(period, as_of, shown):
    assert fmt.waited_since_quarter(period, as_of) == shown


def test_the_issues_page_shows_the_open_backlog_by_quarter_raised(built_warehouse, monkeypatch):
    at = app(built_warehouse.path, monkeypatch).run()
    at.switch_page("app_pages/issues.py").run()
    assert not at.exception
    assert "The open backlog by age" in [s.value for s in at.subheader]
    table = next(frame.value for frame in at.dataframe if "Quarter raised" in frame.value.columns)
    expected = query(built_warehouse.database, """select period, value, suppressed from marts.indicator_values
        where indicator_id = 'issues_still_open' and breakdown = 'all' and period_level = 'quarter' order by period""")
    assert list(table["Quarter raised"]) == [p for p, _, _ in expected]
    # numbers, not text: a suppressed count is empty and marked, as an analyst's CSV needs
    assert [None if v != v else v for v in table["Still open (issues)"]] == [None if s else round(v) for _, v, s in expected]
    assert list(table["Suppressed ([c]: fewer than 5, or could be worked out)"]) == [s for _, _, s in expected]
    assert len(expected) > 4  # a quarter each from 2024-25 Q1 on


def test_the_data_dictionary_page_lists_every_field_of_the_chosen_source(built_warehouse, monkeypatch):
    from data_contracts.to_dictionary import dictionary

    at = app(built_warehouse.path, monkeypatch).run()  # pages registered with a url_path are known after a first run
    at.switch_page("app_pages/data_dictionary.py").run()
    assert not at.exception
    assert [t.value for t in at.title] == ["Data dictionary"]
    shown = sum(len(frame.value) for frame in at.dataframe)
    assert shown == dictionary().filter(dictionary()["source"] == at.selectbox(key="dictionary_source").value).height
    at.selectbox(key="dictionary_source").select("Issue events").run()
    assert [s.value for s in at.header] == ["Issue events (issue_events)"]
    assert len(at.dataframe[0].value) == 11


def test_the_data_dictionary_page_documents_the_published_warehouse(built_warehouse, monkeypatch):
    import warehouse

    at = app(built_warehouse.path, monkeypatch).run()
    at.switch_page("app_pages/data_dictionary.py").run()
    at.selectbox(key="dictionary_source").select("The published warehouse (for analysts)").run()
    assert not at.exception
    tables = [row["table"] for row in warehouse.table_docs()]
    assert [s.value for s in at.header] == list(dict.fromkeys(tables))
    assert sum(len(frame.value) for frame in at.dataframe) == len(tables)
    assert "marts.indicator_values" in [s.value for s in at.header]


def test_the_principles_page_shows_every_indicator_of_the_chosen_principle(built_warehouse, monkeypatch):
    at = app(built_warehouse.path, monkeypatch)
    at.query_params["principle"] = "partnership"
    at.run()
    at.switch_page("app_pages/principles.py").run()
    assert not at.exception
    assert at.header[0].value == "Partnership and collaboration"
    names = [name for (name,) in query(built_warehouse.database,
                                       "select name from marts.indicators where principle = 'partnership' order by sort_order")]
    subheaders = [s.value for s in at.subheader]
    assert [s for s in subheaders if s in names] == names
    # at a glance: one column of change when the year before is the 2024-25 baseline (the demo's headline is 2025-26)
    assert list(at.dataframe[0].value.columns) == ["Indicator", "Value", "Numerator of denominator", "Since 2024-25 (the baseline)", "RAG"]
    # every chart has its summary, table and downloads (its data as CSV, itself as PNG and SVG); and the principle its briefing pack
    assert len(at.get("plotly_chart")) == len([s for s in subheaders if " by " in s])
    labels = [button.proto.label for button in at.get("download_button")]
    assert len(labels) == 3 * len(at.get("plotly_chart")) + 1
    assert labels[0] == "Download a briefing pack on Partnership and collaboration (PDF)"


def principle_charts(at: AppTest) -> list[str]:
    """The titles of the charts drawn on the Principles page."""
    return [s.value for s in at.subheader if " by " in s.value]


def test_the_principles_page_opens_with_the_first_indicators_charts_and_draws_others_when_opened(built_warehouse, monkeypatch):
    at = app(built_warehouse.path, monkeypatch)
    at.query_params["principle"] = "partnership"
    at.run()
    at.switch_page("app_pages/principles.py").run()
    ids = [i for (i,) in query(built_warehouse.database, """select indicator_id from marts.indicators
                                                           where principle = 'partnership' order by sort_order""")]
    names = dict(query(built_warehouse.database, "select indicator_id, name from marts.indicators"))
    # the first indicator's charts are drawn (a trend and a comparison); every other one's can be opened
    assert [c.split(" by ")[0] for c in principle_charts(at)] == [names[ids[0]]] * 2
    assert [e.label for e in at.expander if e.label.startswith("Trend by quarter")] == [
        f"Trend by quarter and comparison: {names[i]}" for i in ids[1:]]
    # opening another draws its charts (the browser tests see it put in the link)
    at.session_state[f"charts-{ids[2]}"] = True
    at.run()
    assert not at.exception
    assert [c.split(" by ")[0] for c in principle_charts(at)] == [names[ids[0]]] * 2 + [names[ids[2]]] * 2
    # a link with it open reopens that view
    link = app(built_warehouse.path, monkeypatch)
    for key, value in {"principle": "partnership", f"charts-{ids[2]}": "true"}.items():
        link.query_params[key] = value
    link.run()
    link.switch_page("app_pages/principles.py").run()
    assert [c.split(" by ")[0] for c in principle_charts(link)] == [names[ids[0]]] * 2 + [names[ids[2]]] * 2


def test_every_view_of_a_principle_draws_its_first_published_indicators_charts(built_warehouse, monkeypatch):
    at = app(built_warehouse.path, monkeypatch)
    at.query_params["principle"] = "participation"
    at.run()
    at.switch_page("app_pages/principles.py").run()
    for key, value in (("filter_size", "small"), ("filter_size", None), ("filter_region", "E12000003"), ("filter_region", None)):
        at.selectbox(key=key).select(value).run()  # the first indicator published changes with the view
        assert not at.exception
        subheaders = [s.value for s in at.subheader]
        first_chart = next(i for i, s in enumerate(subheaders) if " by " in s)
        assert subheaders[first_chart].startswith(subheaders[first_chart - 1] + " by ")  # right under its indicator
        published = [e.label.split(": ", 1)[1] for e in at.expander if e.label.startswith("Trend by quarter")]
        assert subheaders[first_chart - 1] not in published  # drawn, not behind an expander


@pytest.mark.parametrize("value", ["<script>alert(1)</script>", "1", "x" * 5000, "' OR 1=1 --"])
def test_an_unknown_value_for_an_indicators_charts_in_the_url_is_ignored(built_warehouse, monkeypatch, value):
    at = app(built_warehouse.path, monkeypatch)
    at.query_params["principle"] = "partnership"
    at.query_params["charts-awards_three_years_or_more"] = value  # the second indicator's
    at.run()
    at.switch_page("app_pages/principles.py").run()
    assert not at.exception
    assert [c.split(" by ")[0] for c in principle_charts(at)] == ["Awards paid in advance"] * 2  # as the page opens
    assert "charts-awards_three_years_or_more" not in at.query_params


def test_a_breakdown_chart_follows_the_chosen_breakdown(built_warehouse, monkeypatch):
    at = app(built_warehouse.path, monkeypatch)
    at.query_params["principle"] = "partnership"
    at.run()
    at.switch_page("app_pages/principles.py").run()
    box = at.selectbox(key="by-awards_paid_in_advance")
    assert box.value == "body_type"
    box.select("nation").run()
    assert not at.exception
    assert any(s.value.startswith("Awards paid in advance by nation") for s in at.subheader)


def test_the_issues_page_shows_only_disclosure_controlled_figures(built_warehouse, monkeypatch):
    at = app(built_warehouse.path, monkeypatch).run()
    at.switch_page("app_pages/issues.py").run()
    assert not at.exception
    assert [m.label for m in at.metric] == ["Issues raised", "Issues resolved", "Median days to resolve an issue",
                                            "Issues not resolved within 90 days"]
    raised, suppressed = query(built_warehouse.database, """select value, suppressed from marts.indicator_values
                               where indicator_id = 'issues_raised' and breakdown = 'all' and period_level = 'year'
                               and period_complete order by financial_year desc limit 1""")[0]
    assert at.metric[0].value == fmt.indicator_value(raised, "issues", suppressed)
    tables = [frame.value for frame in at.dataframe]
    assert tables
    for frame in tables:
        for column in ("Numerator", "Denominator", "Records lacking the field"):
            if column in frame.columns:
                counts = [v for v in frame[column].tolist() if v == v and v is not None]
                assert not [v for v in counts if 1 <= v <= 4], column
    marked = [frame for frame in tables if "Suppressed ([c]: fewer than 5, or could be worked out)" in frame.columns]
    assert any(frame["Suppressed ([c]: fewer than 5, or could be worked out)"].any() for frame in marked)
    for frame in marked:  # a suppressed value is empty, never a number
        (values,) = [c for c in frame.columns if c.startswith(("Value (", "Still open ("))]
        assert frame[frame["Suppressed ([c]: fewer than 5, or could be worked out)"]][values].isna().all()


def test_the_public_bodies_scorecard_groups_bodies_with_their_peers(built_warehouse, monkeypatch):
    at = app(built_warehouse.path, monkeypatch)
    at.query_params["body_type"] = "ministerial_department"
    at.run()
    at.switch_page("app_pages/public_bodies.py").run()
    assert not at.exception
    assert at.header[0].value == "Scorecard, 2025-26"  # the latest complete year
    (table,) = [frame.value for frame in at.dataframe]
    departments = query(built_warehouse.database, """select count(distinct breakdown_code) from marts.indicator_values
        join reference.public_bodies on code = breakdown_code
        where breakdown = 'public_body' and financial_year = '2025-26' and body_type = 'ministerial_department'""")[0][0]
    assert table.shape[0] == departments + 1 and table["Public body"].iloc[-1] == "Median of these bodies"


def test_a_body_profile_compares_it_with_the_median_of_its_peers(built_warehouse, monkeypatch):
    at = app(built_warehouse.path, monkeypatch)
    at.query_params["body"] = "DCMS"
    at.run()
    at.switch_page("app_pages/public_bodies.py").run()
    assert not at.exception
    assert at.header[0].value == "Department for Culture, Media and Sport"
    value, median = query(built_warehouse.database, """
        select v.value, median(v.value) filter (where b.body_type = 'ministerial_department') over () from marts.indicator_values v
        join reference.public_bodies b on b.code = v.breakdown_code
        where v.indicator_id = 'awards_paid_in_advance' and v.breakdown = 'public_body' and v.period = '2025-26'
        qualify v.breakdown_code = 'DCMS'""")[0]
    table = next(frame for frame in (element.value for element in at.dataframe) if "Median of its peers" in frame.columns)
    row = table[table["Indicator"] == "Awards paid in advance"].iloc[0]
    assert row["Department for Culture, Media and Sport"] == round(value, 2)  # numbers, in the indicator's unit
    assert row["Median of its peers"] == round(median, 2)
    assert table["Unit"].isin(["percent", "percent of value", "percent of bodies", "percent of committed", "£ per head",
                               "per 100 organisations", "days", "issues", "districts", "organisations"]).all()
    # its commitments and consultations, with dates as UK readers write them
    commitments = next(frame.value for frame in at.dataframe if "Due" in frame.value.columns)
    (due,) = query(built_warehouse.database, """select cast(due_date as date) from marts.commitments where body_code = 'DCMS'
        qualify period = max(period) over () order by principle, commitment_ref limit 1""")[0]
    assert commitments["Due"].iloc[0] == f"{due.day} {due:%b %Y}"
    consultations = next(frame.value for frame in at.dataframe if "Closed" in frame.value.columns)
    assert consultations["Closed"].str.fullmatch(r"\d{1,2} [A-Z][a-z]{2} \d{4}|–").all()


def test_the_downloads_page_previews_the_extract_that_follows_the_filters(built_warehouse, monkeypatch):
    at = app(built_warehouse.path, monkeypatch)
    at.query_params["body"] = "DCMS"
    at.run()
    at.switch_page("app_pages/downloads.py").run()
    at.selectbox(key="dataset").select("awards").run()
    assert not at.exception
    preview = at.dataframe[0].value
    assert len(preview) > 0 and set(preview["body_code"]) == {"DCMS"}
    assert [h.value for h in at.header][:3] == ["Build an extract", "The whole warehouse", "How the figures are calculated"]


def test_the_data_quality_page_accounts_for_every_quarantined_row(built_warehouse, monkeypatch):
    at = app(built_warehouse.path, monkeypatch).run()
    at.switch_page("app_pages/data_quality.py").run()
    assert not at.exception
    assert [h.value for h in at.header][:9] == ["Load history", "What's new in this release", "Returns in, by quarter", "Funders' files, by financial year",
                                                "Validation by source", "Quarantined rows by reason",
                                                "Issue figures: disclosure control", "Files", "Great Expectations Data Docs"]
    # which bodies' returns are in, quarter by quarter: every body asked, those without one named
    coverage = next(f.value for f in at.dataframe if "Bodies with a return" in f.value.columns)
    returned = dict(query(built_warehouse.database, "select period, count(distinct body_code) from marts.body_quarters group by 1"))
    late = dict(query(built_warehouse.database, "select period, count(distinct body_code) from marts.body_quarters "
                                                "where submitted_on > due_on group by 1"))
    bodies = query(built_warehouse.database, "select count(*) from reference.public_bodies")[0][0]
    lacking = next(f.value for f in at.dataframe if "Return" in f.value.columns)  # a line for each body lagging
    named = lacking.groupby(["Quarter", "Return"]).size().to_dict()
    for row in coverage.to_dict("records"):
        assert row["Bodies with a return"] == returned.get(row["Quarter"], 0) and row["Bodies asked"] == bodies
        assert row["Of which late"] == late.get(row["Quarter"], 0) == named.get((row["Quarter"], "late"), 0)
        assert row["Bodies with none"] == bodies - row["Bodies with a return"] == named.get((row["Quarter"], "none"), 0)
    assert sum(named.values()) == lacking.shape[0] and not lacking["Public body"].isna().any()
    assert coverage["Quarter"].iloc[-1] == "2024-25 Q1"
    # which funders' files are in, year by year: every award loaded counted once, under its funder and year
    funders = next(f.value for f in at.dataframe if "Nothing published for" in f.value.columns)
    years = [c for c in funders.columns if c[:2] == "20"]
    awards = sum(int(cell.split(" in ")[0].replace(",", "")) for y in years for cell in funders[y] if " in " in cell)
    assert awards == query(built_warehouse.database, "select count(*) from marts.awards")[0][0]
    assert years == [y for (y,) in query(built_warehouse.database, "select distinct financial_year from marts.awards order by 1")]
    disclosure = next(f.value for f in at.dataframe if "Suppressed [c]" in f.value.columns)
    statuses = dict(query(built_warehouse.database, "select status, count(*) from marts.issue_figures group by 1"))
    assert disclosure["Counts"].sum() == sum(statuses.values()) and disclosure["Published"].sum() == statuses["published"]
    assert disclosure["Suppressed [c]"].sum() == statuses["suppressed"]
    assert disclosure["Part of a small total [c]"].sum() == statuses["withheld"]
    reasons = next(f.value for f in at.dataframe if "Reason" in f.value.columns)
    assert reasons["Rows"].sum() == query(built_warehouse.database, "select count(*) from quarantine.rows")[0][0]
    assert "issue_events" not in set(reasons["Dataset"])
    validation = next(f.value for f in at.dataframe if "Expectations checked" in f.value.columns)
    assert validation[validation["Dataset"] == "issue_events"]["Rows breaking a rule"].tolist() == ["withheld"]


def test_the_localities_map_shows_every_nation_and_region(built_warehouse, monkeypatch):
    at = app(built_warehouse.path, monkeypatch)
    at.query_params["region"] = "E12000003"
    at.run()
    at.switch_page("app_pages/localities.py").run()
    assert not at.exception
    assert any(s.value == "Funding per head of population by nation and region, 2025-26" for s in at.subheader)  # the latest complete year
    table = next(f.value for f in at.dataframe if "Place" in f.value.columns)
    assert len(table) == 12  # nine English regions and three nations
    (yorkshire,) = query(built_warehouse.database, """select value from marts.indicator_values where indicator_id = 'funding_per_head'
                         and breakdown = 'region' and breakdown_code = 'E12000003' and period = '2025-26'""")[0]
    assert table[table["GSS code"] == "E12000003"]["Value (£ per head)"].tolist() == [round(yorkshire, 2)]
    assert any("Barnsley Metropolitan Borough Council" in m.value for m in at.markdown)


def test_the_organisation_size_page_follows_the_filters(built_warehouse, monkeypatch):
    at = app(built_warehouse.path, monkeypatch)
    at.query_params["body_type"] = "local_authority"
    at.run()
    at.switch_page("app_pages/organisation_size.py").run()
    assert not at.exception
    table = next(f.value for f in at.dataframe if "Share of funding (%)" in f.value.columns)
    (awards,) = query(built_warehouse.database, """select count(*) from marts.awards
                      where body_type = 'local_authority' and financial_year = '2025-26'""")[0]
    assert table["Awards"].sum() == awards
    assert [m.label for m in at.metric] == ["Funding to smaller organisations", "Awards to smaller organisations"]


FILTERED_PAGES = ["overview.py", "principles.py", "public_bodies.py", "localities.py", "organisation_size.py", "issues.py",
                  "downloads.py"]


def page_text(at: AppTest) -> str:
    """Everything a page shows in words and numbers: metrics, text and tables."""
    parts = [f"{m.label}={m.value}" for m in at.metric] + [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [frame.value.to_csv() for frame in at.dataframe]
    return "\n".join(parts)


@pytest.mark.parametrize("page", FILTERED_PAGES)
def test_every_page_restores_its_filters_from_the_url_and_follows_them(built_warehouse, monkeypatch, page):
    everything = app(built_warehouse.path, monkeypatch).run()
    everything.switch_page(f"app_pages/{page}").run()
    assert not everything.exception
    at = app(built_warehouse.path, monkeypatch)
    at.query_params["body_type"] = "local_authority"
    at.query_params["from"] = "2025-26"
    at.run()
    at.switch_page(f"app_pages/{page}").run()
    assert not at.exception
    assert at.selectbox(key="filter_body_type").value == "local_authority"
    assert at.select_slider(key="period").value == ("2025-26 Q1", "2026-27 Q4")
    assert page_text(at) != page_text(everything)


def test_an_empty_warehouse_gives_a_message_on_every_page(tmp_path, monkeypatch, make_inbox):
    from etl.build import build
    from tests.conftest import AS_OF

    inbox = make_inbox()
    warehouse = tmp_path / "empty-warehouse"
    assert build(inbox.path, warehouse, as_of=AS_OF).published
    at = app(warehouse, monkeypatch).run()
    for page in FILTERED_PAGES:
        at.switch_page(f"app_pages/{page}").run()
        assert not at.exception, page
        assert any("no figures yet" in i.value for i in at.info), page
    for page in ("data_quality.py", "data_dictionary.py", "accessibility.py"):
        at.switch_page(f"app_pages/{page}").run()
        assert not at.exception, page


def test_a_page_choice_is_kept_in_the_link(built_warehouse, monkeypatch):
    at = app(built_warehouse.path, monkeypatch).run()
    at.switch_page("app_pages/localities.py").run()
    at.selectbox(key="place_indicator").select("awards_paid_in_advance").run()
    assert not at.exception
    assert at.query_params["place_indicator"] in ("awards_paid_in_advance", ["awards_paid_in_advance"])
    again = app(built_warehouse.path, monkeypatch)
    again.query_params["place_indicator"] = "awards_paid_in_advance"
    again.query_params["region"] = "E12000003"
    again.run()
    again.switch_page("app_pages/localities.py").run()
    assert again.selectbox(key="place_indicator").value == "awards_paid_in_advance"
    assert again.selectbox(key="filter_region").value == "E12000003"
    assert any(s.value.startswith("Awards paid in advance by nation and region") for s in again.subheader)


def test_a_newly_published_warehouse_is_picked_up_without_a_restart(tmp_path, monkeypatch, make_inbox):
    from etl.build import build
    from tests.conftest import AS_OF, grant

    warehouse = tmp_path / "warehouse"
    first = make_inbox()
    first.funding_csv("grants.csv", [grant("360G-A-1", paid_in_advance="Yes")])
    assert build(first.path, warehouse, as_of=AS_OF).published
    at = app(warehouse, monkeypatch).run()
    assert not at.exception
    assert any("from 1 file:" in c.value for c in at.caption)
    second = make_inbox()
    second.funding_csv("a.csv", [grant("360G-B-1")])
    second.funding_csv("b.csv", [grant("360G-B-2")])
    assert build(second.path, warehouse, as_of=AS_OF).published
    at.run()  # the same session, the same process: the new release is read on the next run
    assert not at.exception
    assert any("from 2 files" in c.value for c in at.caption)


def test_no_page_calls_python_from_polars_threads():
    """polars' map_elements calls Python from polars' own threads; with several sessions drawing pages at once the
    server deadlocked (tests/test_load.py). Text columns are made with format.text_column instead."""
    code = {p.relative_to(Path(APP).parent): p.read_text(encoding="utf-8") for p in Path(APP).parent.rglob("*.py")}
    assert [str(path) for path, text in code.items() if re.search(r"\.map_(elements|batches|rows)\(", text)] == []
    assert len(code) >= 15


def test_the_overview_of_the_baseline_year_alone_says_there_is_nothing_to_compare(built_warehouse, monkeypatch):
    at = app(built_warehouse.path, monkeypatch)
    at.query_params["from"] = "2024-25 Q1"
    at.query_params["to"] = "2024-25 Q4"
    at.run()
    assert not at.exception
    assert any("end in the 2024-25 baseline itself" in c.value for c in at.caption)
    assert [t.value for t in at.title] == ["Overview"] and len(at.metric) >= 10


def test_an_indicator_has_its_own_view_one_click_from_its_figure(built_warehouse, monkeypatch):
    at = app(built_warehouse.path, monkeypatch).run()
    link = next(c.value for c in at.caption if "[Definition](indicators?" in c.value and "Engagement" not in c.value)
    assert "indicator=" in link
    at = app(built_warehouse.path, monkeypatch)
    at.query_params["indicator"] = "leads_named"
    at.run()
    at.switch_page("app_pages/indicators.py").run()
    assert not at.exception
    assert at.header[0].value == "Bodies with a ministerial lead and a senior official lead named"
    listed = next(m.value for m in at.markdown if "**RAG thresholds:**" in m.value)
    facts = dict(line[4:].replace("\\", "").split(":** ", 1) for line in listed.splitlines())
    assert facts["RAG thresholds"] == "green at 95.0% or more, amber at 80.0% or more, red below 80.0%"
    assert facts["Low base"] == "marked † and given no RAG when it rests on fewer than 10 in its denominator"
    assert "Integrated care board" not in facts["Applies to"] and "Local authority" in facts["Applies to"]
    assert facts["Sources"] == "Departmental returns" or "return" in facts["Sources"].lower()
    assert "ministerial_lead_named" in at.code[0].value  # its formula
    rests = next(m.value for m in at.markdown if m.value.startswith("For "))
    assert "records" in rests and "left out for lacking" in rests
    assert any(m.value == "None of its figures has been revised in the releases kept." for m in at.markdown)


@pytest.mark.parametrize("body_type", ["local_authority", "integrated_care_board"])
def test_a_local_bodys_profile_shows_nothing_that_does_not_apply_to_it(built_warehouse, monkeypatch, body_type):
    """A council has elected members, not ministers; an integrated care board has neither; no meeting is ever shown
    'of 0' committed (#20)."""
    body, held, committed = query(built_warehouse.database, """
        select q.body_code, q.meetings_held, q.meetings_committed from marts.body_quarters q
        join reference.public_bodies b on b.code = q.body_code
        where b.body_type = ? and q.financial_year = '2025-26'
        qualify q.period = max(q.period) over (partition by q.body_code)
        order by q.body_code limit 1""", [body_type])[0]
    at = app(built_warehouse.path, monkeypatch)
    at.query_params["body"] = body
    at.query_params["from"], at.query_params["to"] = "2025-26 Q1", "2025-26 Q4"
    at.run()
    at.switch_page("app_pages/public_bodies.py").run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert not [label for label in metrics if "Ministerial lead named" in label]
    if body_type == "local_authority":
        assert metrics["Elected member lead named"] in ("Yes", "No")
    else:
        assert metrics["Ministerial or elected member lead"] == "Not applicable"
    label = "Engagement meetings held, none committed" if committed == 0 else "Engagement meetings held of committed"
    assert metrics[label] == (f"{held}" if committed == 0 else f"{held} of {committed}")
    assert not [v for v in metrics.values() if v.endswith(" of 0")]

"""dashboard/figures.py on tiny frames: periods and windows, headlines with their changes, ranks, side by side."""

import datetime as dt

import polars as pl
import pytest

from dashboard import figures

DECLARED = pl.DataFrame({
    "indicator_id": ["paid_early", "late"], "name": ["Paid early", "Late"], "principle": ["partnership", "partnership"],
    "unit": ["percent", "percent"], "direction": ["higher", "lower"], "rag_green": [80.0, 5.0], "rag_amber": [60.0, 10.0],
    "sort_order": [1, 2], "needs": ["a date", "a date"], "base": ["denominator", "denominator"]})


@pytest.mark.parametrize("period,index,back", [("2025-26 Q1", 8100, "2025-26 Q1"), ("2025-26 Q4", 8103, "2025-26 Q4"),
                                               ("2024-25 Q2", 8097, "2024-25 Q2"), ("2026-27", 8104, "2026-27 Q1")])
def test_period_index_and_name(period, index, back):
    assert figures.period_index(period) == index
    assert figures.period_name(index) == back


@pytest.mark.parametrize("first,last,words", [
    (8100, 8103, "2025-26"), (8101, 8101, "2025-26 Q2"), (8101, 8102, "2025-26 Q2 to Q3"),
    (8103, 8104, "2025-26 Q4 to 2026-27 Q1"), (8096, 8103, "2024-25 to 2025-26")])
def test_span_names(first, last, words):
    assert figures.span_name(first, last) == words


def test_a_range_of_quarters_is_its_own_headline_and_whole_years_give_the_latest_complete_one():
    as_of = dt.date(2026, 11, 25)
    assert figures.headline_span("2025-26 Q2", "2025-26 Q3", as_of) == (8101, 8102)
    assert figures.headline_span("2024-25 Q1", "2026-27 Q4", as_of) == (8100, 8103)  # 2026-27 is not over
    assert figures.headline_span("2026-27 Q1", "2026-27 Q4", as_of) == (8104, 8107)  # only the year to date chosen


def test_comparison_windows_are_the_same_quarters_a_year_before_and_in_the_baseline():
    windows = {w["window_name"]: (w["first_index"], w["last_index"], w["period_level"])
               for w in figures.comparison_windows(8105, 8106)}  # 2026-27 Q2 to Q3
    assert windows == {"now": (8105, 8106, "range"), "year before": (8101, 8102, "range"),
                       "baseline": (8097, 8098, "range")}
    assert [w["window_name"] for w in figures.comparison_windows(8096, 8099)] == ["now", "year before"]  # 2024-25 itself


def test_series_windows():
    assert [w["window_name"] for w in figures.series_windows(8102, 8104, "quarter")] == ["2025-26 Q3", "2025-26 Q4", "2026-27 Q1"]
    assert [w["window_name"] for w in figures.series_windows(8102, 8104, "year")] == ["2025-26", "2026-27"]
    assert figures.series_windows(8100, 8103, "year")[0]["period_level"] == "year"


def engine_rows(rows, denominator: float = 100.0):
    """The engine's rows, each resting on `denominator` things (records and nothing lacking), unless a row gives its own."""
    rows = [row if len(row) == 8 else (*row, denominator, int(denominator)) for row in rows]
    return pl.DataFrame(rows, schema={"indicator_id": pl.Utf8, "window_name": pl.Utf8, "breakdown_code": pl.Utf8,
                                      "value": pl.Float64, "first_index": pl.Int64, "last_index": pl.Int64,
                                      "denominator": pl.Float64, "records": pl.Int64}, orient="row").with_columns(
        pl.lit(0, pl.Int64).alias("lacking"))


def test_a_figure_or_change_on_a_low_base_is_marked_and_has_no_rag():
    """Fewer than SMALL_BASE (10) things in the base: 0 of 2 projects now against 2 of 2 a year before."""
    found = engine_rows([("paid_early", "now", None, 0.0, 8105, 8106, 2.0, 2), ("paid_early", "year before", None, 100.0, 8101, 8102, 2.0, 2),
                         ("late", "now", None, 4.0, 8105, 8106, 50.0, 50), ("late", "year before", None, 9.0, 8101, 8102, 9.0, 9),
                         ("late", "baseline", None, 8.0, 8097, 8098, 10.0, 10)])
    rows = figures.headlines(found, DECLARED, dt.date(2026, 11, 25)).rows_by_key("indicator_id", named=True, unique=True)
    early, late = rows["paid_early"], rows["late"]
    assert (early["low_base"], early["rag"], early["change_low_base"], early["change_since_previous"]) == (True, None, True, -100.0)
    assert (late["low_base"], late["rag"], late["change_low_base"], late["baseline_change_low_base"]) == (False, "green", True, False)
    # a share of money rests on its records with the field
    money = pl.DataFrame({"base": ["records", "records", None], "denominator": [1e6, 1e6, None], "records": [12, 12, 3],
                          "lacking": [2, 3, 0]})
    assert money.select(figures.low_base().alias("low"))["low"].to_list() == [False, True, False]


def test_headlines_have_changes_and_rag_in_the_right_direction():
    found = engine_rows([("paid_early", "now", None, 70.0, 8105, 8106), ("paid_early", "year before", None, 50.0, 8101, 8102),
                         ("paid_early", "baseline", None, 40.0, 8097, 8098), ("late", "now", None, 4.0, 8105, 8106)])
    rows = figures.headlines(found, DECLARED, dt.date(2026, 11, 25)).rows_by_key("indicator_id", named=True, unique=True)
    early, late = rows["paid_early"], rows["late"]
    assert (early["change_since_previous"], early["change_since_baseline"], early["rag"]) == (20.0, 30.0, "amber")
    assert (late["change_since_previous"], late["rag"]) == (None, "green")
    assert early["period_complete"] is False  # 2026-27 Q3 ends on 31 December 2026
    assert figures.headlines(found, DECLARED, dt.date(2027, 1, 1))["period_complete"].to_list() == [True, True]


def test_rag_red_below_amber_and_none_without_a_value():
    frame = pl.DataFrame({"value": [90.0, 65.0, 10.0, None], "direction": ["higher"] * 4, "rag_green": [80.0] * 4,
                          "rag_amber": [60.0] * 4})
    assert frame.select(figures.rag(pl.col("value")).alias("rag"))["rag"].to_list() == ["green", "amber", "red", None]


def test_ranks_follow_the_better_direction_share_ties_and_say_of_how_many():
    cells = pl.DataFrame({"breakdown_code": ["a", "b", "c", "d", "e"], "value": [10.0, 30.0, 30.0, None, 5.0]})
    higher = figures.ranked(cells, "higher")
    assert higher["breakdown_code"].to_list() == ["b", "c", "a", "e", "d"]
    assert higher["rank"].to_list() == [1, 1, 3, 4, None]
    assert figures.rank_words(higher, "a", "councils") == "3rd of 4 councils with a value (of 5)"
    assert figures.rank_words(higher, "d", "councils") is None
    lower = figures.ranked(cells, "lower")
    assert lower.filter(pl.col("breakdown_code") == "e")["rank"].item() == 1
    assert figures.rank_words(lower.filter(pl.col("value").is_not_null()), "b", "councils") == "3rd of 4 councils"


@pytest.mark.parametrize("n,words", [(1, "1st"), (2, "2nd"), (3, "3rd"), (4, "4th"), (11, "11th"), (12, "12th"),
                                     (13, "13th"), (21, "21st"), (22, "22nd"), (101, "101st"), (111, "111th")])
def test_ordinals(n, words):
    assert figures.ordinal(n) == words


def test_a_ranking_chart_keeps_the_highlighted_cell_outside_the_top_and_bottom():
    cells = figures.ranked(pl.DataFrame({"breakdown_code": [f"c{i:02d}" for i in range(40)],
                                         "value": [float(i) for i in range(40)]}), "higher")
    drawn = figures.shown_in_ranking(cells, 30, "c20")
    assert drawn.height == 31 and drawn.filter(pl.col("highlighted"))["breakdown_code"].to_list() == ["c20"]
    assert drawn["breakdown_code"].to_list()[15] == "c20"  # between the top and the bottom, in rank order
    assert figures.shown_in_ranking(cells, 30, "c39").height == 30  # already among the top
    assert figures.shown_in_ranking(cells, 30, None)["highlighted"].sum() == 0


def test_peer_medians_and_ranks_are_within_each_peer_group():
    cells = pl.DataFrame({"indicator_id": ["x"] * 5, "peer_group": ["dept", "dept", "dept", "council", "council"],
                          "direction": ["higher"] * 5, "value": [10.0, 20.0, 60.0, 5.0, None]})
    found = figures.peer_medians(cells)
    assert found["peer_median"].to_list() == [20.0, 20.0, 20.0, 5.0, 5.0]
    assert found["peers_with_value"].to_list() == [3, 3, 3, 1, 1]
    assert found["rank"].to_list() == [3, 2, 1, 1, None]
    neither = figures.peer_medians(cells.with_columns(pl.lit("none").alias("direction")))  # e.g. issues raised
    assert neither["rank"].to_list() == [None] * 5 and neither["peer_median"].to_list() == [20.0, 20.0, 20.0, 5.0, 5.0]


def test_side_by_side_has_a_column_per_choice_in_the_order_chosen():
    found = pl.DataFrame({"indicator_id": ["paid_early", "paid_early", "late"], "breakdown_code": ["B", "A", "A"],
                          "value": [50.0, 70.0, 3.0]})
    wide = figures.side_by_side(found, DECLARED, {"A": "Alpha", "B": "Beta", "C": "Gamma"})
    assert wide.columns == ["indicator_id", "name", "unit", "direction", "A", "B", "C"]
    assert wide.rows() == [("paid_early", "Paid early", "percent", "higher", 70.0, 50.0, None),
                           ("late", "Late", "percent", "lower", 3.0, None, None)]


def test_no_figure_in_the_window_gives_no_headline_rows_with_every_column():
    found = engine_rows([("paid_early", "year before", None, 50.0, 8101, 8102)])
    rows = figures.headlines(found, DECLARED, dt.date(2026, 11, 25))
    assert rows.is_empty()
    assert {"value", "change_since_previous", "change_since_baseline", "rag", "period_complete", "name"} <= set(rows.columns)


def test_chart_tables_hold_numbers_headed_with_their_unit() -> None:
    """What a chart's table shows and its CSV holds: numbers (not '£38.2m', '87.0%' or '2201.0'), the unit in the
    header, a suppressed count empty and marked, counts whole."""
    from dashboard import components, extracts

    issues = pl.DataFrame({"period": ["2025-26 Q1", "2025-26 Q2"], "value": [2201.0, 3.0], "denominator": [4000.0, None],
                           "suppressed": [False, True]})
    table = issues.select("period", *components.numbers(issues, {"value": "Still open", "denominator": "Raised"}, "issues"))
    assert table.columns == ["period", "Still open (issues)", "Raised (issues)",
                             "Suppressed ([c]: fewer than 5, or could be worked out)"]
    assert table.rows() == [("2025-26 Q1", 2201, 4000, False), ("2025-26 Q2", None, None, True)]
    assert extracts.csv_bytes(table).decode("utf-8-sig").splitlines()[1:] == ["2025-26 Q1,2201,4000,false", "2025-26 Q2,,,true"]
    money = pl.DataFrame({"amount": [38_212_345.678], "share": [87.04]})
    assert money.select(*components.numbers(money, {"amount": "Funding"}, "£"),
                        *components.numbers(money, {"share": "Share"}, "percent")).to_dicts() == [
        {"Funding (£)": 38_212_345.68, "Share (%)": 87.0}]
    mixed = pl.DataFrame({"value": [45.25, 1.234], "unit": ["percent", "£ per head"]})
    assert mixed.select(*components.numbers(mixed, {"value": "DCMS"})).to_dicts() == [
        {"DCMS": 45.25, "Unit": "percent"}, {"DCMS": 1.23, "Unit": "£ per head"}]


def test_a_printed_table_holds_its_first_rows_escaped_and_says_how_many_more():
    from dashboard.components import PRINTED_COLUMNS, PRINTED_ROWS, WIDE_COLUMNS, print_table

    small = print_table(pl.DataFrame({"Body": ["<b>A</b>", None], "Value (%)": [12.5, 3.0], "Named": [True, False]}))
    assert ("<tr><td>&lt;b&gt;A&lt;/b&gt;</td><td class='number'>12.5</td><td>Yes</td></tr>"
            "<tr><td></td><td class='number'>3</td><td>No</td></tr>") in small
    assert "print-more" not in small
    large = print_table(pl.DataFrame({"n": list(range(PRINTED_ROWS + 5))}))
    assert large.count("<tr>") == PRINTED_ROWS + 1  # the header's row and the first PRINTED_ROWS
    assert f"The first {PRINTED_ROWS} of {PRINTED_ROWS + 5} rows; every row is in the page's download." in large
    preview = print_table(pl.DataFrame({"n": list(range(200))}), printed_rows=20)  # Data and downloads' preview
    assert preview.count("<tr>") == 21 and "The first 20 of 200 rows" in preview
    assert print_table(pl.DataFrame({f"c{i}": [i] for i in range(WIDE_COLUMNS)})).startswith("<div class='print-table'><table>")
    wide = print_table(pl.DataFrame({f"c{i}": [i] for i in range(WIDE_COLUMNS + 1)}))
    assert wide.startswith("<div class='print-table wide'><table>")  # on landscape sheets
    too_wide = print_table(pl.DataFrame({f"c{i}": [i] for i in range(PRINTED_COLUMNS + 1)}))
    assert "<table>" not in too_wide and f"A table of 1 row and {PRINTED_COLUMNS + 1} columns, too wide to print" in too_wide


def test_return_coverage_counts_the_bodies_of_the_view_with_a_return_in_its_quarters_and_those_late():
    bodies = pl.DataFrame({"code": ["A", "B", "C"], "name": ["Alpha", "Beta", "Gamma"],
                           "body_type": ["department", "department", "council"]})
    returned = pl.DataFrame({"body_code": ["A", "A", "C", "B"], "period": ["2025-26 Q1", "2025-26 Q2", "2025-26 Q2", "2024-25 Q4"],
                             "timeliness": ["on time", "late", "date not given", "late"]})
    year = (8100, 8103)  # 2025-26, over by 1 April 2026
    every = figures.return_coverage(bodies, returned, year, dt.date(2026, 4, 1), {})
    assert dict(every.select("code", "returns").iter_rows()) == {"A": 2, "B": 0, "C": 1}
    assert dict(every.select("code", "late").iter_rows()) == {"A": 1, "B": 0, "C": 0}  # B's late return is of 2024-25
    assert every["quarters"].to_list() == [4, 4, 4]
    assert figures.coverage_words(every) == "returns from 2 of 3 bodies"
    departments = figures.return_coverage(bodies, returned, year, dt.date(2025, 10, 1), {"body_type": ["department"]})
    assert figures.coverage_words(departments) == "returns from 1 of 2 bodies" and departments["quarters"][0] == 2  # Q1, Q2 over
    assert figures.coverage_words(figures.return_coverage(bodies, returned, year, dt.date(2026, 4, 1), {"public_body": ["B"]})) \
        == "returns from 0 of 1 body"
    by_quarter = figures.returns_by_quarter(bodies, returned, 8099, 8101)
    assert by_quarter.rows() == [("2025-26 Q2", 2, 1, 3, ["Alpha"], ["Beta"]), ("2025-26 Q1", 1, 0, 3, [], ["Beta", "Gamma"]),
                                 ("2024-25 Q4", 1, 1, 3, ["Beta"], ["Alpha", "Gamma"])]
    assert figures.returns_lacking(by_quarter).rows() == [
        ("2025-26 Q2", "Beta", "none"), ("2025-26 Q2", "Alpha", "late"), ("2025-26 Q1", "Beta", "none"),
        ("2025-26 Q1", "Gamma", "none"), ("2024-25 Q4", "Alpha", "none"), ("2024-25 Q4", "Gamma", "none"),
        ("2024-25 Q4", "Beta", "late")]


def test_rag_is_shown_with_its_thresholds_and_no_change_is_neutral():
    from dashboard import format as fmt

    assert fmt.rag_cell("amber", "higher", 90.0, 75.0, "percent") == "Amber (green ≥ 90%, amber ≥ 75%)"
    assert fmt.rag_cell("green", "lower", 5.0, 10.0, "percent") == "Green (green ≤ 5%, amber ≤ 10%)"
    assert fmt.rag_cell(None, "higher", 90.0, 75.0, "percent", low_base=True) == "None (low base)"
    assert fmt.rag_cell(None, "higher", None, None, "percent") == "–"
    assert fmt.rag_words("red", "higher", 90.0, 75.0, "percent") == \
        "Red (green at 90.0% or more, amber at 75.0% or more, red below 75.0%)"
    assert fmt.indicator_change(0.04, "percent") == "no change" and fmt.no_change(-0.04, "percent")
    assert fmt.indicator_change(0.05, "percent") == "+0.1 points" and not fmt.no_change(None, "percent")
    assert fmt.meetings_metric(None, 4) == ("Engagement meetings held of committed", "–")
    assert fmt.meetings_metric(3, 4) == ("Engagement meetings held of committed", "3 of 4")  # short enough to show whole
    assert fmt.meetings_metric(2, 0) == ("Engagement meetings held, none committed", "2")  # never "2 of 0"
    assert fmt.sent_words(dt.date(2025, 8, 14), dt.date(2025, 7, 30)) == "Sent 14 August 2025, late (due 30 July 2025)."
    assert fmt.sent_words(dt.date(2025, 7, 30), dt.date(2025, 7, 30)) == "Sent 30 July 2025, on time (due 30 July 2025)."
    assert fmt.sent_words(None, dt.date(2025, 7, 30)) == "The return does not say when it was sent (it was due 30 July 2025)."


def test_a_release_built_before_returns_said_when_they_were_sent_counts_none_late(tmp_path, monkeypatch):
    import duckdb

    from dashboard import queries

    old = tmp_path / "old.duckdb"
    con = duckdb.connect(str(old))
    con.execute("create schema marts")
    con.execute("create table marts.body_quarters as select 'DCMS' as body_code, '2025-26 Q1' as period")
    con.close()
    monkeypatch.setattr(queries, "database", lambda: old)
    assert queries.return_periods().rows() == [("DCMS", "2025-26 Q1", "date not given")]


def test_funders_by_year_names_the_years_a_funder_published_nothing_after_its_first():
    funder_years = pl.DataFrame({
        "funder": ["Arts Council", "Arts Council", "DCMS", "DCMS", "DCMS"],
        "financial_year": ["2024-25", "2026-27", "2024-25", "2025-26", "2026-27"],
        "awards": [1200, 30, 5, 1, 7], "files": [2, 1, 1, 1, 3],
        "latest_award": [dt.date(2025, 3, 1), dt.date(2026, 5, 2), dt.date(2024, 9, 9), dt.date(2025, 6, 1), dt.date(2026, 11, 30)]})
    years = ["2024-25", "2025-26", "2026-27"]
    table = figures.funders_by_year(funder_years, years)
    assert table.rows() == [
        ("Arts Council", "1,200 in 2 files", "none", "30 in 1 file", dt.date(2026, 5, 2), ["2025-26"]),
        ("DCMS", "5 in 1 file", "1 in 1 file", "7 in 3 files", dt.date(2026, 11, 30), []),
    ]
    late_starter = figures.funders_by_year(funder_years.filter(pl.col("financial_year") == "2026-27"), years)
    assert late_starter.row(0) == ("Arts Council", "–", "–", "30 in 1 file", dt.date(2026, 5, 2), [])  # before its first: not missing


def test_better_or_worse_than_the_peers_follows_the_indicators_direction():
    assert figures.side_of(80.0, 70.0, "higher") == "better" and figures.side_of(80.0, 70.0, "lower") == "worse"
    assert figures.side_of(5.0, 5.0, "lower") == "level"
    assert figures.side_of(None, 5.0, "higher") is None and figures.side_of(5.0, None, "higher") is None
    assert figures.side_of(5.0, 1.0, "none") is None  # neither higher nor lower is better
    rows = [{"value": 80.0, "peer_median": 70.0, "direction": "higher", "suppressed": False},
            {"value": 12.0, "peer_median": 9.0, "direction": "lower", "suppressed": False},
            {"value": 50.0, "peer_median": 50.0, "direction": "higher", "suppressed": False},
            {"value": 99.0, "peer_median": 1.0, "direction": "higher", "suppressed": True},  # never compared
            {"value": None, "peer_median": 1.0, "direction": "higher", "suppressed": False}]
    assert figures.against(rows) == {"better": 1, "worse": 1, "level": 1, "of": 3}
    assert figures.against(rows, "previous_value") == {"better": 0, "worse": 0, "level": 0, "of": 0}


def test_lagging_most_names_the_bodies_with_most_reds_of_each_type():
    scorecard = pl.DataFrame({
        "body_type": ["dept"] * 7 + ["council"] * 2,
        "body_name": ["A", "A", "B", "B", "C", "D", "E", "X", "Y"],
        "rag": ["red", "red", "red", "green", None, "red", "red", "amber", "red"]})
    assert figures.lagging_most(scorecard, per_type=2).rows() == [
        ("dept", "A", 2, 2), ("dept", "B", 1, 2), ("council", "Y", 1, 1)]  # C has no red; D and E come after B by name


def tiny_scorecard() -> pl.DataFrame:
    """Two departments and a council on two indicators, as body_scorecard gives them (its columns the views read)."""
    rows = [  # body, name, type, indicator, value, peer median, rag, rank, peers with a value, applicable
        ("A", "Alpha", "dept", "paid_early", 80.0, 70.0, "green", 1, 2, True),
        ("A", "Alpha", "dept", "late", 10.0, 15.0, "red", 1, 2, True),
        ("B", "Beta", "dept", "paid_early", 60.0, 70.0, "red", 2, 2, True),
        ("B", "Beta", "dept", "late", 20.0, 15.0, "red", 2, 2, True),
        ("C", "Gamma", "council", "paid_early", 50.0, 50.0, "amber", 1, 1, True),
        ("C", "Gamma", "council", "late", None, None, None, None, 0, False),
    ]
    frame = pl.DataFrame(rows, schema={"body_code": pl.Utf8, "body_name": pl.Utf8, "body_type": pl.Utf8, "indicator_id": pl.Utf8,
                                       "value": pl.Float64, "peer_median": pl.Float64, "rag": pl.Utf8, "rank": pl.Int64,
                                       "peers_with_value": pl.Int64, "applicable": pl.Boolean}, orient="row")
    names = {"paid_early": "Paid early", "late": "Late"}
    return frame.with_columns(pl.col("indicator_id").replace_strict(names).alias("indicator_name"),
                              pl.when(pl.col("indicator_id") == "late").then(pl.lit("lower")).otherwise(pl.lit("higher")).alias("direction"),
                              pl.lit("percent").alias("unit"), pl.lit(False).alias("suppressed"),
                              pl.format("{}%", "value").fill_null("–").alias("shown"), pl.format("{}%", "peer_median").alias("peer_shown"))


def test_the_scorecard_view_names_who_lags_and_gives_a_table_a_type_with_its_medians():
    from dashboard.scorecard import scorecard_view

    view = scorecard_view(tiny_scorecard(), {"dept": "Ministerial department", "council": "Council", "icb": "ICB"}, ["B"], [])
    assert view.lagging == "ministerial departments: Beta (2 of 2 red), Alpha (1 of 2 red)"
    assert [(g.type_name, g.bodies) for g in view.groups] == [("Ministerial department", 2), ("Council", 1)]  # no ICB: none has figures
    assert view.groups[0].table.rows() == [("Alpha", "80.0%", "10.0%"), ("Beta (no return)", "60.0%", "20.0%"),
                                           ("Median of these bodies", "70.0%", "15.0%")]
    assert view.groups[0].table.columns == ["Public body", "Paid early", "Late"]
    assert scorecard_view(tiny_scorecard().with_columns(pl.lit("green").alias("rag")), {"dept": "D", "council": "C"}, [], []).lagging is None


def test_a_bodys_view_against_its_peers_sums_up_sides_and_ranks_and_leaves_out_what_does_not_apply():
    from dashboard.scorecard import against_peers

    beta = against_peers(tiny_scorecard(), "B", "Beta", "2025-26", "ministerial departments")
    assert beta.summary == ("In 2025-26, Beta did better than the median of its peers on 0 of 2 percentages and worse on 2. "
                            "Its rank among the ministerial departments: paid early 2nd of 2; late 2nd of 2.")
    assert beta.ranked_ids == ["paid_early", "late"] and beta.not_applicable == [] and beta.drawn.height == 2
    gamma = against_peers(tiny_scorecard(), "C", "Gamma", "2025-26", "councils")
    assert gamma.not_applicable == ["Late"] and gamma.figures["indicator_id"].to_list() == ["paid_early"]
    assert gamma.summary.startswith("In 2025-26, Gamma did better than the median of its peers on 0 of 1 percentages and worse on 0.")


def test_what_changed_most_is_the_right_way_round_and_never_rests_on_a_low_base():
    rows = [  # name, direction, unit, change since the year before, change on a low base, sort order
        ("Paid early", "higher", "percent", 5.0, False, 1), ("Late", "lower", "percent", -8.0, False, 2),  # both better
        ("Feedback", "higher", "percent", -2.0, False, 3), ("Slow", "lower", "percent", 4.0, False, 4),  # both worse
        ("Raised", "none", "issues", 30.0, False, 5), ("Tiny", "higher", "percent", 40.0, True, 6),
        ("Per head", "higher", "£ per head", 9.0, False, 7), ("Level", "higher", "percent", 0.0, False, 8),
        ("New", "higher", "percent", None, False, 9)]
    latest = pl.DataFrame(rows, schema=["name", "direction", "unit", "change_since_previous", "change_low_base", "sort_order"],
                          orient="row")
    changed = figures.changed_most(latest)
    assert changed.improved["name"].to_list() == ["Late", "Paid early"]  # most first; £ a head is not a percentage
    assert changed.worsened["name"].to_list() == ["Slow", "Feedback"]
    assert changed.low_base == ["Tiny"]
    assert figures.changed_most(latest, most=1).improved["name"].to_list() == ["Late"]


def test_the_headline_percentages_against_the_baseline_leave_out_issue_figures_and_count_those_better():
    rows = [  # id, headline, unit, direction, value, baseline value, sort order
        ("late", True, "percent", "lower", 10.0, 12.0, 2), ("paid_early", True, "percent", "higher", 50.0, 55.0, 1),
        ("level", True, "percent", "higher", 40.0, 40.0, 3), ("resolved", True, "percent", "higher", 90.0, 10.0, 4),
        ("per_head", True, "£ per head", "higher", 9.0, 1.0, 5), ("no_base", True, "percent", "higher", 9.0, None, 6),
        ("not_headline", False, "percent", "higher", 9.0, 1.0, 7)]
    latest = pl.DataFrame(rows, schema=["indicator_id", "headline_indicator", "unit", "direction", "value", "baseline_value",
                                        "sort_order"], orient="row").with_columns(pl.lit("2025-26").alias("period_label"))
    shown = figures.against_baseline(latest, "2024-25", left_out=["resolved"])
    assert shown.rows["indicator_id"].to_list() == ["paid_early", "late", "level"] and shown.year == "2025-26"
    assert shown.summary == "1 of the 3 headline percentages are better in 2025-26 than in the 2024-25 baseline."
    assert figures.against_baseline(latest.filter(pl.col("indicator_id") == "no_base"), "2024-25") is None


def test_a_ranking_is_summed_up_by_its_highest_and_lowest_or_as_level():
    cells = pl.DataFrame({"name": ["Leeds", "York *bold*", "Hull", "Bath"], "value": [3.0, 9.0, None, 1.0],
                          "shown": ["3.0%", "9.0%", "–", "1.0%"]})
    assert figures.highest_and_lowest(cells, "2025-26", "name", "districts with a value") == (
        r"In 2025-26, York \*bold\* had the highest value (9.0%) and Bath the lowest (1.0%) of 3 districts with a value.")
    level = cells.with_columns(pl.lit(5.0).alias("value"), pl.lit("5.0%").alias("shown"))
    assert figures.highest_and_lowest(level, "2025-26", "name", "shown") == "In 2025-26, all 4 shown had 5.0%."
    assert figures.highest_and_lowest(cells.head(1), "2025-26", "name", "shown") == "In 2025-26, the one shown had 3.0%."
    assert figures.highest_and_lowest(cells.filter(pl.col("value").is_null()), "2025-26", "name", "shown") is None


def test_funding_by_size_gives_each_bands_shares_and_what_the_smaller_ones_received():
    sizes = pl.DataFrame({"size_band": ["micro", "small", "large", "unknown"], "name": ["Micro", "Small", "Large", "Unknown income"],
                          "awards": [30, 20, 40, 10], "amount": [10_000.0, 40_000.0, 950_000.0, 0.0]})
    view = figures.funding_by_size(sizes, "2025-26")
    assert view.sizes["share_awards"].to_list() == [30.0, 20.0, 40.0, 10.0]
    assert view.sizes["share_amount"].to_list() == [1.0, 4.0, 95.0, 0.0]
    assert view.summary == "In 2025-26, micro and small organisations (income under £100k) received 50.0% of awards but 5.0% of funding."
    assert view.unknown_awards == 10
    assert figures.funding_by_size(sizes.clear(), "2025-26") is None


def test_the_open_backlog_is_summed_up_by_its_oldest_and_fullest_quarters_and_says_what_is_suppressed():
    points = pl.DataFrame({"period": ["2025-26 Q1", "2025-26 Q2", "2025-26 Q3", "2025-26 Q4"],
                           "waiting": ["18 to 21 months", "15 to 18 months", "12 to 15 months", "9 to 12 months"],
                           "value": [None, 6.0, 9.0, 9.0], "shown": ["[c]", "6 issues", "9 issues", "9 issues"],
                           "suppressed": [True, False, False, False]})
    assert figures.backlog_summary(points) == (
        "The oldest published open issues were raised in 2025-26 Q2 and have waited 15 to 18 months (6 issues); the most, "
        "9 issues, were raised in 2025-26 Q3. 1 of the 4 quarters is suppressed ([c]): fewer than 5 issues, or one could "
        "be worked out.")
    none_open = points.with_columns(pl.lit(0.0).alias("value"), pl.lit(False).alias("suppressed"))
    assert figures.backlog_summary(none_open) == "No quarter shown has a published count of open issues."


DECLARED_ISSUES = {i: {"name": n, "direction": d, "needs": "nothing beyond the issue", "definition": f"{n}, defined."}
                   for i, n, d in [("raised", "Issues raised", "none"), ("resolved", "Issues resolved", "higher"),
                                   ("late", "Unresolved after 90 days", "lower")]}


def test_the_issue_headlines_are_the_latest_complete_years_in_the_order_asked_with_their_declared_names():
    years = pl.DataFrame({"indicator_id": ["raised", "raised", "resolved", "raised", "resolved"],
                          "financial_year": ["2024-25", "2025-26", "2025-26", "2026-27", "2026-27"],
                          "period_complete": [True, True, True, False, False], "value": [10.0, 33.0, 60.0, 5.0, 80.0],
                          "name": ["as published"] * 5}).with_columns(pl.col("financial_year").alias("period"))
    view = figures.issue_headlines(years, DECLARED_ISSUES, ("resolved", "raised", "late"))
    assert (view.year, view.heading) == ("2025-26", "In 2025-26")  # 2026-27 is not over: not compared with whole years
    assert [(m.row["name"], m.row["direction"], m.row["value"]) if m.row else None for m in view.metrics] == [
        ("Issues resolved", "higher", 60.0), ("Issues raised", "none", 33.0), None]
    assert view.metrics[2].declared["name"] == "Unresolved after 90 days"  # none for the view: the page says why
    to_date = figures.issue_headlines(years.filter(pl.col("financial_year") == "2026-27"), DECLARED_ISSUES, ("raised",))
    assert to_date.heading == "In 2026-27 (to date)" and to_date.metrics[0].row["value"] == 5.0


def test_the_principles_view_gives_the_change_columns_each_indicators_series_and_what_it_is_compared_by():
    declared = pl.DataFrame({"indicator_id": ["paid_early", "raised", "plan"],
                             "breakdowns": [["all", "region", "body_type", "public_body"], ["all", "category", "body_type"], ["all"]]})
    quarters = pl.DataFrame({"indicator_id": ["paid_early", "paid_early"], "period": ["2025-26 Q2", "2025-26 Q3"], "value": [1.0, 2.0]})
    issue_years = pl.DataFrame({"indicator_id": ["raised"], "period": ["2025-26"], "value": [33.0], "suppressed": [False]})
    view = figures.principle_view(declared, (8105, 8106), "2024-25 Q2 to Q3", quarters, issue_years)  # 2026-27 Q2 to Q3
    assert (view.before, view.before_is_baseline, view.baseline) == ("2025-26 Q2 to Q3", False, "2024-25 Q2 to Q3")
    assert view.series["paid_early"]["value"].to_list() == [1.0, 2.0]
    assert view.series["raised"].rows() == [("raised", "2025-26", 33.0)]  # its years, in the quarters' columns
    assert view.series["plan"].is_empty() and view.series["plan"].columns == quarters.columns
    assert view.compare_by == {"paid_early": ["body_type", "region", "public_body"], "raised": ["body_type", "category"], "plan": []}
    year_after = figures.principle_view(declared, (8101, 8102), "2024-25 Q2 to Q3", quarters)
    assert (year_after.before, year_after.before_is_baseline, year_after.baseline) == ("2024-25 Q2 to Q3", True, None)
    assert figures.principle_view(declared, (8097, 8098), None, quarters).baseline == "2024-25"  # the baseline year itself


def test_the_map_is_summed_up_by_its_highest_and_lowest_place_and_counts_the_records_left_out():
    cells = pl.DataFrame({"name": ["Wales", "North East", "Scotland"], "value": [12.0, 30.0, None],
                          "shown": ["£12.00", "£30.00", "–"], "lacking": [2, 1, 0]})
    indicator = {"name": "Funding per head", "needs": "the place it benefits"}
    regions = figures.place_map(cells, indicator, "2025-26", districts=False, laid_out=True)
    assert regions.title == "Funding per head by nation and region, 2025-26"
    assert regions.summary == ("In 2025-26, North East had the highest value (£30.00) and Wales the lowest (£12.00) of 2 nations "
                               "and regions with a value.")
    assert regions.left_out == "3 records left out for lacking the place it benefits."
    empty = figures.place_map(cells.with_columns(pl.lit(None, pl.Float64).alias("value")), indicator, "2025-26", True, False)
    assert empty.title == "Funding per head by district, 2025-26"
    assert empty.summary == "No district has a value for this indicator in 2025-26."
    assert empty.left_out.endswith("lacking the place it benefits. Load a HexJSON district layout into the inbox to see a district map.")


def test_what_changed_since_the_release_before_is_said_only_when_it_could_be_compared():
    first = figures.release_changes({"previous_release": None, "files_changed": None})
    assert first == figures.ReleaseChanges("This is the first release: there is nothing before it to compare with.", False)
    unread = figures.release_changes({"previous_release": "20261201T1", "files_changed": None})
    assert unread == figures.ReleaseChanges("The release before (20261201T1) could not be read, so nothing was compared.", False)
    compared = figures.release_changes({"previous_release": "20261201T1", "files_changed": 1, "figures_revised": 2_300,
                                        "figures_added": 0, "figures_removed": 12})
    assert compared.compared and compared.summary.startswith(
        "Against the release before (20261201T1): 1 file added, replaced or removed; 2,300 figures revised, 0 new and 12 no "
        "longer given (funding and returns figures, every period and breakdown).")


def test_data_quality_sums_up_returns_funders_validation_quarantine_and_files_in_a_sentence_each():
    by_quarter = pl.DataFrame({"period": ["2026-27 Q2", "2026-27 Q1"], "returned": [1_180, 3], "late": [7, 0], "bodies": [1_200, 1_200]})
    assert ("In 2026-27 Q2, 1,180 of 1,200 bodies made one, 7 of them late. A return is late"
            in figures.returns_summary(by_quarter))
    funders = pl.DataFrame({"funder": ["A", "B", "C"], "missing": [["2025-26"], [], ["2024-25", "2025-26"]]})
    assert figures.funders_summary(funders).startswith("3 funders published grants in 360Giving form.")
    assert figures.funders_summary(funders).endswith("with no grant published: 2 funders have such a gap.")
    assert figures.funders_summary(funders.head(2)).endswith(": 1 funder has such a gap.")
    assert figures.funders_summary(funders.slice(1, 1)) == (
        "1 funder published grants in 360Giving form. For each financial year, the grants loaded from its files (by award "
        "date) and how many files they came from; “none” marks a year after its first with no grant published.")
    validation = pl.DataFrame({"dataset": ["grants", "return_summary", "meetings"], "failed": [2, 0, 1]})
    assert figures.validation_summary(validation) == "2 of 3 datasets had rows breaking a rule; those rows were quarantined."
    assert figures.validation_summary(validation.filter(pl.col("failed") == 0)) == "Every expectation passed."
    reasons = pl.DataFrame({"dataset": ["grants", "grants"], "rule": ["amount below 0", "no date"], "rows": [1_000, 24]})
    assert figures.quarantine_summary(reasons) == "1,024 rows were quarantined for 2 reasons. Issue events are not listed here."
    assert figures.quarantine_summary(reasons.clear()) == "No row was quarantined."
    files = pl.DataFrame({"path": ["a.csv", "b.xlsx", "c.csv"], "rejected": [None, "not a workbook", None]})
    assert figures.files_summary(files) == "3 files read; 1 rejected whole: the reasons are below."
    assert figures.files_summary(files.head(1)) == "1 file read; 0 rejected whole."


def test_disclosure_control_says_how_many_counts_are_published_and_each_breakdowns_share_not_published():
    disclosure = pl.DataFrame({"breakdown": ["all", "region"], "counts": [40, 1_960], "published": [40, 1_235]})
    control = figures.disclosure_control(disclosure)
    assert control.summary.startswith("Of 2,000 counts of issues (raised, resolved, still open, late and about reprisal, "
                                      "zeros included), 1,275 are published. The others are shown as [c]")
    assert control.breakdowns["not_published"].to_list() == [0, 37]  # 725 of 1,960, 36.99%
    assert figures.disclosure_control(disclosure.clear()) is None

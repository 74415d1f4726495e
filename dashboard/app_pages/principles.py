"""Principles: every indicator of one principle, with its trend by quarter and its breakdowns."""

import polars as pl
import streamlit as st

from dashboard import components, figures, filters, layout, queries
from dashboard import format as fmt
from warehouse import breakdowns

layout.page_header(
    "Principles",
    "Every indicator of one Covenant principle: how it is defined and what it rests on, its value quarter by "
    "quarter, and how it varies between public bodies, places and sizes of organisation. Choose the principle "
    "(and any other filter) in the filters. The first indicator's charts are shown; open any other's to see its "
    "charts (a link keeps the ones you opened).",
)
info = layout.data_status()
if info is None:
    st.stop()
selection = filters.sidebar()
principles = queries.breakdown_names().filter(pl.col("breakdown") == "principle")
names = dict(zip(principles["code"], principles["name"], strict=True))
principle = selection.principle or principles["code"][0]
declared = queries.indicators().filter(pl.col("principle") == principle)
st.header(names[principle])
if not selection.principle:
    st.caption("Showing the first principle; choose another in the filters.")
components.briefing_download({"principle": principle}, names[principle])
as_of = info["as_of"]
span = selection.headline_span(as_of)
first, last = selection.span
quarter_windows = figures.series_windows(first, last, "quarter")  # fetched with the headlines: one engine query
glance, period, baseline = components.view_headlines(selection, declared, as_of, also=quarter_windows)
controlled = declared.filter(pl.col("disclosure_controlled"))
quarters = figures.series(components.view_figures(selection, declared, as_of, also=quarter_windows).filter(
    pl.col("window_name").is_in([w["window_name"] for w in quarter_windows])), declared, as_of)
issue_years = None
if controlled.height:
    breakdown, code = selection.issue_cell(controlled["breakdowns"][0].to_list())
    issue_years = queries.indicator_values(breakdown, code, selection.from_period, selection.to_period).filter(
        pl.col("indicator_id").is_in(controlled["indicator_id"].to_list()))  # published by financial year
view = figures.principle_view(declared, span, baseline, quarters, issue_years)

# the principle at a glance: every indicator over the headline quarters, with every filter
if glance.height:
    st.markdown(f"**At a glance: {selection.who()}, {period}**")
    glance = components.shown(glance)
    components.show_table(glance.select(
        pl.col("name").alias("Indicator"),
        pl.col("shown").alias("Value"),
        fmt.text_column("Numerator of denominator", lambda *row: components.rests_on(dict(zip(
            ("value", "unit", "suppressed", "numerator", "denominator"), row))) or "–",
            glance, "value", "unit", "suppressed", "numerator", "denominator"),
        fmt.text_column(f"Since {view.before}" + (" (the baseline)" if view.before_is_baseline else ""),
                        fmt.indicator_change, glance, "change_since_previous", "unit"),
        *([fmt.text_column(f"Since the {view.baseline} baseline", fmt.indicator_change, glance, "change_since_baseline", "unit")]
          if view.baseline else []),
        components.rag_shown(glance),
    ))
    st.caption("† A figure on a " + fmt.LOW_BASE + ": given no RAG status. RAG is given with its thresholds. How each "
               "indicator is defined: " + ", ".join(f"[{n}]({components.definition_link(i)})"
                                                     for i, n in zip(glance["indicator_id"], glance["name"], strict=True)) + ".")
note = selection.issue_note(controlled["breakdowns"][0].to_list()) if controlled.height else None
if note:
    st.caption(note)

opened = False  # the first published indicator's charts are drawn as the page opens; the others' when opened
for indicator in declared.iter_rows(named=True):
    st.subheader(indicator["name"])
    st.markdown(indicator["definition"])
    st.caption(f"Rests on: {indicator['basis']}" + (" Proposed by the sector, not an existing obligation."
                                                    if indicator["proposed_by_sector"] else ""))
    series = view.series[indicator["indicator_id"]]
    if series.is_empty():
        st.info(components.not_given(indicator, selection))
        continue
    if opened:  # closed unless opened (kept in the link); never open by default, so a view's first stays its own
        charts = st.expander(f"Trend by quarter and comparison: {indicator['name']}", key=f"charts-{indicator['indicator_id']}",
                             bind="query-params")
        if not charts.open:
            continue
    else:
        charts, opened = st.container(), True
    with charts:
        components.indicator_trend(indicator, series, selection.describe(),
                                   level="year" if indicator["disclosure_controlled"] else "quarter")
        options = view.compare_by[indicator["indicator_id"]]
        if not options:
            continue
        by = filters.page_choice(f"Compare {indicator['name'].lower()} in {period} by", options, f"by-{indicator['indicator_id']}",
                                 format_func=lambda b: breakdowns.BY_KEY[b].words)
        components.indicator_breakdown(indicator, by, selection, span, highlight=selection.chosen(by))

"""Overview: each principle's headline figures with their change and RAG status, what changed most, and when the
data was loaded and whether it passed validation."""

import polars as pl
import streamlit as st

from dashboard import components, figures, filters, layout, queries
from dashboard import format as fmt
from etl import periods

layout.page_header(
    "Overview",
    "How public bodies are doing against the Civil Society Covenant: the headline figure for each principle over the "
    "quarters chosen (or the latest complete financial year), its change since the same quarters a year before and "
    f"since the {periods.BASELINE_FINANCIAL_YEAR} baseline, and its RAG status where a standard sets a threshold. The filters combine: choose "
    "a type of body, a region and a size of organisation to see exactly those awards.",
)
info = layout.data_status()
if info is None:
    st.stop()
selection = filters.sidebar()
declared = queries.indicators()
if selection.principle:
    declared = declared.filter(pl.col("principle") == selection.principle)
latest, period, baseline = components.view_headlines(selection, declared, info["as_of"])
first, last = selection.headline_span(info["as_of"])
before = figures.span_name(first - 4, last - 4)  # the same quarters a year before
latest = latest.with_columns(pl.lit(period if latest["period_complete"].all() else f"{period} (to date)").alias("period_label"),
                             pl.col("indicator_id").is_in(declared.filter(pl.col("headline"))["indicator_id"].to_list())
                             .alias("headline_indicator"))
if latest.filter(pl.col("value").is_not_null() | pl.col("suppressed")).is_empty():
    st.warning(f"There are no figures for {selection.describe()}. Widen the period or clear a filter.")
    st.stop()
definitions = dict(zip(declared["indicator_id"], declared["definition"], strict=True))
needs = dict(zip(declared["indicator_id"], declared["needs"], strict=True))
st.caption(f"Figures for {selection.who()}, {period}"
           + (" (the latest complete financial year of those chosen)" if selection.whole_years and not selection.from_year == selection.to_year
              and len(period) == 7 else "")
           + (f", compared with {baseline}: the same quarters a year before, and the baseline." if baseline == before else
              f", compared with the same quarters a year before{f' and of the {baseline} baseline' if baseline else ''}."))
issue_ids = declared.filter(pl.col("disclosure_controlled"))
note = selection.issue_note(issue_ids["breakdowns"][0].to_list()) if issue_ids.height else None
if note:
    st.caption(note)

principles = queries.breakdown_names().filter(pl.col("breakdown") == "principle")
for principle, name in zip(principles["code"], principles["name"], strict=True):
    chosen = declared.filter((pl.col("principle") == principle) & pl.col("headline")).sort("sort_order")
    if chosen.is_empty():
        continue
    st.header(name)
    columns = st.columns(max(chosen.height, 2))
    for column, indicator in zip(columns, chosen.iter_rows(named=True)):
        rows = latest.filter(pl.col("indicator_id") == indicator["indicator_id"])
        if rows.height:
            components.headline(column, rows.row(0, named=True) | {"needs": needs[indicator["indicator_id"]]},
                                definitions[indicator["indicator_id"]], baseline or periods.BASELINE_FINANCIAL_YEAR)
        else:
            column.metric(indicator["name"], "–", help=definitions[indicator["indicator_id"]])
            column.caption(components.not_given(indicator, selection))

# what changed most since the same quarters a year before (never a change resting on a low base)
changed = figures.changed_most(latest)
if changed.improved.height or changed.worsened.height:
    st.header("What changed most since the same quarters a year before")
    for title, group in (("Improved most", changed.improved), ("Worsened most", changed.worsened)):
        if group.height:
            st.markdown(f"**{title}**")
            st.markdown("\n".join(
                f"- {r['name']}: {fmt.indicator_value(r['value'], r['unit'])} in {r['period_label']}"
                f"{', ' + components.rests_on(r) if components.rests_on(r) else ''} "
                f"({fmt.indicator_change(r['change_since_previous'], r['unit'])})"
                for r in group.iter_rows(named=True)))
    if changed.low_base:
        st.caption(f"Not ranked here: {fmt.plural(len(changed.low_base), 'change')} resting on a {fmt.LOW_BASE} now or a year "
                   f"before ({', '.join(changed.low_base)}).")

# where each headline percentage stands now against the same quarters of the 2024-25 baseline (funding and returns)
shown = figures.against_baseline(latest, baseline, issue_ids["indicator_id"].to_list()) if baseline else None
if not baseline:
    st.caption(f"The quarters chosen end in the {periods.BASELINE_FINANCIAL_YEAR} baseline itself: choose a later period "
               "to see the headline percentages against it.")
elif shown:
    now, year = shown.rows, shown.year
    lines = [{"type": "scatter", "x": [row["baseline_value"], row["value"]], "y": [row["name"], row["name"]], "mode": "lines",
              "line": {"color": "#b1b4b6", "width": 3}, "showlegend": False, "hoverinfo": "skip"} for row in now.iter_rows(named=True)]
    figure = components.figure(lines + [
        {"type": "scatter", "x": now["baseline_value"].to_list(), "y": now["name"].to_list(), "mode": "markers",
         "name": f"{baseline} (baseline)", "marker": {"symbol": "circle-open", "size": 12, "color": "#0b0c0c", "line": {"width": 2}},
         "hovertemplate": "%{y}: %{x:.1f}% in " + baseline + "<extra></extra>"},
        {"type": "scatter", "x": now["value"].to_list(), "y": now["name"].to_list(), "mode": "markers", "name": year,
         "marker": {"symbol": "circle", "size": 12, "color": "#0072B2"},
         "hovertemplate": "%{y}: %{x:.1f}% in " + year + "<extra></extra>"},
    ], xaxis=components.axis("Per cent", range=[0, 105]), yaxis={"autorange": "reversed"},
        height=max(320, 44 * now.height + 100), legend={"orientation": "h", "y": -0.2})
    table = now.select(pl.col("name").alias("Indicator"), pl.col("baseline_value").round(1).alias(f"{baseline} (%)"),
                       pl.col("value").round(1).alias(f"{year} (%)"), pl.col("numerator").alias("Numerator"),
                       pl.col("denominator").alias("Denominator"), pl.col("change_since_baseline").round(1).alias("Change (points)"),
                       pl.col("low_base").fill_null(False).alias(components.LOW_BASE_COLUMN),
                       pl.col("lacking").alias("Records lacking the field")).with_columns(components.rag_shown(now))
    components.chart(f"Headline percentages: {year} against the {baseline} baseline", shown.summary, figure, table,
                     file_stem=f"headline-percentages-{selection.describe()}", sources=("funding", "returns"),
                     left_out=f"Records left out for lacking the field they need: {fmt.count(now['lacking'].sum())} across these figures in {year}.")

"""Side by side: up to four public bodies, or four places, on every indicator they are given by, over the headline
quarters and with the other filters chosen. The choice is kept in the URL (`compare=DCMS,DfE`), so a link reopens it."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard import components, figures, queries
from dashboard import format as fmt

MOST = 4
PLACES = ("district", "combined_authority", "region", "nation")


def _chosen(key: str, options: dict[str, str], label: str, first: str | None) -> list[str]:
    """Up to MOST codes from a multiselect kept in the URL under `key` (codes joined by commas)."""
    wanted = [c for c in st.query_params.get(key, "").split(",") if c in options][:MOST]
    if not wanted and first:
        wanted = [first]
    chosen = st.multiselect(label, list(options), default=wanted, format_func=options.get, max_selections=MOST,
                            key=f"{key}_{','.join(wanted)}")  # a new link sets a new choice
    joined = ",".join(chosen) if chosen != ([first] if first else []) else ""  # the default is not written
    if joined and st.query_params.get(key) != joined:
        st.query_params[key] = joined
    elif not joined and key in st.query_params:
        del st.query_params[key]
    return chosen


def _draw(figures_by: pl.DataFrame, declared: pl.DataFrame, names: dict[str, str], period: str, what: str) -> None:
    wide = figures.side_by_side(figures_by, declared, names)
    if wide.is_empty():
        st.markdown(f"None of these {what} has a figure in {period}.")
        return
    table = wide.select(pl.col("name").alias("Indicator"), *[
        fmt.text_column(names[code], fmt.indicator_value, wide, code, "unit") for code in names])
    percentages = wide.filter(pl.col("unit").is_in(fmt.PERCENT_UNITS))
    traces = [{"type": "bar", "orientation": "h", "name": fmt.chart_text(names[code]), "y": percentages["name"].to_list(),
               "x": percentages[code].to_list(), "hovertemplate": "%{y}: %{x:.1f}%<extra>" + fmt.chart_text(names[code]) + "</extra>"}
              for code in names]
    chart = components.figure(traces, barmode="group", yaxis={"autorange": "reversed"}, xaxis=components.axis("Per cent", range=[0, 105]),
                              height=max(320, (12 * len(names) + 20) * percentages.height + 80), legend={"orientation": "h", "y": -0.15})
    leads = []
    for row in percentages.iter_rows(named=True):
        valued = {code: row[code] for code in names if row[code] is not None}
        if len(valued) > 1 and row["direction"] in ("higher", "lower"):
            best = (max if row["direction"] == "higher" else min)(valued, key=valued.get)
            leads.append(best)
    counts = {code: leads.count(code) for code in names}
    summary = (f"In {period}, of the {len(leads)} percentages that more than one of them has, "
               + ", ".join(f"{fmt.markdown_text(names[c])} does best on {n}" for c, n in counts.items()) + "."
               if leads else f"In {period}, no percentage has a value for more than one of them.")
    components.chart(f"Side by side, {period}", summary, chart if percentages.height else None, table,
                     file_stem=f"side-by-side-{'-'.join(names)}-{period}", sources=("funding", "returns"))


def bodies(selection, declared: pl.DataFrame, span: tuple[int, int], body_names: dict[str, str], first: str | None = None) -> None:
    """Up to four public bodies side by side (the body chosen in the filters first)."""
    st.header("Compare public bodies side by side")
    chosen = _chosen("compare", body_names, f"Public bodies to compare (up to {MOST})", first)
    if len(chosen) < 2:
        st.caption("Choose two to four public bodies to see them side by side on every indicator.")
        return
    period = figures.span_name(*span)
    public = declared.filter(~pl.col("disclosure_controlled"))["indicator_id"].to_list()
    found = queries.figures(public, [figures.span(figures.NOW, *span)], "public_body",
                            selection.without("body_type") | {"public_body": chosen})
    _draw(found, declared, {c: body_names[c] for c in chosen}, period, "bodies")


def places(selection, declared: pl.DataFrame, span: tuple[int, int]) -> None:
    """Up to four places (districts, combined authorities, regions or nations) side by side."""
    st.header("Compare places side by side")
    names = queries.breakdown_names().filter(pl.col("breakdown").is_in(PLACES))
    level = dict(names.select("code", "breakdown").iter_rows())
    options = {code: f"{name} ({level[code].replace('_', ' ')})" for code, name in names.select("code", "name").iter_rows()}
    first = next((selection.chosen(b) for b in PLACES if selection.chosen(b)), None)
    chosen = _chosen("compare_places", options, f"Places to compare (up to {MOST})", first)
    if len(chosen) < 2:
        st.caption("Choose two to four places (districts, combined authorities, regions or nations) to see them side by side.")
        return
    period = figures.span_name(*span)
    public = declared.filter(~pl.col("disclosure_controlled"))["indicator_id"].to_list()
    window = [figures.span(figures.NOW, *span)]
    kept = selection.without("nation", "combined_authority")
    found = pl.concat([queries.figures(public, window, b, kept | {b: [c for c in chosen if level[c] == b]})
                       for b in PLACES if any(level[c] == b for c in chosen)], how="vertical_relaxed")
    _draw(found, declared, {c: options[c] for c in chosen}, period, "places")

"""Indicators: one indicator's own view, linked from wherever its figure appears: its definition and formula, unit,
direction, target and RAG thresholds, the low-base rule, the bodies it applies to, what it rests on, the source
files and how many of their records fed it or lacked the field, caveats, and the revisions of its figures."""

import polars as pl
import streamlit as st

from dashboard import components, figures, filters, layout, queries
from dashboard import format as fmt
from etl.sources import source
from warehouse.indicators import CALCULATIONS, SMALL_BASE

layout.page_header(
    "Indicators",
    "How each figure on this dashboard is defined and worked out, what it rests on, and how it has been revised. "
    "Every figure links here.",
)
info = layout.data_status()
if info is None:
    st.stop()
selection = filters.sidebar()
declared = queries.indicators()
names = dict(zip(declared["indicator_id"], declared["name"], strict=True))
chosen = filters.page_choice("Indicator", declared["indicator_id"].to_list(), "indicator", format_func=names.get)
indicator = declared.filter(pl.col("indicator_id") == chosen).row(0, named=True)
principles = dict(queries.breakdown_names().filter(pl.col("breakdown") == "principle").select("code", "name").iter_rows())
type_names = dict(queries.breakdown_names().filter(pl.col("breakdown") == "body_type").select("code", "name").iter_rows())

st.header(indicator["name"])
st.markdown(f"**{principles.get(indicator['principle'], indicator['principle'])}.** {indicator['definition']}")
rule = fmt.rag_words("green", indicator["direction"], indicator["rag_green"], indicator["rag_amber"], indicator["unit"])
base_words = {"denominator": f"fewer than {SMALL_BASE} in its denominator",
              "records": f"fewer than {SMALL_BASE} records with what it needs"}.get(indicator["base"])
every_type = set(type_names)
applies = indicator["applies_to"] or list(every_type)
facts = dict(zip(["Calculation", "Unit", "Better when", "Target", "RAG thresholds", "Low base", "Applies to", "Breakdowns",
         "Left out when lacking", "Sources", "Rests on"], [
        CALCULATIONS[indicator["calculation"]],
        indicator["unit"],
        {"higher": "higher", "lower": "lower", "none": "neither (a count to watch)"}[indicator["direction"]],
        "none published" if indicator["target"] is None else fmt.indicator_value(indicator["target"], indicator["unit"]),
        rule.split("(", 1)[1].rstrip(")") if rule else "none: no standard sets one",
        f"marked † and given no RAG when it rests on {base_words}" if base_words else "none (it is a count, or a share of a whole)",
        "every type of public body" if set(applies) >= every_type else
        ", ".join(type_names.get(t, t) for t in applies) + "; elsewhere not applicable",
        ", ".join(b.replace("_", " ") for b in indicator["breakdowns"]),
        indicator["needs"],
        ", ".join(source(s).title for s in indicator["sources"]),
        indicator["basis"] + (" (proposed by the sector)" if indicator["proposed_by_sector"] else ""),
    ], strict=True))
st.markdown("\n".join(f"- **{name}:** {text}" for name, text in facts.items()))  # our own declarations

st.subheader("What it rests on, " + figures.span_name(*selection.headline_span(info["as_of"])))
if indicator["disclosure_controlled"]:
    st.markdown("Its figures come from issue logs, under disclosure control: a count under 5, or one that could be "
                "worked out from others, is suppressed ([c]); the records behind them are restricted and not counted here.")
else:
    (cell,) = [r for r in queries.figures([chosen], [figures.span(figures.NOW, *selection.headline_span(info["as_of"]))],
                                          "all", selection.record_filters).iter_rows(named=True)] or [None]
    if cell is None:
        st.markdown(f"Nothing was counted for {selection.who()} in these quarters.")
    else:
        st.markdown(f"For {selection.who()}: {fmt.indicator_value(cell['value'], indicator['unit'])}"
                    + (f" ({components.rests_on(cell | {'unit': indicator['unit']})})" if components.rests_on(cell | {'unit': indicator['unit']}) else "")
                    + f", from {fmt.plural(cell['records'], 'record')}; {fmt.count(cell['lacking'] or 0)} left out for lacking "
                    f"{indicator['needs']}.")
files = queries.run("load_files").filter(pl.col("source").is_in(indicator["sources"]) & pl.col("rejected").is_null())
if files.height and not indicator["disclosure_controlled"]:
    st.markdown(f"Its source files in this release: {fmt.plural(files.height, 'file')} "
                f"({fmt.plural(files['rows_loaded'].sum(), 'row')} loaded, {fmt.count(files['rows_quarantined'].sum())} "
                "quarantined). The list is on Data quality; the rows are in Data and downloads.")

st.subheader("Formula")
st.markdown(f"The records it counts, as one SELECT over the published marts (`{indicator['file']}`):")
st.code(indicator["formula"], language="sql", wrap_lines=True)  # no scrolling region: reached by keyboard as text

st.subheader("Revisions")
history = queries.revision_history(chosen)
if history.is_empty():
    st.markdown("None of its figures has been revised in the releases kept.")
else:
    history = history.with_columns(fmt.text_column("before", fmt.indicator_value, history, "value_before", "unit"),
                                   fmt.text_column("now", fmt.indicator_value, history, "value_now", "unit"))
    st.markdown(f"{fmt.plural(history.height, 'figure')} revised in the releases kept, newest first.")
    components.show_table(history.select(
        pl.col("release").alias("Release"), pl.col("period").alias("Period"), pl.col("breakdown_name").alias("Of"),
        pl.col("before").alias("Before"), pl.col("now").alias("Now"), pl.col("why").alias("Why")))

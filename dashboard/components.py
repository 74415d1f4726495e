"""The parts every page builds with: a chart with its title, a plain-English summary computed from the data shown, a
table alternative, its own download and a note of the records left out; and an indicator's headline figure."""

from __future__ import annotations

import re

import plotly.graph_objects as go
import polars as pl
import streamlit as st

from dashboard import extracts
from dashboard import format as fmt

# Okabe and Ito's colour-blind-safe palette; RAG is always written out as well as coloured
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
RAG_WORDS = {"green": "Green: meets the threshold", "amber": "Amber: near the threshold", "red": "Red: short of the threshold"}


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:80]


def chart(title: str, summary: str, figure: go.Figure, table: pl.DataFrame, *, file_stem: str,
          left_out: str | None = None) -> None:
    """A chart as every page shows one: title, one-sentence summary, the chart (described for screen readers by
    the summary), the same figures as a table, a download of them, and what was left out."""
    st.subheader(title)
    st.markdown(summary)
    figure.update_layout(colorway=PALETTE, font_family="Arial, sans-serif", margin=dict(t=30, b=40), height=360,
                         title=None, legend_title_text="")
    st.plotly_chart(figure, config={"displayModeBar": False, "staticPlot": False}, key=f"chart-{slug(file_stem)}")
    with st.expander(f"Table: {title}"):
        st.dataframe(table, hide_index=True)
    st.download_button(f"Download the data of “{title}” (CSV)", extracts.csv_bytes(table),
                       file_name=f"{slug(file_stem)}.csv", mime="text/csv", key=f"download-{slug(file_stem)}")
    if left_out:
        st.caption(left_out)


def headline(column, row: dict, definition: str) -> None:
    """One indicator's latest value as a metric, with its change since the previous period and the baseline and its
    RAG status in words."""
    shown = fmt.indicator_value(row["value"], row["unit"], row["suppressed"])
    change = None if row["change_since_previous"] is None else fmt.indicator_change(row["change_since_previous"], row["unit"])
    colour = "normal" if row["direction"] == "higher" else "inverse" if row["direction"] == "lower" else "off"
    column.metric(row["name"], shown, delta=change, delta_color=colour, help=definition)
    notes = [f"Since 2024-25: {fmt.indicator_change(row['change_since_baseline'], row['unit'])}"
             if row["change_since_baseline"] is not None else None,
             RAG_WORDS.get(row["rag"]) if row["rag"] else None,
             f"{fmt.count(row['lacking'])} records lacked {row.get('needs') or 'the field'}" if row.get("lacking") else None]
    column.caption(" · ".join(n for n in notes if n) or " ")

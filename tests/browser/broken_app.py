"""A dashboard broken on purpose, page by page, to show that the browser and accessibility checks catch each fault:
a page that raises, a chart without its text alternative, text too faint to read."""

import sys
from pathlib import Path

import plotly.graph_objects as go
import streamlit as st

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from dashboard.layout import footer  # noqa: E402


def raises() -> None:
    st.title("A page that raises")
    raise RuntimeError("broken on purpose")


def chart_without_text_alternative() -> None:
    st.title("A chart without its text alternative")
    with st.container(key="chart-block-bare"):
        st.subheader("Awards by year")
        st.plotly_chart(go.Figure(go.Bar(x=["2024-25", "2025-26"], y=[3, 5])), key="bare")


def chart_outside_a_block() -> None:
    st.title("A chart on its own")
    st.plotly_chart(go.Figure(go.Bar(x=["2024-25", "2025-26"], y=[3, 5])), key="alone")


def faint_text() -> None:
    st.title("Faint text")
    st.html('<p style="color: #d0d0d0">This sentence is too faint to read against white.</p>')


page = st.navigation([st.Page(raises, url_path="raises"), st.Page(chart_without_text_alternative, url_path="bare-chart"),
                      st.Page(chart_outside_a_block, url_path="lone-chart"), st.Page(faint_text, url_path="faint")])
body = st.container()
footer()
with body:
    page.run()

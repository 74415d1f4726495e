"""The browser's chart code, asked for as a page opens. Streamlit's front end fetches Plotly.js (4.7 MB, which takes
Chromium about 0.7 s to run here) only when the first chart arrives, after the page script has run up to it and the
browser has drawn everything above it. Asking for it first, while the server loads the data libraries and runs the
page, lets the browser fetch and run it in the meantime. A hint only: no data and nothing from outside the dashboard's
own server; if a new Streamlit names its file otherwise, nothing is sent and charts load as before (a test notices)."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

STATIC_JS = Path(st.__file__).parent / "static" / "static" / "js"
CHUNK = next(iter(sorted(STATIC_JS.glob("PlotlyChart.*.js"))), None)
# the chunk's address is taken from the front end's own script, so that the browser runs the module once for both
SCRIPT = """<style>.st-key-chart-code {{ display: none; }}</style><script>
(() => {{
  const index = document.querySelector('script[src*="/static/js/index."]');
  if (index) import(new URL("{chunk}", index.src).href).catch(() => {{}});
}})();
</script>"""


def ask_early() -> None:
    """Send the browser the script that fetches and runs the chart code (call it before anything slow)."""
    if CHUNK is not None:
        with st.container(key="chart-code"):
            st.html(SCRIPT.format(chunk=CHUNK.name), unsafe_allow_javascript=True)

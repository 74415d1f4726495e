"""The entry point: declares the pages and nothing else."""

from __future__ import annotations

import gc
import sys
from pathlib import Path

import streamlit as st

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script by `streamlit run`

from dashboard import chart_code  # noqa: E402  (Streamlit alone: sent before the data libraries load)

PAGES_DIR = Path(__file__).parent / "app_pages"

pages = [
    st.Page(PAGES_DIR / "overview.py", title="Overview", url_path="overview", default=True),
    st.Page(PAGES_DIR / "principles.py", title="Principles", url_path="principles"),
    st.Page(PAGES_DIR / "public_bodies.py", title="Public bodies", url_path="public-bodies"),
    st.Page(PAGES_DIR / "localities.py", title="Localities", url_path="localities"),
    st.Page(PAGES_DIR / "organisation_size.py", title="Organisation size", url_path="organisation-size"),
    st.Page(PAGES_DIR / "issues.py", title="Issues", url_path="issues"),
    st.Page(PAGES_DIR / "downloads.py", title="Data and downloads", url_path="downloads"),
    st.Page(PAGES_DIR / "data_quality.py", title="Data quality", url_path="data-quality"),
    st.Page(PAGES_DIR / "indicators.py", title="Indicators", url_path="indicators"),
    st.Page(PAGES_DIR / "data_dictionary.py", title="Data dictionary", url_path="data-dictionary"),
    st.Page(PAGES_DIR / "accessibility.py", title="Accessibility statement", url_path="accessibility"),
]
CHARTED = {"", "principles", "public-bodies", "localities", "organisation-size", "issues"}  # may draw charts ("": the overview)


def main() -> None:
    """One page view: the page chosen, drawn with the menu, the filters and the footer."""
    page = st.navigation(pages, position="hidden")  # drawn by layout.navigation: its links carry the filters
    if page.url_path in CHARTED:
        chart_code.ask_early()

    import pandas  # noqa: F401  imported once before any chart: two sessions importing it at once broke Plotly's check of it

    from dashboard import queries
    from dashboard.layout import (DESCRIBED, FOCUS_STYLE, SERVICE_NAME, cite_this, footer, navigation, print_header,
                                  print_support, release_notice)

    if not gc.get_freeze_count():  # once per process: the libraries just loaded are never garbage, so set them aside;
        gc.freeze()  # Streamlit's full collection after every page run took about 85 ms over them, holding up the server

    queries.pin_release(st.query_params.get("release"))  # the whole view reads one release: the link's, else the latest
    st.set_page_config(page_title=SERVICE_NAME, layout="wide", initial_sidebar_state="expanded")
    st.html(FOCUS_STYLE)
    print_support()
    menu = st.sidebar.container()  # above the filters
    heading = st.container(key="print-header")  # printed only, at the top; filled once the page has set its filters
    body = st.container()
    footer()  # below the page's body, drawn first so that a page stopping early (no data, nothing matches) still has it
    st.session_state[DESCRIBED] = None  # the page's filters in words, set by filters.sidebar() on pages that have them
    with body:
        release_notice(page.url_path)
        try:
            page.run()
        finally:  # after the page has put its filters in the URL, so the links carry them; also when it stops early
            with menu:
                navigation(pages)
            with heading:
                print_header(page.title)
            cite_this(page.title, page.url_path)


# Streamlit runs this file as __main__. A process spawned from one that ran it (a test process that used AppTest, whose
# __main__ it stays) imports it as __mp_main__ and must not draw a page: a spawned demo writer died doing so, and its pool hung.
if __name__ == "__main__":
    main()

"""What every page shares: the page heading and description, the data's status, the footer with sources and licence."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from dashboard import format as fmt
from dashboard import queries

SERVICE_NAME = "Civil Society Covenant dashboard"
# read once per process, not on every script run
FOCUS_STYLE = f"<style>{(Path(__file__).parent / 'focus.css').read_text(encoding='utf-8')}</style>"
ATTRIBUTION = (
    "Sources: public bodies' 360Giving grants data, departmental returns and the issue reporting service. "
    "Contains public sector information licensed under the Open Government Licence v3.0. "
    "Contains National Statistics data © Crown copyright and database right. "
    "Issue figures are under disclosure control: a count under 5, or one that could be worked out from others, is "
    "shown as [c]."
)


def page_header(title: str, description: str) -> None:
    """The page's title (in the browser tab too: 'Issues – Civil Society Covenant dashboard'), heading and description."""
    st.set_page_config(page_title=f"{title} – {SERVICE_NAME}")
    st.title(title)
    st.markdown(description)


def data_status() -> dict | None:
    """One line saying when the data was loaded and what was left out; None (and a message) when there is none."""
    try:
        info = queries.build_info()
    except queries.NoWarehouse:
        st.info(
            "No data has been published yet. Load the inbox with `covenant build` (or `make demo` for demo data), "
            "then reload this page."
        )
        return None
    st.caption(
        f"Data loaded {fmt.date(info['built_at'])} from {fmt.plural(info['files'], 'file')}: "
        f"{fmt.plural(info['rows_loaded'], 'row')} loaded, {fmt.count(info['rows_quarantined'])} quarantined for failing "
        f"validation, {fmt.plural(info['files_rejected'], 'file')} rejected."
    )
    return info


def footer() -> None:
    st.divider()
    st.caption(ATTRIBUTION)


def navigation(pages: list) -> None:
    """The pages, as links that carry the filters set (the period, bodies, places, size and principle), so the next
    page shows the same selection."""
    from dashboard import filters

    carried = filters.carried()
    for page in pages:
        st.page_link(page, label=page.title, query_params=carried)

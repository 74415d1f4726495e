"""What every page shares: the page heading and description, the data's status, the footer with sources and licence."""

from __future__ import annotations

import datetime as dt
import html
from pathlib import Path
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import streamlit as st

from dashboard import format as fmt
from dashboard import queries
from etl.sources import SOURCES, source
from etl.settings import RETENTION_DAYS

SERVICE_NAME = "Civil Society Covenant dashboard"
UK = ZoneInfo("Europe/London")
# read once per process, not on every script run
FOCUS_STYLE = f"<style>{(Path(__file__).parent / 'focus.css').read_text(encoding='utf-8')}</style>"
# what printing needs (print.css; print.js fits each chart to the page's width), hidden on screen
PRINT_SUPPORT = (f"<style>{(Path(__file__).parent / 'print.css').read_text(encoding='utf-8')}</style>"
                 f"<script>{(Path(__file__).parent / 'print.js').read_text(encoding='utf-8')}</script>")
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
        f"validation, {fmt.plural(info['files_rejected'], 'file')} rejected." + _whats_new()
    )
    return info


def _whats_new() -> str:
    """How many figures this release revised, pointing to the Data quality page's list ('' when none or not compared)."""
    changes = queries.release_changes()
    revised = changes[0]["figures_revised"] if changes else None
    return f" {fmt.plural(revised, 'figure')} revised since the release before: see What's new on Data quality." if revised else ""


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


def published_on(built_at: str | None) -> str:
    """A release's date of publication as UK readers write it ('7 December 2026'), from its manifest's built_at."""
    try:
        return fmt.date(dt.datetime.fromisoformat(built_at).astimezone(UK))
    except (TypeError, ValueError):
        return "an unknown date"


def _query(**changes: str | None) -> str:
    """This view's query string with `changes` made (a None value taken out)."""
    params = {key: st.query_params[key] for key in st.query_params} | changes
    return urlencode({key: value for key, value in params.items() if value is not None})


def release_notice(url_path: str) -> None:
    """What a link that pins a release (`?release=<load id>`) gets: the release it reads, and, when a newer one has
    been published, a link to the same view in it; a release not kept (or never published) is said, and the latest
    shown."""
    pinning = queries.pinning()
    if pinning["unknown"]:
        st.warning(f"This link names the release '{fmt.markdown_text(pinning['unknown'][:40])}', which is not kept here: a "
                   f"release is kept for {RETENTION_DAYS:g} days after a newer one is published, so it may be older than "
                   f"that, or was never published. This page shows the latest release, published "
                   f"{published_on(pinning['latest_built_at'])}.")
    elif pinning["pinned"] and pinning["release"] != pinning["latest"]:
        st.info(f"This link pins the release published {published_on(pinning['release_built_at'])} "
                f"({pinning['release']}), so its figures are those it was cited with. A newer release was published "
                f"{published_on(pinning['latest_built_at'])}: "
                f"[open this view in the latest release](./{url_path}?{_query(release=None)}).")
    elif pinning["pinned"]:
        st.caption(f"This link pins the release published {published_on(pinning['release_built_at'])} "
                   f"({pinning['release']}), which is the latest.")


def _view(title: str, described: str | None) -> str:
    """A page and its filters in words: 'Public bodies: Department for Culture, Media and Sport, 2025-26'."""
    return f"{title}: {described}" if described else title


def _release(pinning: dict) -> str:
    """The release shown and its date of publication: 'release 20261207T... published 7 December 2026'."""
    return f"release {pinning['release']} published {published_on(pinning['release_built_at'])}"


def citation(title: str, described: str | None, url: str, pinning: dict, retrieved: dt.date) -> str:
    """How to cite a page: the dashboard, the page, its filters in words, the release and its date, the date
    retrieved, and the link that reopens it in that release."""
    return f"{SERVICE_NAME}, “{_view(title, described)}”, {_release(pinning)}. Retrieved {fmt.date(retrieved)} from {url}"


def source_line(sources: tuple[str, ...] = ()) -> str:
    """What a chart image says of where it comes from: the dashboard, the sources (inbox folders; every one when none
    is named) in words, the release and its date, and the link that reopens the view in that release."""
    titles = [source(folder).title for folder in sources] if sources else [s.title for s in SOURCES]
    pinning = queries.pinning()
    named = " and ".join(filter(None, (", ".join(titles[:-1]), titles[-1])))
    return (f"Source: {SERVICE_NAME}, from {named}. Release {pinning['release']}, published "
            f"{published_on(pinning['release_built_at'])}. {pinned_url(pinning)}")


def pinned_url(pinning: dict) -> str:
    """This view's address with its release pinned (`?release=<load id>`), from the browser's address."""
    base = str(st.context.url or "").split("?", 1)[0]
    return f"{base}?{_query(release=pinning['release'])}"


def cite_this(title: str, url_path: str) -> None:
    """A 'Cite this page' text below every page, with the link pinned to the release it shows."""
    pinning = queries.pinning()
    if pinning["release"] is None:
        return
    described = st.session_state.get(DESCRIBED)
    with st.container(key="cite-this"), st.expander("Cite this page"):  # not printed: the print header says the same
        st.code(citation(title, described, pinned_url(pinning), pinning, dt.date.today()), language=None, wrap_lines=True)
        st.caption("The link pins this release, so it shows these figures as long as the release is kept "
                   f"({RETENTION_DAYS:g} days after a newer one is published).")


def print_support() -> None:
    """The print stylesheet and the script that fits charts to the printed page (hidden on screen)."""
    with st.container(key="print-support"):
        st.html(PRINT_SUPPORT, unsafe_allow_javascript=True)


def print_header(title: str) -> None:
    """What a printed page opens with (hidden on screen): the dashboard and the page, its filters in words, the
    release and its date, and the link that reopens this view in that release; the parts of its citation."""
    pinning = queries.pinning()
    described = st.session_state.get(DESCRIBED)
    lines = [f"<p class='print-title'>{html.escape(SERVICE_NAME)}: {html.escape(title)}</p>"]
    if described:
        lines.append(f"<p>Filters: {html.escape(described)}</p>")
    if pinning["release"] is not None:
        url = pinned_url(pinning)
        release = _release(pinning)
        lines.append(f"<p>{html.escape(release[0].upper() + release[1:])}; printed {html.escape(fmt.date(dt.date.today()))}</p>")
        lines.append(f"<p>Link to this view in this release: <a href='{html.escape(url, quote=True)}'>{html.escape(url)}</a></p>")
    st.html(f"<div class='print-header'>{''.join(lines)}</div>")


DESCRIBED = "covenant-view-described"  # session state: the filters of the page drawn last, in words (filters.sidebar)

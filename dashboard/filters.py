"""The global filters, derived from the breakdown registry (warehouse/breakdowns.py): period range, public body and
type of body, district, combined authority, region and nation, organisation size (an NCVO band, or smaller or larger
organisations), principle. Every filter lives in the URL (`?body=DCMS&from=2025-26+Q2`), so any view can be shared as a
link and reopened exactly; a value the warehouse does not know is reported and ignored, never passed on. Each change
is a browser history entry (Streamlit pushes one when the script changes the URL), and Back restores the filters of
the entry it returns to. The pages' links carry the filters.

Funding and returns figures follow every filter at once (the query-time engine). Issue figures are published under
disclosure control one breakdown at a time, so they follow one filter (a body before its type, a region before its
nation, then size), and the page says which.

The period is a range of quarters ('2025-26 Q2' to '2026-27 Q1'; a bare financial year in a link means its first or
last quarter). Figures cover the quarters chosen exactly; a choice of whole years shows the latest complete one.
"""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass

import streamlit as st

from dashboard import figures
from dashboard import format as fmt
from dashboard import queries
from warehouse import breakdowns


@dataclass(frozen=True)
class Filter:
    key: str  # its URL parameter and widget key
    label: str
    everything: str  # what "no choice" is called
    breakdowns: tuple[str, ...]  # the breakdowns whose codes it chooses among


FILTERS: tuple[Filter, ...] = tuple(
    Filter(url, next(b for b in breakdowns.FILTERED if b.url_key == url).label,
           next(b for b in breakdowns.FILTERED if b.url_key == url).everything,
           tuple(b.key for b in breakdowns.FILTERED if b.url_key == url))
    for url in breakdowns.URL_KEYS)
BY_KEY = {f.key: f for f in FILTERS}
PERIOD_KEYS = ("from", "to")
URL_KEYS = tuple(f.key for f in FILTERS) + PERIOD_KEYS  # what a page link carries
QUARTERS = (1, 2, 3, 4)
WRITTEN = "_filters_written"  # session state: the filters this session last put in the URL
GENERATION = "_filters_generation"  # session state: how many times the URL changed from elsewhere (the widgets' keys)


def quarters_of(years: list[str]) -> list[str]:
    """Every quarter of the financial years, in order: '2025-26 Q1' ... '2025-26 Q4', '2026-27 Q1' ..."""
    return [f"{year} Q{q}" for year in years for q in QUARTERS]


@dataclass(frozen=True)
class Selection:
    values: dict[str, str | None]  # filter key -> chosen code (None: everything)
    names: dict[str, str]  # filter key -> the chosen value's name
    from_period: str  # the first quarter chosen: '2025-26 Q2'
    to_period: str  # the last quarter chosen
    years: tuple[str, ...] = ()  # every financial year the chosen quarters touch, oldest first
    chosen_breakdowns: tuple[tuple[str, str, str], ...] = ()  # (filter key, breakdown, code) of each filter set

    @property
    def from_year(self) -> str:
        return self.from_period[:7]

    @property
    def to_year(self) -> str:
        return self.to_period[:7]

    @property
    def whole_years(self) -> bool:
        """The range starts at a first quarter and ends at a last one."""
        return self.from_period.endswith("Q1") and self.to_period.endswith("Q4")

    def headline_span(self, as_of: dt.date) -> tuple[int, int]:
        """The quarters the headline figures cover (dashboard/figures.py)."""
        return figures.headline_span(self.from_period, self.to_period, as_of)

    @property
    def span(self) -> tuple[int, int]:
        return figures.period_index(self.from_period), figures.period_index(self.to_period)

    @property
    def record_filters(self) -> dict[str, list[str]]:
        """Breakdown key -> the codes chosen, for every filter on records (the principle filter chooses indicators)."""
        return {breakdown: [code] for key, breakdown, code in self.chosen_breakdowns if breakdowns.BY_KEY[breakdown].filters_records}

    def without(self, *dropped: str) -> dict[str, list[str]]:
        """record_filters less the breakdowns `dropped` and every breakdown inside them (a ranking by region keeps no
        district filter)."""
        return {k: v for k, v in self.record_filters.items() if not any(breakdowns.within(k, d) for d in dropped)}

    def chosen(self, breakdown: str) -> str | None:
        """The code chosen in `breakdown` (None: none)."""
        return next((code for _, b, code in self.chosen_breakdowns if b == breakdown), None)

    def issue_cell(self, published: tuple[str, ...] | list[str]) -> tuple[str, str | None]:
        """The one breakdown cell issue figures follow: the first filter set that issue figures are published by."""
        return next(((b, code) for _, b, code in self.chosen_breakdowns
                     if b in published and breakdowns.BY_KEY[b].filters_records), ("all", None))

    def issue_note(self, published: tuple[str, ...] | list[str]) -> str | None:
        """In words, which filters the issue figures follow and why (None when they follow every one)."""
        followed, _ = self.issue_cell(published)
        left = [self.names[key] for key, b, _ in self.chosen_breakdowns
                if b != followed and breakdowns.BY_KEY[b].filters_records]
        if not left:
            return None
        words = "follow " + (f"{self.names[next(k for k, b, _ in self.chosen_breakdowns if b == followed)]} only"
                             if followed != "all" else "none of these filters")
        return (f"Issue figures {fmt.markdown_text(words)}, not {fmt.markdown_text(', '.join(left))}: they are published "
                "one breakdown at a time (and not by district or combined authority), because a combination of filters "
                "would leave counts so small that someone who raised an issue could be identified.")

    @property
    def principle(self) -> str | None:
        return self.values.get("principle")

    def who(self, markdown: bool = True) -> str:
        """The bodies, places and sizes chosen in words: 'Local authority, North West, Small'."""
        chosen = [self.names[f.key] for f in FILTERS if self.values.get(f.key) and f.key != "principle"]
        text = ", ".join(chosen) or "All public bodies and places"
        return fmt.markdown_text(text) if markdown else text

    def describe(self, markdown: bool = True) -> str:
        """The selection in words: 'Local authority, North West, 2024-25 to 2026-27'; a name from a file escaped for
        markdown (captions, alerts, summaries) unless `markdown` is False (file names, an extract's About sheet)."""
        first, last = (self.from_year, self.to_year) if self.whole_years else (self.from_period, self.to_period)
        return f"{self.who(markdown)}, {first} to {last}" if first != last else f"{self.who(markdown)}, {first}"


def _options() -> dict[str, dict[str, str]]:
    """Every filter's values (code -> name), by filter, in their order; and 'year': every financial year."""
    return _release_options(str(queries.database()))[0]


def _owner(f: Filter, code: str) -> str:
    """The breakdown of a filter whose cells include `code`."""
    return _release_options(str(queries.database()))[1][f.key][code]


@st.cache_resource(max_entries=4, show_spinner=False)
def _release_options(database: str) -> tuple[dict[str, dict[str, str]], dict[str, dict[str, str]]]:
    """_options() and, by filter, each code's breakdown, for the release whose database is `database`: worked out
    once per release rather than on every page view (read only, never changed)."""
    names = queries.breakdown_names()
    options, owners = {}, {}
    for f in FILTERS:
        rows = names.filter(names["breakdown"].is_in(list(f.breakdowns)))
        options[f.key] = dict(zip(rows["code"], rows["name"], strict=True))
        owners[f.key] = dict(zip(rows["code"], rows["breakdown"], strict=True))
    options["year"] = {y: y for y in queries.financial_years()}
    return options, owners


def _from_url() -> dict[str, str]:
    return {key: st.query_params[key] for key in URL_KEYS if key in st.query_params}


def sidebar() -> Selection:
    """The filters in the sidebar, read from and written back to the URL."""
    every = _options()
    years = list(every.get("year", {}))
    if not years:
        st.info("The published warehouse has no figures yet: its inbox held no funding, returns or issue logs. "
                "Add files to the inbox and run `covenant build`.")
        st.stop()
    url = _from_url()
    from_elsewhere = WRITTEN in st.session_state and st.session_state[WRITTEN] != url  # Back, Forward: the URL is the truth
    unknown = []
    values: dict[str, str | None] = {}
    names: dict[str, str] = {}
    st.sidebar.header("Filters")
    st.sidebar.caption("Every filter is kept in the page's address, so a link reopens this exact view, and Back undoes "
                       "a change.")
    quarters = quarters_of(years)
    first = _period(url.get("from"), quarters, "from", unknown)
    last = _period(url.get("to"), quarters, "to", unknown)
    if first > last:
        first, last = last, first
    if from_elsewhere:  # new widgets, set from the URL (a widget keeps what a user chose until its key changes)
        st.session_state[GENERATION] = st.session_state.get(GENERATION, 0) + 1
    generation = st.session_state.get(GENERATION, 0)
    suffix = f"_{generation}" if generation else ""
    first, last = st.sidebar.select_slider("Period (financial years and quarters)", options=quarters, value=(first, last),
                                           key=f"period{suffix}")
    chosen = []
    for f in FILTERS:
        options = every.get(f.key, {})
        wanted = url.get(f.key)
        if wanted is not None and wanted not in options:
            unknown.append(f"{f.label.lower()} '{fmt.markdown_text(wanted[:40])}'")
            wanted = None
        choice = st.sidebar.selectbox(f.label, [None, *options], index=0 if wanted is None else list(options).index(wanted) + 1,
                                      format_func=lambda c, o=options, e=f.everything: e if c is None else o[c],
                                      key=f"filter_{f.key}{suffix}")
        values[f.key] = choice
        if choice is not None:
            names[f.key] = options[choice]
            chosen.append((f.key, _owner(f, choice), choice))
    written = _write_url(values, first, last, quarters)
    st.session_state[WRITTEN] = written
    if unknown:
        st.warning("This link asks for " + "; ".join(unknown) + ", which the data does not have, so it is ignored.")
    selection = Selection(values, names, first, last, tuple(y for y in years if first[:7] <= y <= last[:7]), tuple(chosen))
    if not selection.whole_years:
        st.sidebar.caption(f"Figures cover the quarters chosen exactly; issue figures, published by financial year, cover "
                           f"the years they touch ({selection.years[0]}"
                           + (f" to {selection.years[-1]})." if len(selection.years) > 1 else ")."))
    copy_link()
    from dashboard.layout import DESCRIBED

    st.session_state[DESCRIBED] = selection.describe(markdown=False)  # for the page's citation
    return selection


def selection_for(wanted: dict[str, str]) -> Selection:
    """The selection a link with these filters (URL key -> value, as `?body=DCMS&from=2025-26+Q1`) opens, without the
    sidebar's widgets: for a briefing pack made outside a page. A value the warehouse does not know is refused
    (ValueError, naming it); no period means every quarter published."""
    every = _options()
    quarters = quarters_of(list(every.get("year", {})))
    if not quarters:
        raise ValueError("The published warehouse has no figures yet")
    unknown: list[str] = []
    first, last = _period(wanted.get("from"), quarters, "from", unknown), _period(wanted.get("to"), quarters, "to", unknown)
    values: dict[str, str | None] = {}
    names, chosen = {}, []
    for f in FILTERS:
        code = wanted.get(f.key)
        if code is not None and code not in every.get(f.key, {}):
            unknown.append(f"{f.label.lower()} '{code[:40]}'")
            code = None
        values[f.key] = code
        if code is not None:
            names[f.key] = every[f.key][code]
            chosen.append((f.key, _owner(f, code), code))
    if unknown:
        raise ValueError("The published data has no " + "; no ".join(unknown))
    years = tuple(y for y in every["year"] if first[:7] <= y <= last[:7])
    return Selection(values, names, first, last, years, tuple(chosen))


def copy_link() -> None:
    """Two buttons: one copies the page's address (which holds every filter) for the latest release, the other the
    same address pinned to the release shown (`?release=<load id>`), whose figures stay as cited. Where the browser
    does not allow copying, the address is selected in a box to copy by hand."""
    release = queries.pinning()["release"] or ""
    st.sidebar.html(COPY_LINK.replace("RELEASE_ID", html.escape(release)), unsafe_allow_javascript=True)


COPY_LINK = """<div class="copy-link">
<button type="button" id="copy-link-button">Copy link</button>
<button type="button" id="copy-pinned-button" data-release="RELEASE_ID">Copy link to this release</button>
<input id="copy-link-box" type="text" readonly hidden aria-label="Link to this view">
<p id="copy-link-said" role="status" aria-live="polite"></p>
</div>
<script>
(function () {
  var live = document.getElementById('copy-link-button'), pinned = document.getElementById('copy-pinned-button');
  if (!live || live.dataset.ready) return;
  live.dataset.ready = 'yes';
  function copy(link, done) {
    var said = document.getElementById('copy-link-said');
    function byHand() {
      var box = document.getElementById('copy-link-box');
      box.hidden = false; box.value = link; box.focus(); box.select();
      said.textContent = 'Copy the link selected above (Ctrl+C).';
    }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(link).then(function () { said.textContent = done; }, byHand);
    } else { byHand(); }
  }
  live.addEventListener('click', function () {
    var address = new URL(window.location.href);
    address.searchParams.delete('release');
    copy(address.toString(), 'Link copied: it reopens this view in the latest release.');
  });
  pinned.addEventListener('click', function () {
    var address = new URL(window.location.href);
    address.searchParams.set('release', pinned.dataset.release);
    copy(address.toString(), 'Link copied: it reopens this view in this release, with these figures.');
  });
})();
</script>"""


def _period(wanted: str | None, quarters: list[str], key: str, unknown: list[str]) -> str:
    """The quarter a link asks for under `key` (from or to): a quarter, or a financial year meaning its first
    (from) or last (to) quarter; the whole range's end when none or an unknown one is asked for."""
    end = quarters[0] if key == "from" else quarters[-1]
    if wanted is None:
        return end
    if wanted in quarters:
        return wanted
    as_year = f"{wanted} Q{QUARTERS[0] if key == 'from' else QUARTERS[-1]}"
    if as_year in quarters:
        return as_year
    unknown.append(f"period '{fmt.markdown_text(wanted[:40])}' for '{key}'")
    return end


def _write_url(values: dict[str, str | None], first: str, last: str, quarters: list[str]) -> dict[str, str]:
    """Put the filters in the URL (and take out those cleared), leaving the page's own choices there; what is written."""
    wanted = {k: v for k, v in values.items() if v is not None}
    if first != quarters[0]:
        wanted["from"] = first
    if last != quarters[-1]:
        wanted["to"] = last
    for key in URL_KEYS:
        if key in wanted and st.query_params.get(key) != wanted[key]:
            st.query_params[key] = wanted[key]
        elif key not in wanted and key in st.query_params:
            del st.query_params[key]
    return wanted


def carried() -> dict[str, str]:
    """What a link to another page carries: the filters in this page's URL, and the release a link pinned."""
    pinned = {"release": st.query_params["release"]} if queries.pinning()["pinned"] else {}
    return _from_url() | pinned


def page_choice(label: str, options: list[str], key: str, *, default: int = 0, format_func=str) -> str | None:
    """A page's own choice (a dataset, an indicator, a breakdown), kept in the URL under `key` like the filters,
    so a link reopens the same view. A value the page does not offer is reported and ignored."""
    if not options:
        return None
    wanted = st.query_params.get(key)
    index = default
    if wanted is not None:
        if wanted in options:
            index = options.index(wanted)
        else:
            st.warning(f"This link asks for {label.lower()} '{fmt.markdown_text(wanted[:40])}', which this page does not offer, "
                       "so it is ignored.")
    choice = st.selectbox(label, options, index=index, format_func=format_func, key=key)
    if choice != options[default]:
        if st.query_params.get(key) != choice:
            st.query_params[key] = choice
    elif key in st.query_params:
        del st.query_params[key]
    return choice

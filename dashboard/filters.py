"""The global filters, declared once: period range, public body and body type, nation/region/district, size band,
principle. Every filter lives in the URL (`?body=DCMS&from=2025-26+Q2`), so any view can be shared as a link and
reopened exactly; a value the warehouse does not know is reported and ignored, never passed on.

The period is a range of quarters ('2025-26 Q2' to '2026-27 Q1'; a bare financial year in a link means its first or
last quarter). Quarterly figures and extracts follow it exactly; yearly figures cover every financial year it touches.

Indicator values are published one breakdown at a time, so the figures follow the most specific place or body
filter set (a body before its type, a district before its region and nation), then size band.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from dashboard import format as fmt
from dashboard import queries


@dataclass(frozen=True)
class Filter:
    key: str  # its URL parameter and widget key
    label: str
    everything: str  # what "no choice" is called
    breakdown: str | None  # the indicator breakdown it selects a cell of (None: it narrows something else)


# in order of precedence when several are set
FILTERS: tuple[Filter, ...] = (
    Filter("body", "Public body", "All public bodies", "public_body"),
    Filter("body_type", "Type of public body", "All types of public body", "body_type"),
    Filter("district", "District", "All districts", "district"),
    Filter("region", "Region (England)", "All regions", "region"),
    Filter("nation", "Nation", "All nations", "nation"),
    Filter("size", "Organisation size", "All sizes", "size_band"),
    Filter("principle", "Principle", "All principles", None),
)
PERIOD_KEYS = ("from", "to")
QUARTERS = (1, 2, 3, 4)


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

    def latest_complete_year(self, as_of) -> str:
        """The latest financial year chosen that is over on `as_of` (the current one only when it is all there is)."""
        from etl import periods

        current = periods.financial_year(as_of)
        return next((y for y in reversed(self.years) if y != current), self.years[-1])

    @property
    def cell(self) -> tuple[str, str | None]:
        """The indicator breakdown cell the figures come from: ('all', None) when no place, body or size is set."""
        for f in FILTERS:
            if f.breakdown and self.values.get(f.key):
                return f.breakdown, self.values[f.key]
        return "all", None

    @property
    def ignored(self) -> list[str]:
        """Filters set but not applied to the figures (a more specific one is)."""
        chosen = [f for f in FILTERS if f.breakdown and self.values.get(f.key)]
        return [f.label for f in chosen[1:]]

    @property
    def principle(self) -> str | None:
        return self.values.get("principle")

    def describe(self, markdown: bool = True) -> str:
        """The selection in words: 'Department for Education, 2024-25 to 2026-27'; a name from a file escaped for
        markdown (captions, alerts, summaries) unless `markdown` is False (file names, an extract's About sheet)."""
        breakdown, code = self.cell
        who = next((self.names[f.key] for f in FILTERS if f.breakdown == breakdown and code), "All public bodies and places")
        who = fmt.markdown_text(who) if markdown else who
        first, last = (self.from_year, self.to_year) if self.whole_years else (self.from_period, self.to_period)
        return f"{who}, {first} to {last}" if first != last else f"{who}, {first}"


def _options() -> dict[str, dict[str, str]]:
    """Every filter's values (code -> name), by filter, in their order."""
    by_filter = queries.filter_options().partition_by("filter", as_dict=True)
    return {key: dict(zip(rows["code"], rows["name"], strict=True)) for (key,), rows in by_filter.items()}


def sidebar() -> Selection:
    """The filters in the sidebar, read from and written back to the URL."""
    params = st.query_params
    every = _options()
    years = list(every.get("year", {}))
    if not years:
        st.info("The published warehouse has no figures yet: its inbox held no funding, returns or issue logs. "
                "Add files to the inbox and run `covenant build`.")
        st.stop()
    unknown = []
    values: dict[str, str | None] = {}
    names: dict[str, str] = {}
    st.sidebar.header("Filters")
    st.sidebar.caption("Every filter is kept in the page's address, so a link reopens this exact view.")
    quarters = quarters_of(years)
    first = _period(params.get("from"), quarters, "from", unknown)
    last = _period(params.get("to"), quarters, "to", unknown)
    if first > last:
        first, last = last, first
    first, last = st.sidebar.select_slider("Period (financial years and quarters)", options=quarters, value=(first, last),
                                           key="period")
    for f in FILTERS:
        options = every.get(f.key, {})
        wanted = params.get(f.key)
        if wanted is not None and wanted not in options:
            unknown.append(f"{f.label.lower()} '{fmt.markdown_text(wanted[:40])}'")
            wanted = None
        choice = st.sidebar.selectbox(f.label, [None, *options], index=0 if wanted is None else list(options).index(wanted) + 1,
                                      format_func=lambda c, o=options, e=f.everything: e if c is None else o[c], key=f"filter_{f.key}")
        values[f.key] = choice
        if choice is not None:
            names[f.key] = options[choice]
    _write_url(values, first, last, quarters)
    if unknown:
        st.warning("This link asks for " + "; ".join(unknown) + ", which the data does not have, so it is ignored.")
    selection = Selection(values, names, first, last, tuple(y for y in years if first[:7] <= y <= last[:7]))
    if not selection.whole_years:
        st.sidebar.caption(f"Quarterly figures and extracts follow the quarters chosen; yearly figures cover the "
                           f"financial years they touch ({selection.years[0]}"
                           + (f" to {selection.years[-1]})." if len(selection.years) > 1 else ")."))
    if selection.ignored:
        st.info(f"Figures are published for one breakdown at a time: these show {fmt.markdown_text(selection.names[_applied_key(selection)])}. "
                f"Clear it to see the figures for the {', '.join(s.lower() for s in selection.ignored)} chosen.")
    return selection


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


def _applied_key(selection: Selection) -> str:
    breakdown, _ = selection.cell
    return next(f.key for f in FILTERS if f.breakdown == breakdown)


def _write_url(values: dict[str, str | None], first: str, last: str, quarters: list[str]) -> None:
    """Put the filters in the URL (and take out those cleared), leaving the page's own choices there."""
    wanted = {k: v for k, v in values.items() if v is not None}
    if first != quarters[0]:
        wanted["from"] = first
    if last != quarters[-1]:
        wanted["to"] = last
    for key in [f.key for f in FILTERS] + list(PERIOD_KEYS):
        if key in wanted and st.query_params.get(key) != wanted[key]:
            st.query_params[key] = wanted[key]
        elif key not in wanted and key in st.query_params:
            del st.query_params[key]


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

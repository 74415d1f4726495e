"""Numbers, money and dates as UK readers expect: £1.2m, 12,345, 45.2%, 25 November 2026."""

from __future__ import annotations

import datetime as dt
import math
import re

import polars as pl

from etl import periods
from warehouse.indicators import SMALL_BASE

SUPPRESSED = "[c]"  # the government statistics symbol for a value suppressed to protect confidentiality
MARKDOWN_ACTIVE = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:^=&])")  # what markdown, Streamlit's :directives: or LaTeX act on
ZERO_WIDTH_SPACE = "\u200b"


def plain_text(markdown: str) -> str:
    """Markdown this dashboard writes (markdown_text's escapes, bold) as the plain text a reader sees."""
    return re.sub(r"\\(.)", r"\1", str(markdown).replace(ZERO_WIDTH_SPACE, "").replace("**", ""))


def markdown_text(text) -> str:
    """Text from a file or a link, shown as itself inside Streamlit markdown (titles, captions, alerts): every character
    markdown, Streamlit's directives (:red[..], :material/..:) or LaTeX ($) would act on is escaped, line breaks become
    spaces, and a zero-width space goes before every ':' and '@' and inside 'www.', so that no address is made a link
    (Streamlit links bare URLs and e-mail addresses even when escaped). A name can make no link, image, heading or colour."""
    escaped = MARKDOWN_ACTIVE.sub(r"\\\1", " ".join(str(text).split()))
    return re.sub(r"(?i)(?=\\:|@)|(?<=w)(?=ww\\\.)", ZERO_WIDTH_SPACE, escaped)


# a link from a file is shown as one only when it is a plain https address: a host name, an optional port, and a
# path, query and fragment of URL characters; no user name ('@'), whitespace, quotes, brackets, markup or '$'
CHECKED_URL = re.compile(r"https://(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}(?::\d{1,5})?"
                         r"(?:[/?#][A-Za-z0-9._~/?#&=+%,;:!*-]*)?", re.IGNORECASE)
MAX_URL_CHARS = 2000
NOT_A_LINK = " (not shown as a link: not a plain https address)"


def checked_url(value) -> str | None:
    """`value` when it is a plain https address (CHECKED_URL, at most MAX_URL_CHARS), else None: no javascript:,
    data: or http: address, and nothing that could end a markdown link and begin markup."""
    if not isinstance(value, str) or len(value) > MAX_URL_CHARS or not CHECKED_URL.fullmatch(value):
        return None
    return value


def link_markdown(value) -> str:
    """A link from a file as Streamlit markdown: a `checked_url` as a link showing its address, anything else as
    plain text (escaped, the first 200 characters) saying it is not a link. Every link the dashboard shows from a file
    is made here."""
    url = checked_url(value)
    if url is not None:
        return f"[{markdown_text(url)}]({url})"
    text = str(value)
    return markdown_text(text[:200] + ("…" if len(text) > 200 else "")) + NOT_A_LINK


def chart_text(text) -> str:
    """Text from a file, shown as itself in a Plotly label or hover, where <a href>, <b> and &entities; would act."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def money(value, *, exact: bool = False) -> str:
    """£1,234 exactly, or £1.2k, £3.4m, £1.2bn."""
    if _missing(value):
        return "–"
    sign = "-" if value < 0 else ""
    value = abs(value)
    if exact or value < 10_000:
        return f"{sign}£{value:,.0f}"
    for divisor, suffix in ((1e9, "bn"), (1e6, "m"), (1e3, "k")):
        if value >= divisor:
            return f"{sign}£{value / divisor:,.1f}{suffix}"
    return f"{sign}£{value:,.0f}"


def count(value) -> str:
    return "–" if _missing(value) else f"{value:,.0f}"


def percent(value, digits: int = 1) -> str:
    """A share (0.452) -> '45.2%'."""
    return "–" if _missing(value) else f"{value * 100:.{digits}f}%"


def change_points(value, digits: int = 1) -> str:
    """A change in a share (0.031) -> '+3.1 points'."""
    if _missing(value):
        return "–"
    return f"{value * 100:+.{digits}f} points"


def date(value: dt.date | dt.datetime | None) -> str:
    if value is None:
        return "–"
    return f"{value.day} {value:%B %Y}" + (f" at {value:%H:%M}" if isinstance(value, dt.datetime) else "")


def sent_words(submitted_on: dt.date | None, due_on: dt.date | None) -> str:
    """When a return was sent against when it was due: 'Sent 14 August 2025, late (due 30 July 2025).'"""
    if submitted_on is None:
        return f"The return does not say when it was sent (it was due {date(due_on)})."
    late = due_on is not None and submitted_on > due_on
    return f"Sent {date(submitted_on)}, {'late' if late else 'on time'} (due {date(due_on)})."


PERCENT_UNITS = ("percent", "percent of value", "percent of bodies", "percent of committed")
WHOLE_UNITS = ("issues", "days", "districts", "organisations", "awards", "months")  # counted: whole numbers in tables


def text_column(name: str, formatter, frame: pl.DataFrame, *columns: str) -> pl.Series:
    """A column of text made row by row in Python: `formatter` applied to each row's values of `columns`. Not polars'
    map_elements, whose Python calls from polars' own threads deadlock when several sessions draw pages at once."""
    return pl.Series(name, [formatter(*values) for values in zip(*(frame[c] for c in columns))], dtype=pl.Utf8)


def date_column(column: str) -> pl.Expr:
    """A column of dates as UK readers write them in a table: 25 Apr 2027 (– where there is none)."""
    return pl.col(column).cast(pl.Date).dt.strftime("%-d %b %Y").fill_null("–")


def indicator_value(value, unit: str, suppressed: bool = False) -> str:
    """An indicator's value in its unit, as UK readers expect: 45.2%, £1.23 per head, 1,234 issues, 30 days, [c]."""
    if suppressed:
        return SUPPRESSED
    if _missing(value):
        return "–"
    if unit in PERCENT_UNITS:
        return f"{value:.1f}%"
    if unit == "£ per head":
        return f"£{value:,.2f} per head"
    if unit == "per 100 organisations":
        return f"{value:,.1f} per 100 organisations"
    if unit == "days":
        return f"{value:,.0f} days"
    return f"{value:,.0f} {unit}"


def unit_header(label: str, unit: str | None) -> str:
    """A table's numeric column headed with its unit, as analysts expect in a CSV: 'Value (%)', 'Funding (£)',
    'Median (days)'."""
    if not unit:
        return label
    return f"{label} (%)" if unit in PERCENT_UNITS else f"{label} ({unit})"


def no_change(value, unit: str) -> bool:
    """A change that rounds to nothing as shown (+0.0 points): neutral, neither better nor worse."""
    if _missing(value):
        return False
    places = 1 if unit in PERCENT_UNITS or unit == "per 100 organisations" else 2 if unit == "£ per head" else 0
    return round(value, places) == 0


def indicator_change(value, unit: str) -> str:
    """A change in an indicator's value: +3.1 points for percentages, +£0.12 per head, +12 issues; 'no change'."""
    if _missing(value):
        return "–"
    if no_change(value, unit):
        return "no change"
    if unit in PERCENT_UNITS:
        return f"{value:+.1f} points"
    if unit == "£ per head":
        return f"{'+' if value >= 0 else '-'}£{abs(value):,.2f} per head"
    if unit == "per 100 organisations":
        return f"{value:+,.1f} per 100 organisations"
    return f"{value:+,.0f} {unit}"


def meetings_metric(held, committed) -> tuple[str, str]:
    """A return's engagement meetings as a metric's label and a value short enough to show whole: ('Engagement
    meetings held of committed', '3 of 4'), ('Engagement meetings held, none committed', '2'), never '2 of 0'."""
    if _missing(held) or _missing(committed):
        return "Engagement meetings held of committed", "–"
    if committed == 0:
        return "Engagement meetings held, none committed", count(held)
    return "Engagement meetings held of committed", f"{count(held)} of {count(committed)}"


RAG_NAMES = {"green": "Green", "amber": "Amber", "red": "Red"}
LOW_BASE = f"low base: fewer than {SMALL_BASE} counted"  # the words that label a figure on a low base wherever it is shown


def rag_thresholds(direction: str, green, amber, unit: str) -> str | None:
    """An indicator's RAG thresholds in words: 'green at 90.0% or more, amber at 75.0% or more, red below 75.0%'."""
    if _missing(green) or _missing(amber) or direction not in ("higher", "lower"):
        return None
    more, less = ("or more", "below") if direction == "higher" else ("or less", "above")
    return (f"green at {indicator_value(green, unit)} {more}, amber at {indicator_value(amber, unit)} {more}, "
            f"red {less} {indicator_value(amber, unit)}")


def rag_cell(rag: str | None, direction: str, green, amber, unit: str, low_base: bool = False) -> str:
    """A RAG status as a table shows it, with its thresholds: 'Amber (green ≥ 90%, amber ≥ 75%)'; 'None (low base)'
    on a low base; '–' for an indicator with no thresholds or a figure with no value."""
    if _missing(green) or _missing(amber) or direction not in ("higher", "lower"):
        return "–"
    if low_base:
        return "None (low base)"
    if rag not in RAG_NAMES:
        return "–"
    sign = "≥" if direction == "higher" else "≤"

    def short(threshold) -> str:
        return f"{threshold:g}%" if unit in PERCENT_UNITS else indicator_value(threshold, unit)
    return f"{RAG_NAMES[rag]} (green {sign} {short(green)}, amber {sign} {short(amber)})"


def rag_words(rag: str | None, direction: str, green, amber, unit: str, low_base: bool = False) -> str | None:
    """A RAG status with the thresholds it was judged against: 'Amber (green at 90.0% or more, amber at 75.0% or
    more, red below 75.0%)'; on a low base, why none is given; None for an indicator with no thresholds."""
    thresholds = rag_thresholds(direction, green, amber, unit)
    if thresholds is None:
        return None
    if low_base:
        return f"No RAG: {LOW_BASE} ({thresholds})"
    return f"{RAG_NAMES[rag]} ({thresholds})" if rag in RAG_NAMES else None


def plural(value, word: str, words: str | None = None) -> str:
    """'1 file', '2,035 files'."""
    return f"{count(value)} {word if value == 1 else (words or word + 's')}"


def plural_noun(noun: str) -> str:
    """'executive agency' -> 'executive agencies', 'local authority' -> 'local authorities', 'board' -> 'boards'."""
    if noun.endswith("y") and noun[-2:-1] not in "aeiou":
        return noun[:-1] + "ies"
    return noun + ("es" if noun.endswith(("s", "sh", "ch", "x")) else "s")


def months_between(earlier: dt.date, later: dt.date) -> int:
    """Whole months from `earlier` to `later` (0 when later is earlier)."""
    return max(0, (later.year - earlier.year) * 12 + later.month - earlier.month - (later.day < earlier.day))


def waited_since_quarter(period: str, as_of: dt.date) -> str:
    """How long an issue raised in a quarter ('2025-26 Q3') has waited by `as_of`: '11 to 13 months'."""
    first, last = periods.quarter_bounds(int(period[:4]), int(period[-1]))
    least, most = months_between(min(last, as_of), as_of), months_between(first, as_of)
    return f"under {most + 1} months" if least == 0 else f"{least} to {most + 1} months"

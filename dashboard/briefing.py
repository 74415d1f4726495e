"""A briefing pack: a short PDF a committee clerk takes into a hearing, on one public body, one principle or one place.
A cover with the headline figures; then, principle by principle, every figure with its numerator and denominator, the
change since the same quarters a year before and since the 2024-25 baseline, the peers' median and the rank, and a
chart; caveats (low bases, suppressed figures, records left out); definitions and sources; the release, its date,
the link that reopens the same view and a citation line.

Its figures are the pages' own: the same query layer (dashboard/queries.py), the same headline figures
(components.view_headlines, as Overview and Principles show them) and the same scorecard (dashboard/scorecard.py,
as Public bodies shows it), formatted by the same functions. HTML and CSS made into PDF by WeasyPrint (Debian's pango,
the fonts on the machine), charts drawn as SVG by Plotly's static export (dashboard/chart_images.py): nothing is fetched.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
from dataclasses import dataclass, field
from urllib.parse import urlencode

import polars as pl

from dashboard import chart_images, components, figures, filters, queries
from dashboard import format as fmt
from dashboard.layout import SERVICE_NAME, published_on, citation
from dashboard.scorecard import body_scorecard
from etl.sources import source
from warehouse import breakdowns
from warehouse.indicators import SMALL_BASE

PLACES = ("district", "combined_authority", "region", "nation")
PLACE_WORDS = {"district": "districts", "combined_authority": "combined authorities", "region": "regions",
               "nation": "nations"}  # a place's peers: the places of its level
# what a pack is about: its filter keys (a place is any of PLACES) and the page whose view it reopens
SUBJECTS = {"body": "public-bodies", "principle": "principles", "place": "localities"}
DIRECTION_WORDS = {"higher": "Better when higher", "lower": "Better when lower", "none": "Neither higher nor lower is better"}


@dataclass(frozen=True)
class Section:
    """One principle's figures in a pack: a row per indicator, and a chart of its percentages (SVG) when it has any."""

    name: str
    rows: list[dict]
    chart: bytes | None = None


@dataclass(frozen=True)
class Briefing:
    """A pack's content, before it is laid out."""

    title: str  # what it is about: 'Department for Culture, Media and Sport'
    kind: str  # 'Public body', 'Principle', 'District', ...
    described: str  # the view in words (the filters)
    period: str  # the headline's quarters in words
    year_before: str | None  # None: no figures are published for it
    baseline: str | None
    peers: str | None  # whom the peers' median and rank are among, in words
    cover: list[dict]
    sections: list[Section]
    caveats: list[str]
    definitions: list[dict]
    release: str
    published: str
    link: str
    citation: str
    summary: str = ""
    compared: list[str] = field(default_factory=list)


def subject_of(body: str | None = None, principle: str | None = None, place: str | None = None) -> dict[str, str]:
    """The link's filters for a pack on one body, principle or place (a place's GSS code under its own level's key)."""
    given = [(k, v) for k, v in (("body", body), ("principle", principle), ("place", place)) if v]
    if len(given) != 1:
        raise ValueError("A briefing is on one public body, one principle or one place: give one of --body, --principle "
                         "or --place")
    key, code = given[0]
    if key != "place":
        return {key: code}
    names = queries.breakdown_names().filter(pl.col("breakdown").is_in(PLACES) & (pl.col("code") == code))
    if names.is_empty():
        raise ValueError(f"The published data has no place with the code '{code[:40]}'")
    return {names["breakdown"][0]: code}


def _page_of(view: dict[str, str]) -> str:
    return SUBJECTS["body" if "body" in view else "principle" if "principle" in view else "place"]


def _signed(value, unit: str) -> str:
    return "–" if value is None else fmt.indicator_change(value, unit)


def _base_words(row: dict) -> str:
    if row.get("suppressed"):
        return fmt.SUPPRESSED
    numerator, denominator = row.get("numerator"), row.get("denominator")
    if denominator is None or row["unit"] in fmt.WHOLE_UNITS:  # a count or a median is its own base
        return "–"
    if row["unit"] in fmt.PERCENT_UNITS and row["unit"] != "percent of value":
        return f"{fmt.count(numerator)} of {fmt.count(denominator)}"
    if row["unit"] == "percent of value":
        return f"{fmt.money(numerator)} of {fmt.money(denominator)}"
    if numerator is None:
        return f"– over {fmt.count(denominator)}"
    if row["unit"].startswith("£"):
        return f"{fmt.money(numerator)} over {fmt.count(denominator)}"
    return f"{fmt.count(numerator)} over {fmt.count(denominator)}"


def _place_peers(selection, declared: pl.DataFrame, span: tuple[int, int], level: str, code: str) -> pl.DataFrame:
    """The place's rank and the median among every place of its level, on the funding and returns indicators."""
    public = declared.filter(~pl.col("disclosure_controlled") & pl.col("breakdowns").list.contains(level))
    cells = queries.figures(public["indicator_id"].to_list(), [figures.span(figures.NOW, *span)], level,
                            selection.without(level)).filter(pl.col("breakdown_code").is_not_null())  # not 'Not known'
    cells = figures.peer_medians(cells.join(declared.select("indicator_id", "direction", "unit"), on="indicator_id")
                                 .with_columns(pl.lit(level).alias("peer_group")))
    return cells.filter(pl.col("breakdown_code") == code).with_columns(
        fmt.text_column("peer_shown", fmt.indicator_value, cells.filter(pl.col("breakdown_code") == code), "peer_median", "unit"))


def _chart(name: str, rows: list[dict], versus: str | None, period: str, year_before: str, title: str, summary: str,
           source_line: str) -> bytes | None:
    """A principle's percentages as bars: the view's value against its peers' median, or else against the year before."""
    drawn = [r for r in rows if r["unit"] in fmt.PERCENT_UNITS and r["value"] is not None and not r.get("suppressed")]
    if not drawn:
        return None
    names = [r["name"] for r in drawn]
    other, other_name = (("peer_median", "Median of its peers") if versus else ("previous_value", year_before))
    traces = [{"type": "bar", "orientation": "h", "y": names, "x": [r["value"] for r in drawn], "name": name if versus else period,
               "text": [r["shown"] for r in drawn], "textposition": "outside"},
              {"type": "bar", "orientation": "h", "y": names, "x": [r.get(other) for r in drawn], "name": other_name,
               "text": [fmt.indicator_value(r.get(other), r["unit"]) if r.get(other) is not None else "" for r in drawn],
               "textposition": "outside"}]
    figure = components.figure(traces, barmode="group", yaxis={"autorange": "reversed"},
                               xaxis=components.axis("Per cent", range=[0, 115]), height=max(220, 52 * len(drawn) + 90),
                               legend={"orientation": "h", "y": -0.25})
    return chart_images.image(figure, title, summary, source_line, "svg")


def briefing(view: dict[str, str], base_url: str, retrieved: dt.date) -> Briefing:
    """The pack for `view` (a link's filters: body, principle or a place, and from/to), read from the release this
    thread has pinned (queries.pin_release), with links under `base_url` (the dashboard's address)."""
    selection = filters.selection_for(view)
    info = queries.build_info()
    as_of = info["as_of"]
    declared = queries.indicators()
    body, principle = selection.values.get("body"), selection.principle
    level = next((b for b in PLACES if selection.values.get(b)), None)
    if principle:
        declared = declared.filter(pl.col("principle") == principle)
    left_out, left_out_why = [], ""
    if level:  # issue figures are published for some levels of place only (disclosure control): never another level's
        left_out = declared.filter(~pl.col("breakdowns").list.contains(level))["name"].to_list()
        declared = declared.filter(pl.col("breakdowns").list.contains(level))
        left_out_why = (f"Not published by {breakdowns.BY_KEY[level].label.lower()}, so left out: {', '.join(left_out)}. "
                        "Departmental returns describe a body, not a place, and issue figures are published for larger "
                        "areas only, so that no one who raised an issue can be identified.")
    if body:  # as Public bodies shows: the indicators published by public body
        left_out = declared.filter(~pl.col("breakdowns").list.contains("public_body"))["name"].to_list()
        declared = declared.filter(pl.col("breakdowns").list.contains("public_body"))
        left_out_why = (f"Not published by public body, so left out: {', '.join(left_out)}. They are figures of the "
                        "whole country or of places (see the Principles page).")
        body_type = dict(queries.breakdown_names().filter(pl.col("breakdown") == "public_body").select("code", "parent").iter_rows()).get(body)
        not_applicable = declared.filter(~pl.col("applies_to").list.contains(body_type))["name"].to_list() if body_type else []
        if not_applicable:  # a council's pack shows nothing that does not apply to councils
            declared = declared.filter(~pl.col("name").is_in(not_applicable))
            kinds = dict(queries.breakdown_names().filter(pl.col("breakdown") == "body_type").select("code", "name").iter_rows())
            left_out_why = (left_out_why + " " if left_out else "") + (
                f"Not applicable to {fmt.plural_noun(kinds.get(body_type, 'public body').lower())}, so left out: "
                f"{', '.join(not_applicable)}.")
            left_out = left_out + not_applicable
    rows, period, baseline = components.view_headlines(selection, declared, as_of)
    if rows.height and not rows["period_complete"].all():
        period += " (to date: its last quarter is not over)"
    span = selection.headline_span(as_of)
    year_before = figures.span_name(span[0] - 4, span[1] - 4)
    names = queries.breakdown_names()
    type_names = dict(names.filter(pl.col("breakdown") == "body_type").select("code", "name").iter_rows())
    principle_names = dict(names.filter(pl.col("breakdown") == "principle").select("code", "name").iter_rows())
    peers_words, peer_rows, summary = None, None, ""
    if body:
        body_type = dict(names.filter(pl.col("breakdown") == "public_body").select("code", "parent").iter_rows()).get(body)
        peers_words = fmt.plural_noun(type_names.get(body_type, "public body").lower())
        card = body_scorecard(selection, declared, span, body_type)
        peer_rows = card.filter(pl.col("body_code") == body) if card.height else None
        title, kind = selection.names["body"], type_names.get(body_type, "Public body")
    elif level:
        code = selection.values[level]
        peers_words = PLACE_WORDS[level]
        peer_rows = _place_peers(selection, declared, span, level, code)
        title, kind = selection.names[level], breakdowns.BY_KEY[level].label
    else:
        title, kind = selection.names["principle"], "Principle"

    peers = {} if peer_rows is None else {r["indicator_id"]: r for r in peer_rows.iter_rows(named=True)}
    shown_rows = []
    for r in rows.iter_rows(named=True):
        peer = peers.get(r["indicator_id"], {})
        value = peer.get("value", r["value"]) if body and peer else r["value"]
        suppressed = bool(peer.get("suppressed", r.get("suppressed"))) if body and peer else bool(r.get("suppressed"))
        row = r | {"value": value, "suppressed": suppressed,
                   "numerator": peer.get("numerator", r.get("numerator")) if body and peer else r.get("numerator"),
                   "denominator": peer.get("denominator", r.get("denominator")) if body and peer else r.get("denominator"),
                   "low_base": bool(peer.get("low_base", r.get("low_base")) if body and peer else r.get("low_base")),
                   "shown": fmt.indicator_value(value, r["unit"], suppressed),
                   "peer_median": peer.get("peer_median"), "peer_shown": peer.get("peer_shown") or "–",
                   "rank_words": (f"{figures.ordinal(peer['rank'])} of {peer['peers_with_value']}"
                                  if peer.get("rank") is not None else "–")}
        row["base_words"] = _base_words(row)
        shown_rows.append(row)
    described = selection.describe(markdown=False)
    pinning = queries.pinning()
    link = f"{base_url.rstrip('/')}/{_page_of(view)}?{urlencode(view | {'release': pinning['release']})}"
    cite = citation(_page_title(view), described, link, pinning, retrieved)
    source_line = (f"Source: {SERVICE_NAME}. Release {pinning['release']}, published "
                   f"{published_on(pinning['release_built_at'])}.")
    sections = []
    for code in [p for p in principle_names if any(r["principle"] == p for r in shown_rows)]:
        mine = [r for r in shown_rows if r["principle"] == code]
        drawn = [r for r in mine if r["unit"] in fmt.PERCENT_UNITS and r["value"] is not None and not r["suppressed"]]
        other = "peer_median" if peers_words else "previous_value"
        comparable = [r for r in drawn if r.get(other) is not None and r["direction"] in ("higher", "lower")]
        chart_title = (f"{title}: {principle_names[code].lower()}, {period}" if title != principle_names[code]
                       else f"{title}, {period}")
        ahead = figures.against(comparable, other)["better"]
        against = "the median of its peers" if peers_words else f"the same quarters a year before ({year_before})"
        chart_summary = (f"Better than {against} on {ahead} of {len(comparable)} percentages." if comparable else "")
        sections.append(Section(principle_names[code], mine,
                                _chart(title, mine, peers_words, period, year_before, chart_title, chart_summary, source_line) if drawn else None))
    if peers_words:
        sides = figures.against([r for r in shown_rows if r["unit"] in fmt.PERCENT_UNITS])
        summary = (f"In {period}, {title} did better than the median of the {peers_words} on {sides['better']} of "
                   f"{sides['of']} percentages.")
    caveats = _caveats(shown_rows, info) + ([left_out_why] if left_out else [])
    definitions = [{"name": r["name"], "principle": principle_names.get(r["principle"], r["principle"]),
                    "definition": r["definition"], "unit": r["unit"], "direction": r["direction"],
                    "target": r["target"], "rag_green": r["rag_green"], "rag_amber": r["rag_amber"],
                    "sources": ", ".join(source(s).title for s in r["sources"])}
                   for r in declared.filter(pl.col("indicator_id").is_in([x["indicator_id"] for x in shown_rows])).iter_rows(named=True)]
    headline_ids = set(declared.filter(pl.col("headline"))["indicator_id"])
    cover = [r for r in shown_rows if r["indicator_id"] in headline_ids] or shown_rows[:6]
    if not any(r.get("previous_value") is not None for r in shown_rows):  # no figures are published for the year before
        year_before, baseline = None, None
    return Briefing(title, kind, described, period, year_before, baseline, peers_words, cover, sections, caveats, definitions,
                    pinning["release"], published_on(pinning["release_built_at"]), link, cite, summary)


def _page_title(view: dict[str, str]) -> str:
    return {"public-bodies": "Public bodies", "principles": "Principles", "localities": "Localities"}[_page_of(view)]


def _caveats(rows: list[dict], info: dict) -> list[str]:
    small = [r["name"] for r in rows if r["low_base"]]
    suppressed = [r["name"] for r in rows if r["suppressed"]]
    lacking = sum(r.get("lacking") or 0 for r in rows)
    open_period = any(r.get("period_complete") is False for r in rows)
    found = []
    if small:
        found.append(f"Low bases (marked †): {', '.join(small)} rest on fewer than {SMALL_BASE} counted, so one more or "
                     "less moves them by ten points or more. They are given no RAG status.")
    if suppressed:
        found.append(f"Suppressed ({fmt.SUPPRESSED}): {', '.join(suppressed)}. Issue figures are under disclosure control: "
                     "a count under 5, or one that could be worked out from others, is not published.")
    if lacking:
        found.append(f"{fmt.count(lacking)} records were left out of these figures for lacking the field an indicator needs.")
    if open_period:
        found.append("The latest quarters are not over yet: figures for them may change as returns and files arrive.")
    found.append(f"The release was loaded from {fmt.plural(info['files'], 'file')}: {fmt.plural(info['rows_loaded'], 'row')} "
                 f"loaded, {fmt.count(info['rows_quarantined'])} quarantined for failing validation, "
                 f"{fmt.plural(info['files_rejected'], 'file')} rejected (see Data quality).")
    return found


STYLE = """
@page { size: A4; margin: 18mm 16mm 20mm 16mm;
  @bottom-left { content: "RELEASE_FOOTER"; font-family: "Liberation Sans", Arial, sans-serif; font-size: 8pt; color: #505a5f; }
  @bottom-right { content: "Page " counter(page) " of " counter(pages); font-family: "Liberation Sans", Arial, sans-serif;
    font-size: 8pt; color: #505a5f; } }
body { font-family: "Liberation Sans", Arial, sans-serif; font-size: 10pt; color: #0b0c0c; line-height: 1.35; }
h1 { font-size: 22pt; margin: 0 0 4mm 0; } h2 { font-size: 15pt; margin: 6mm 0 2mm 0; break-after: avoid; }
h3 { font-size: 11pt; margin: 4mm 0 1mm 0; break-after: avoid; }
.kind { font-size: 11pt; color: #505a5f; margin: 0; }
.cover { break-after: page; }
.meta { border-left: 4px solid #1d70b8; padding-left: 4mm; margin: 5mm 0; }
table { border-collapse: collapse; width: 100%; margin: 2mm 0 4mm 0; font-size: 8.5pt; }
th, td { border-bottom: 1px solid #b1b4b6; padding: 1.2mm 1.5mm; text-align: left; vertical-align: top; }
th { background: #f3f2f1; } td.n { text-align: right; white-space: nowrap; } td.rag { width: 22mm; font-size: 7.5pt; }

tr { break-inside: avoid; }
.section { break-before: page; } .section:first-of-type { break-before: auto; }
figure { margin: 2mm 0; break-inside: avoid; } figure img { width: 100%; }
.note { color: #505a5f; font-size: 8.5pt; }
.citation { font-family: "Liberation Mono", monospace; font-size: 8pt; background: #f3f2f1; padding: 2mm; word-break: break-all; }
a { color: #1d70b8; word-break: break-all; }
"""


def _e(value) -> str:
    return html.escape("" if value is None else str(value))


def _figure_row(r: dict, peers: bool, since_previous: bool, since_baseline: bool) -> str:
    cells = [_e(r["name"]) + (" †" if r["low_base"] else ""), _e(r["shown"]), _e(r["base_words"])]
    if since_previous:
        cells.append(_e(_signed(r.get("change_since_previous"), r["unit"])))
    if since_baseline:
        cells.append(_e(_signed(r.get("change_since_baseline"), r["unit"])))
    if peers:
        cells += [_e(r["peer_shown"]), _e(r["rank_words"])]
    cells.append(_e(fmt.rag_cell(r.get("rag"), r["direction"], r.get("rag_green"), r.get("rag_amber"), r["unit"], r["low_base"])))
    kinds = [""] + [" class=n"] * (len(cells) - 2) + [" class=rag"]
    return "<tr>" + "".join(f"<td{kind}>{c}</td>" for kind, c in zip(kinds, cells, strict=True)) + "</tr>"


def _figure_table(rows: list[dict], b: Briefing) -> str:
    since_baseline = b.baseline is not None and b.baseline != b.year_before  # else the year before is the baseline
    head = ["Indicator", f"{b.period}", "Numerator of denominator"]
    if b.year_before:
        head.append(f"Change since {b.year_before}" + (" (the baseline)" if b.baseline == b.year_before else ""))
    if since_baseline:
        head.append(f"Change since the {b.baseline} baseline")
    if b.peers:
        head += ["Median of its peers", f"Rank among {b.peers}"]
    head.append("RAG")
    return ("<table><thead><tr>" + "".join(f"<th>{_e(h)}</th>" for h in head) + "</tr></thead><tbody>"
            + "".join(_figure_row(r, bool(b.peers), b.year_before is not None, since_baseline) for r in rows) + "</tbody></table>")


def _svg(data: bytes) -> str:
    return f'<img alt="" src="data:image/svg+xml;base64,{base64.b64encode(data).decode("ascii")}">'


def document(b: Briefing) -> str:
    """The pack as HTML, every value escaped."""
    parts = [f"<!doctype html><html lang='en-GB'><head><meta charset='utf-8'><title>Briefing: {_e(b.title)}</title>"
             f"<style>{STYLE.replace('RELEASE_FOOTER', f'{SERVICE_NAME} · release {b.release}, published {b.published}')}"
             "</style></head><body>",
             "<section class='cover'>", f"<p class='kind'>{_e(SERVICE_NAME)} · briefing · {_e(b.kind)}</p>",
             f"<h1>{_e(b.title)}</h1>",
             "<div class='meta'>"
             f"<p><strong>View:</strong> {_e(b.described)}</p>"
             f"<p><strong>Figures for:</strong> {_e(b.period)}"
             + ("" if not b.year_before else f", against the same quarters of {_e(b.year_before)}"
                + (" (the baseline)" if b.baseline == b.year_before else f" and of the {_e(b.baseline)} baseline" if b.baseline else ""))
             + ("" if b.year_before else " (no figures are published for the year before, so no change is given)") + "</p>"
             + (f"<p><strong>Peers:</strong> the other {_e(b.peers)}</p>" if b.peers else "")
             + f"<p><strong>Release:</strong> {_e(b.release)}, published {_e(b.published)}</p>"
             f"<p><strong>Link to this view in this release:</strong> <a href='{_e(b.link)}'>{_e(b.link)}</a></p></div>"]
    if b.summary:
        parts.append(f"<p>{_e(b.summary)}</p>")
    parts += ["<h2>Headline figures</h2>", _figure_table(b.cover, b),
              "<p class='note'>Numerator of denominator: the records (or £) counted and those they are counted among. "
              + ("Rank: 1st is the best, among the peers with a value (how many is given). " if b.peers else "")
              + "–: nothing to show. [c]: suppressed. † a low base, fewer than " + str(SMALL_BASE) + " counted (see Caveats).</p></section>"]
    for s in b.sections:
        parts += [f"<section class='section'><h2>{_e(s.name)}</h2>", _figure_table(s.rows, b)]
        if s.chart is not None:
            parts.append(f"<figure>{_svg(s.chart)}</figure>")
        parts.append("</section>")
    parts += ["<section class='section'><h2>Caveats</h2><ul>" + "".join(f"<li>{_e(c)}</li>" for c in b.caveats) + "</ul>",
              "<h2>Definitions and sources</h2>"]
    for d in b.definitions:
        rule = fmt.rag_thresholds(d["direction"], d["rag_green"], d["rag_amber"], d["unit"])
        thresholds = f" RAG: {rule}; none on a {fmt.LOW_BASE}." if rule else ""
        parts.append(f"<h3>{_e(d['name'])}</h3><p>{_e(d['definition'])} <span class='note'>Principle: {_e(d['principle'])}. "
                     f"Unit: {_e(d['unit'])}. {_e(DIRECTION_WORDS[d['direction']])}.{_e(thresholds)} Sources: {_e(d['sources'])}."
                     "</span></p>")
    parts += ["<h2>How to cite this briefing</h2>", f"<p class='citation'>{_e(b.citation)}</p>",
              "<p class='note'>Contains public sector information licensed under the Open Government Licence v3.0. "
              "The link pins this release, so it shows these figures as long as the release is kept.</p></section>",
              "</body></html>"]
    return "".join(parts)


def pdf(b: Briefing) -> bytes:
    from weasyprint import HTML

    return HTML(string=document(b)).write_pdf()


def pack(view: dict[str, str], release: str | None, base_url: str, retrieved: dt.date | None = None) -> bytes:
    """The PDF for `view` from `release` (None: the latest): what the pages' download and `covenant briefing` call.
    Pins the release in the thread it runs in (a download is made outside the page's run)."""
    queries.pin_release(release)
    return pdf(briefing(view, base_url, retrieved or dt.date.today()))

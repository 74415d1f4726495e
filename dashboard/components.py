"""The parts every page builds with: a chart with its title, a plain-English summary computed from the data shown, a
table alternative, its own download and a note of the records left out; and an indicator's headline figure."""

from __future__ import annotations

import html
import re
from functools import partial

import polars as pl
import streamlit as st

from dashboard import chart_images, extracts, layout
from dashboard import format as fmt
from etl import periods, settings
from warehouse import breakdowns

# Okabe and Ito's colour-blind-safe palette; RAG is always written out as well as coloured
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
MOST_BARS = 30  # a ranking chart shows the top and bottom 15 of longer lists; its table has every one
# every chart's look; a page's own layout is laid over it (its legend merged with this one)
LAYOUT = {"colorway": list(PALETTE), "font": {"family": "Arial, sans-serif"}, "margin": {"t": 30, "b": 40}, "height": 360,
          "legend": {"title": {"text": ""}}}


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:80]


def figure(traces: list[dict], **layout) -> dict:
    """A Plotly figure as plain data: traces (each with its "type") and layout, laid over every chart's look.
    st.plotly_chart checks it against Plotly's schema once; building graph objects and updating them attribute by
    attribute cost several times as much."""
    return {"data": traces, "layout": LAYOUT | layout | {"legend": LAYOUT["legend"] | layout.get("legend", {})}}


def axis(title: str, **more) -> dict:
    return {"title": {"text": title}, **more}


def chart(title: str, summary: str, figure: dict | None, table: pl.DataFrame, *, file_stem: str,
          left_out: str | None = None, sources: tuple[str, ...] = ()) -> None:
    """A chart as every page shows one: title, one-sentence summary, the chart (`figure`, made by figure(); described
    for screen readers by the summary), the same figures as a table, downloads of them (CSV) and of the chart as an
    image (PNG and SVG, with its title, summary, source and release drawn in), and what was left out. With no value
    to draw (`figure` None) the summary says why, and no empty chart is drawn. `sources`: the inbox folders its
    figures come from (every source when none is named)."""
    with st.container(key=f"chart-block-{slug(file_stem)}"):  # the block the browser tests check as one
        st.subheader(title)
        st.markdown(summary)
        if figure is not None:
            st.plotly_chart(figure, config={"displayModeBar": False, "staticPlot": False}, key=f"chart-{slug(file_stem)}")
        with st.expander(f"Table: {title}"):
            show_table(table)
        with st.container(horizontal=True, key=f"chart-downloads-{slug(file_stem)}"):
            st.download_button(f"Download the data of “{title}” (CSV)", partial(extracts.csv_bytes, table),  # made on click,
                               file_name=f"{slug(file_stem)}.csv", mime="text/csv", key=f"download-{slug(file_stem)}",
                               on_click="ignore")  # with no rerun, which could revoke the file being made
            if figure is not None:
                source = layout.source_line(sources)
                for file_type in chart_images.MEDIA_TYPES:
                    st.download_button(f"Download the chart “{title}” ({file_type.upper()})",
                                       partial(chart_images.image, figure, fmt.plain_text(title), fmt.plain_text(summary), source, file_type),
                                       file_name=f"{slug(file_stem)}.{file_type}", mime=chart_images.MEDIA_TYPES[file_type],
                                       key=f"download-{file_type}-{slug(file_stem)}", on_click="ignore")
        if left_out:
            st.caption(left_out)


def briefing_download(subject: dict[str, str], about: str) -> None:
    """A button that downloads the briefing pack (PDF, dashboard/briefing.py) on `subject` (a body, principle or
    place: its filter key and code) with the view's other filters, from the release shown, made when clicked."""
    from dashboard import briefing, filters, queries

    view = {k: v for k, v in filters.carried().items() if k != "release"} | subject
    base = str(st.context.url or "").split("?", 1)[0].rsplit("/", 1)[0] or settings.DEFAULT_URL
    st.download_button(f"Download a briefing pack on {fmt.markdown_text(about)} (PDF)",
                       partial(briefing.pack, view, queries.pinning()["release"], base),
                       file_name="-".join(filter(None, ("covenant-briefing", slug(about), slug(f"{view.get('from', '')} {view.get('to', '')}"),
                                                        slug(queries.pinning()["release"] or "")))) + ".pdf",  # one per view and release
                       mime="application/pdf", on_click="ignore",
                       key=f"briefing-{slug('-'.join(subject.values()))}",
                       help="A short PDF for a hearing: headline figures, each principle's figures with numerators, "
                            "changes, peers' median and rank, charts, caveats, definitions, the release and a citation.")


PRINTED_ROWS = 300  # a printed table's rows at most (about six sheets): the rest are in the page's download
WIDE_COLUMNS = 10  # a table with more columns prints on a landscape sheet of its own, in smaller type
PRINTED_COLUMNS = 30  # more than this is unreadable even so: such a table is named in print, not drawn


def show_table(table: pl.DataFrame, printed_rows: int = PRINTED_ROWS) -> None:
    """A table as Arrow, which Streamlit sends as it is (a polars frame is converted through pandas first: a third
    of a chart's drawing time, and whole numbers with a gap became decimals). Printed as a plain HTML table of its
    rows (print_table()): the grid is drawn on a canvas, a screen's height of rows at a time. Text that is missing
    reads "–", never "None". `printed_rows`: the rows it holds in print, fewer for a preview."""
    table = table.with_columns(pl.col(pl.Utf8).fill_null("–"))
    st.dataframe(table.to_arrow(), hide_index=True)
    st.html(print_table(table, printed_rows))


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else str(value)
    if isinstance(value, list | tuple):
        return ", ".join(_cell(v) for v in value)
    return str(value)


def print_table(table: pl.DataFrame, printed_rows: int = PRINTED_ROWS) -> str:
    """`table` as a plain HTML table, every value escaped, shown only in print (dashboard/print.css): its first
    `printed_rows` rows, and a note of how many more there are; more than WIDE_COLUMNS wide, on landscape sheets; wider
    than PRINTED_COLUMNS, only a note that it is in the download. Sent with every view of the page, hidden on screen."""
    if table.width > PRINTED_COLUMNS:
        return (f"<div class='print-table'><p class='print-more'>A table of {fmt.plural(table.height, 'row')} and "
                f"{table.width} columns, too wide to print legibly: it is in the page's download.</p></div>")
    head = "".join(f"<th scope='col'>{html.escape(str(c))}</th>" for c in table.columns)
    numeric = [dtype.is_numeric() for dtype in table.dtypes]
    rows = "".join("<tr>" + "".join(f"<td class='number'>{html.escape(_cell(v))}</td>" if n else f"<td>{html.escape(_cell(v))}</td>"
                                     for v, n in zip(row, numeric)) + "</tr>" for row in table.head(printed_rows).iter_rows())
    more = (f"<p class='print-more'>The first {fmt.count(printed_rows)} of {fmt.count(table.height)} rows; every row is in "
            "the page's download.</p>" if table.height > printed_rows else "")
    kind = "print-table wide" if table.width > WIDE_COLUMNS else "print-table"
    return f"<div class='{kind}'><table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>{more}</div>"


def headline(column, row: dict, definition: str, baseline: str = periods.BASELINE_FINANCIAL_YEAR) -> None:
    """One indicator's value as a metric, with what it rests on (numerator of denominator), its change since the same
    quarters a year before (neutral when nothing changed) and since the baseline (`baseline`: its period in words),
    its RAG status with the thresholds, and a label when it rests on a low base."""
    value = fmt.indicator_value(row["value"], row["unit"], row["suppressed"])
    change = None if row["change_since_previous"] is None else fmt.indicator_change(row["change_since_previous"], row["unit"])
    still = fmt.no_change(row["change_since_previous"], row["unit"])
    colour = "off" if still else "normal" if row["direction"] == "higher" else "inverse" if row["direction"] == "lower" else "off"
    column.metric(row["name"], value, delta=change, delta_color=colour, delta_arrow="off" if still else "auto", help=definition)
    low = bool(row.get("low_base"))
    rag = fmt.rag_words(row["rag"], row["direction"], row.get("rag_green"), row.get("rag_amber"), row["unit"], low)
    notes = [f"[Definition]({definition_link(row['indicator_id'])})", rests_on(row), row.get("coverage"),
             fmt.LOW_BASE.capitalize() if low and rag is None else None,  # else the RAG words say so
             f"Since {baseline}: {fmt.indicator_change(row['change_since_baseline'], row['unit'])}"
             if row["change_since_baseline"] is not None else None,
             rag,
             f"{fmt.count(row['lacking'])} records lacked {row.get('needs') or 'the field'}" if row.get("lacking") else None]
    column.caption(" · ".join(n for n in notes if n) or " ")


def definition_link(indicator_id: str) -> str:
    """The relative link to an indicator's own view (the Indicators page), carrying the view's filters and release."""
    from urllib.parse import urlencode

    from dashboard import filters

    return "indicators?" + urlencode(filters.carried() | {"indicator": indicator_id})


def rests_on(row: dict) -> str | None:
    """What a figure rests on, in words: '9 of 10', '£1.2m of £3.4m', '£2.1m over 1,234,567 people'; None for a
    count (it is its own numerator) or a suppressed figure."""
    numerator, denominator, unit = row.get("numerator"), row.get("denominator"), row["unit"]
    if row.get("suppressed") or row.get("value") is None or denominator is None:
        return None
    if unit == "percent of value":
        return f"{fmt.money(numerator)} of {fmt.money(denominator)}"
    if unit in fmt.PERCENT_UNITS:
        return f"{fmt.count(numerator)} of {fmt.count(denominator)}"
    if unit == "£ per head":
        return f"{fmt.money(numerator)} over {fmt.count(denominator)} people"
    if unit == "per 100 organisations" and numerator is not None:
        return f"{fmt.count(numerator)} over {fmt.count(denominator)} organisations"
    if unit == "days":
        return f"median of {fmt.plural(denominator, 'issue')}"
    return None


def view_figures(selection, declared: pl.DataFrame, as_of, also: list[dict] = ()) -> pl.DataFrame:
    """The engine's rows for the declared funding and returns indicators with every filter of the selection, in the
    headline's comparison windows and the windows `also` (a page's series), in one query."""
    from dashboard import figures, queries

    public = declared.filter(~pl.col("disclosure_controlled"))["indicator_id"].to_list()
    return queries.figures(public, figures.comparison_windows(*selection.headline_span(as_of)) + list(also), "all",
                           selection.record_filters)


def view_headlines(selection, declared: pl.DataFrame, as_of, also: list[dict] = ()) -> tuple[pl.DataFrame, str, str | None]:
    """Every declared indicator's headline for the selection: funding and returns figures from the query-time engine
    over the headline quarters with every filter (view_figures(), with the windows `also` a page reads next);
    issue figures (disclosure-controlled, published by financial year one breakdown at a time) for the financial year
    of the headline's last quarter in the one cell they follow. Also the headline period and the baseline period, in
    words."""
    from dashboard import figures, queries

    first, last = selection.headline_span(as_of)
    windows = figures.comparison_windows(first, last)
    rows = figures.headlines(view_figures(selection, declared, as_of, also), declared, as_of)
    from_returns = declared.filter(pl.col("sources").list.contains("returns"))["indicator_id"].to_list()
    if from_returns:  # which bodies' returns a figure built on returns is from
        covered = figures.coverage_words(queries.return_coverage((first, last), as_of, selection.record_filters))
        rows = rows.with_columns(pl.when(pl.col("indicator_id").is_in(from_returns)).then(pl.lit(covered)).alias("coverage"))
    controlled = declared.filter(pl.col("disclosure_controlled"))
    if controlled.height:
        breakdown, code = selection.issue_cell(controlled["breakdowns"][0].to_list())
        year = figures.periods.financial_year_label(last // 4)
        issues = queries.indicator_values(breakdown, code, f"{year} Q1", f"{year} Q4").filter(
            pl.col("indicator_id").is_in(controlled["indicator_id"].to_list()))
        issues = issues.join(declared.select("indicator_id", "needs", "rag_green", "rag_amber", "principle"), on="indicator_id",
                             how="left", suffix="_declared")
        rows = pl.concat([rows, issues.select([c for c in rows.columns if c in issues.columns])], how="diagonal_relaxed")
    baseline = next((figures.span_name(w["first_index"], w["last_index"]) for w in windows if w["window_name"] == figures.BASELINE), None)
    return rows.sort("sort_order"), figures.span_name(first, last), baseline


def not_given(indicator: dict, selection) -> str:
    """Why an indicator has no figure for the filters chosen: the breakdowns it is given by, in words."""
    given = [breakdowns.BY_KEY[b].words for b in indicator["breakdowns"] if b != "all"]
    return (f"Not given for {selection.who()}: this indicator is given by "
            f"{', '.join(given) if given else 'the whole country only'}.")


def shown(frame: pl.DataFrame, unit: str | None = None) -> pl.DataFrame:
    """`frame` with a `shown` column: each value in its unit (`unit`, else the frame's own `unit` column), [c] where
    suppressed, – where there is none, † on a low base; and a `hover` column: the value with what it rests on
    ('45.0% (9 of 20)') and the low base in words."""
    with_unit = frame.with_columns((pl.lit(unit) if unit else pl.col("unit")).alias("_unit"))
    if "low_base" not in with_unit.columns:
        with_unit = with_unit.with_columns(pl.lit(False).alias("low_base"))

    def text(value, unit, suppressed, low) -> str:
        return fmt.indicator_value(value, unit, bool(suppressed)) + (" †" if low and value is not None else "")

    def hover(value, unit, suppressed, low, numerator, denominator) -> str:
        rests = rests_on({"value": value, "unit": unit, "suppressed": suppressed, "numerator": numerator, "denominator": denominator})
        return (fmt.indicator_value(value, unit, bool(suppressed)) + (f" ({rests})" if rests else "")
                + (f", {fmt.LOW_BASE}" if low and value is not None else ""))

    for missing in ("numerator", "denominator"):
        if missing not in with_unit.columns:
            with_unit = with_unit.with_columns(pl.lit(None, pl.Float64).alias(missing))
    return frame.with_columns(fmt.text_column("shown", text, with_unit, "value", "_unit", "suppressed", "low_base"),
                              fmt.text_column("hover", hover, with_unit, "value", "_unit", "suppressed", "low_base", "numerator", "denominator"))


def numbers(frame: pl.DataFrame, columns: dict[str, str], unit: str | None = None) -> list[pl.Expr]:
    """A chart table's value columns ({column: label}) as numbers, not text, each headed with its unit (`unit`, else
    the frame's `unit` column when its rows share one; rows of several units get a Unit column after them): whole
    numbers for counts and days, one decimal for percentages, else two. A suppressed value is empty, with a
    Suppressed column saying so. What a page shows and what its CSV holds."""
    units = [unit] if unit else frame["unit"].unique().drop_nulls().to_list() if "unit" in frame.columns else []
    shared = units[0] if len(units) == 1 else None
    suppressed = "suppressed" in frame.columns and bool(frame["suppressed"].any())

    def number(column: str, label: str) -> pl.Expr:
        value = pl.col(column).cast(pl.Float64)
        if suppressed:
            value = pl.when(pl.col("suppressed")).then(None).otherwise(value)
        if shared in fmt.WHOLE_UNITS:
            value = value.round(0).cast(pl.Int64)
        else:  # a tenth of a percentage point, as the pages show; else (money, several units) two decimals
            value = value.round(1 if shared in fmt.PERCENT_UNITS or shared == "per 100 organisations" else 2)
        return value.alias(fmt.unit_header(label, shared))

    expressions = [number(column, label) for column, label in columns.items()]
    if suppressed:
        expressions.append(pl.col("suppressed").alias("Suppressed ([c]: fewer than 5, or could be worked out)"))
    if len(units) > 1:
        expressions.append(pl.col("unit").alias("Unit"))
    return expressions


LOW_BASE_COLUMN = f"Low base (fewer than {fmt.SMALL_BASE} counted)"


def rag_shown(frame: pl.DataFrame, indicator: dict | None = None) -> pl.Series:
    """Each row's RAG status with its thresholds, as tables show it (format.rag_cell), from the frame's rag,
    low_base, direction, rag_green, rag_amber and unit, or the `indicator`'s where the frame has none."""
    def column(name: str) -> pl.Series:
        if name in frame.columns:
            return frame[name]
        return pl.Series(name, [indicator.get(name) if indicator else None] * frame.height)

    return pl.Series("RAG", [fmt.rag_cell(*values) for values in zip(
        *(column(c) for c in ("rag", "direction", "rag_green", "rag_amber", "unit")),
        column("low_base").fill_null(False))], dtype=pl.Utf8)


def low_base_note(frame: pl.DataFrame) -> str:
    """What † means, when any figure in `frame` (with a low_base column) rests on a low base."""
    count = int(frame["low_base"].fill_null(False).sum()) if "low_base" in frame.columns and frame.height else 0
    return f" † marks {fmt.plural(count, 'figure')} on a {fmt.LOW_BASE}, given no RAG status." if count else ""


def _figures(frame: pl.DataFrame, first: pl.Expr, indicator: dict) -> pl.DataFrame:
    """A chart's table of one indicator's figures: value, numerator and denominator, lacking, low base and RAG."""
    return frame.select(first, *numbers(frame, {"value": "Value"}, indicator["unit"]), pl.col("numerator").alias("Numerator"),
                        pl.col("denominator").alias("Denominator"), pl.col("lacking").alias("Records lacking the field"),
                        (pl.col("low_base").fill_null(False) if "low_base" in frame.columns else pl.lit(False)).alias(LOW_BASE_COLUMN),
                        ).with_columns(rag_shown(frame, indicator))


def indicator_trend(indicator: dict, series: pl.DataFrame, described: str, level: str = "quarter") -> None:
    """One indicator's values quarter by quarter, or year by year (`series`: its indicator_values rows at that
    level), as a chart block."""
    words = "financial year" if level == "year" else "quarter"
    unit = indicator["unit"]
    points = shown(series, unit).with_columns(  # a period not yet over says so
        pl.when(pl.col("period_complete")).then(pl.col("period")).otherwise(pl.format("{} (to date)", "period")).alias("period"))
    line = figure([{"type": "scatter", "x": points["period"].to_list(), "y": points["value"].to_list(), "mode": "lines+markers",
                    "name": indicator["name"], "text": points["hover"].to_list(), "hovertemplate": "%{x}: %{text}<extra></extra>"}],
                  xaxis=axis(words.capitalize()), showlegend=False,
                  yaxis=axis(unit.capitalize(), rangemode="tozero"))  # a scale from zero does not exaggerate small changes
    published = points.filter(pl.col("value").is_not_null())
    if published.height:
        last, first = published.row(-1, named=True), published.row(0, named=True)
        way = "up" if last["value"] > first["value"] else "down" if last["value"] < first["value"] else "unchanged"
        summary = f"{last['shown']} in {last['period']}" + (
            f", {way} from {first['shown']} in {first['period']}." if published.height > 1 else ".")
    elif points["suppressed"].all():
        summary = f"Every {words} is suppressed to protect the confidentiality of the people who raised issues."
    else:
        summary = f"No {words} has a value to show."
    if points["suppressed"].any() and published.height:
        summary += (f" {points['suppressed'].sum()} of the {points.height} {words}s are suppressed ([c]): fewer than 5 "
                    "issues, or one could be worked out.")
    summary += low_base_note(published)
    lacking = series["lacking"].sum()
    chart(f"{indicator['name']} by {words}", summary, line if published.height else None,
          _figures(points, pl.col("period").alias(words.capitalize()), indicator),
          file_stem=f"{indicator['indicator_id']}-by-{words}-{described}", sources=tuple(indicator["sources"]),
          left_out=(f"{fmt.count(lacking)} records left out for lacking {indicator['needs']}." if lacking else
                    "No record was left out for lacking a field.")
          + f" [How {indicator['name'][0].lower() + indicator['name'][1:]} is defined]({definition_link(indicator['indicator_id'])}).")


def breakdown_cells(indicator: dict, by: str, selection, span: tuple[int, int], together: tuple[str, ...] = ()) -> tuple[pl.DataFrame, str]:
    """One indicator's cells split by `by` over the quarters `span`, named, best first (sizes in their own order),
    with their rank: funding and returns figures with every filter but those on `by` and the breakdowns inside it
    (a ranking of districts keeps the region chosen); issue figures from what disclosure control publishes, by
    financial year. Also the period in words. The indicators `together` (a page's other charts by `by`) are
    computed in the same engine query, which their own charts then read from the cache: one query instead of many."""
    from dashboard import figures, queries

    first, last = span
    if indicator["disclosure_controlled"]:
        year = figures.periods.financial_year_label(last // 4)
        cells, period = queries.indicator_breakdown(indicator["indicator_id"], by, year), year
    else:
        wanted = sorted({indicator["indicator_id"], *together})
        cells = queries.figures(wanted, [figures.span(figures.NOW, first, last)], by, selection.without(by)).filter(
            pl.col("indicator_id") == indicator["indicator_id"])
        names = queries.breakdown_names().filter(pl.col("breakdown") == by).select(
            pl.col("code").alias("breakdown_code"), pl.col("name").alias("breakdown_name"))
        cells = cells.join(names, on="breakdown_code", how="left").with_columns(
            pl.col("breakdown_name").fill_null(pl.col("breakdown_code")).fill_null("Not known"),
            pl.lit(False).alias("suppressed"), *(pl.lit(indicator[c]).alias(c) for c in ("rag_green", "rag_amber", "direction", "base")))
        cells = figures.judged(cells)
        period = figures.span_name(first, last)
    ranked = figures.ranked(cells, indicator["direction"])
    if by in ("size_band", "smaller_organisation"):  # sizes in their natural order, smallest first
        order = queries.breakdown_names().filter(pl.col("breakdown") == by).select(pl.col("code").alias("breakdown_code"), "sort_order")
        ranked = ranked.join(order, on="breakdown_code", how="left").sort("sort_order", nulls_last=True).drop("sort_order")
    return ranked, period


def indicator_breakdown(indicator: dict, by: str, selection, span: tuple[int, int], highlight: str | None = None,
                        peers: str | None = None, together: tuple[str, ...] = ()) -> None:
    """One indicator for every cell of a breakdown over the quarters `span`, ranked, as a chart block (ranking());
    `together`: as breakdown_cells()."""
    cells, period = breakdown_cells(indicator, by, selection, span, together)
    words = breakdowns.BY_KEY[by].words
    if indicator["disclosure_controlled"] and selection.record_filters:
        note = f" Issue figures are published by {words} across all bodies and places, so this chart does not follow the other filters."
    else:
        note = " It follows the other filters chosen." if selection.without(by) else ""
    ranking(indicator, cells, by, period, highlight, peers, note)


def ranking(indicator: dict, cells: pl.DataFrame, by: str, period: str, highlight: str | None = None,
            peers: str | None = None, note: str = "") -> None:
    """One indicator's cells of a breakdown (breakdown_code, breakdown_name, value, ...), ranked, as a chart block,
    with the cell `highlight` (a body or place chosen) marked wherever it ranks and its rank among `peers` (words:
    'ministerial departments') said."""
    from dashboard import figures

    unit, words = indicator["unit"], breakdowns.BY_KEY[by].words
    if "rank" not in cells.columns:
        cells = figures.ranked(cells, indicator["direction"])
    cells = shown(cells, unit)
    ranked = cells.filter(pl.col("value").is_not_null())
    plotted = figures.shown_in_ranking(ranked, MOST_BARS, highlight)
    x_axis = axis(unit.capitalize())
    if plotted.height:  # room on the right for the values written beside the bars
        low, high = min(0, plotted["value"].min()), max(0, plotted["value"].max())
        x_axis["range"] = [low * 1.3, high * 1.3 or 1]
    colours = [PALETTE[1] if mine else PALETTE[0] for mine in plotted["highlighted"]]
    labels = [("▶ " if mine else "") + fmt.chart_text(n) for n, mine in zip(plotted["breakdown_name"], plotted["highlighted"])]
    bars = figure([{"type": "bar", "x": plotted["value"].to_list(), "y": labels, "marker": {"color": colours},
                    "orientation": "h", "text": plotted["shown"].to_list(), "textposition": "outside",
                    "hovertext": plotted["hover"].to_list(), "hovertemplate": "%{y}: %{hovertext}<extra></extra>"}],
                  yaxis={"autorange": "reversed"}, xaxis=x_axis, height=max(300, 24 * plotted.height + 80))
    summary = figures.highest_and_lowest(ranked, period, "breakdown_name", "shown") or f"No {words} has a value to show in {period}."
    mine = cells.filter(pl.col("breakdown_code") == highlight) if highlight else cells.clear()
    if mine.height:
        place = figures.rank_words(cells, highlight, peers or breakdowns.BY_KEY[by].plural)
        summary += (f" {fmt.markdown_text(mine['breakdown_name'][0])} (marked ▶) is {place} ({mine['shown'][0]})." if place else
                    f" {fmt.markdown_text(mine['breakdown_name'][0])} has no value to rank.")
    hidden = cells.filter(pl.col("value").is_null()).height
    suppressed = cells["suppressed"].sum()
    if hidden:
        summary += f" {hidden} {'has' if hidden == 1 else 'have'} no value shown"
        summary += (f": {suppressed} suppressed ([c]) to protect the people who raised issues, as a small count could be "
                    f"worked out from {'it' if hidden == 1 else 'them'}" if suppressed else " (nothing counted)")
        summary += f"{', the others with nothing counted' if 0 < suppressed < hidden else ''}."
    summary += low_base_note(ranked)
    if plotted.height < ranked.height:
        summary += (f" The chart shows the {MOST_BARS // 2} highest and the {MOST_BARS // 2} lowest"
                    f"{' and the one chosen' if plotted.height > MOST_BARS else ''}; the table has them all.")
    table = _figures(cells, pl.col("breakdown_name").alias(words.capitalize()), indicator).insert_column(
        1, cells["breakdown_code"].alias("Code")).insert_column(0, cells["rank"].alias("Rank"))
    chart(f"{indicator['name']} by {words}, {period}", summary + note, bars if ranked.height else None, table,
          file_stem=f"{indicator['indicator_id']}-by-{by}-{period}" + (f"-{highlight}" if highlight else ""),
          sources=tuple(indicator["sources"]),
          left_out=f"[How {indicator['name'][0].lower() + indicator['name'][1:]} is defined]({definition_link(indicator['indicator_id'])}).")

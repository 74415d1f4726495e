"""The figures a view shows, from what the query-time engine returns (warehouse/engine/figures.sql): the periods a
view asks for, its headline figures with their changes and RAG status, a series over quarters or years, cells ranked
with a body's or place's rank among its peers, and bodies or places side by side.

Pure functions over polars frames (tested on tiny frames in tests/test_figures.py); the pages only draw them.

A period is a range of quarters, numbered start year × 4 + quarter − 1 (2025-26 Q2 is 2025 × 4 + 1). A view's
headline covers the quarters chosen exactly; a choice of whole financial years shows the latest complete one. Its
change is against the same quarters a year before, and against the same quarters of the 2024-25 baseline.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from dashboard import format as fmt
from etl import periods
from warehouse.indicators import SMALL_BASE

NOW, YEAR_BEFORE, BASELINE = "now", "year before", "baseline"


def period_index(period: str) -> int:
    """'2025-26 Q2' -> 8101; a financial year alone ('2025-26') is its first quarter."""
    year, _, quarter = period.partition(" Q")
    return periods.start_year(year) * 4 + (int(quarter) - 1 if quarter else 0)


def period_name(index: int) -> str:
    """8101 -> '2025-26 Q2'."""
    return f"{periods.financial_year_label(index // 4)} Q{index % 4 + 1}"


def span_name(first: int, last: int) -> str:
    """A range of quarters in words: '2025-26', '2025-26 Q2', '2025-26 Q2 to Q3', '2025-26 Q4 to 2026-27 Q1'."""
    if first % 4 == 0 and last == first + 3:
        return periods.financial_year_label(first // 4)
    if first == last:
        return period_name(first)
    if first // 4 == last // 4:
        return f"{period_name(first)} to Q{last % 4 + 1}"
    if first % 4 == 0 and last % 4 == 3:
        return f"{periods.financial_year_label(first // 4)} to {periods.financial_year_label(last // 4)}"
    return f"{period_name(first)} to {period_name(last)}"


def span(name: str, first: int, last: int) -> dict:
    """A window of the engine: the quarters first to last, called `name`."""
    whole_year = first % 4 == 0 and last == first + 3
    return {"window_name": name, "period_level": "year" if whole_year else "quarter" if first == last else "range",
            "financial_year": periods.financial_year_label(last // 4), "quarter": None if whole_year or first != last else last % 4 + 1,
            "first_index": first, "last_index": last}


def last_day(index: int) -> dt.date:
    return periods.quarter_bounds(index // 4, index % 4 + 1)[1]


def last_complete(as_of: dt.date) -> int:
    """The last quarter over on `as_of`."""
    current = period_index(periods.period_label(as_of))
    return current if last_day(current) <= as_of else current - 1


def headline_span(first_period: str, last_period: str, as_of: dt.date) -> tuple[int, int]:
    """The quarters a view's headline covers: those chosen, or for whole financial years the latest one over on
    `as_of` (the latest chosen when none is)."""
    first, last = period_index(first_period), period_index(last_period)
    if first % 4 or last % 4 != 3:
        return first, last
    years = range(first // 4, last // 4 + 1)
    year = next((y for y in reversed(years) if last_day(y * 4 + 3) <= as_of), years[-1])
    return year * 4, year * 4 + 3


def comparison_windows(first: int, last: int) -> list[dict]:
    """The headline's window, the same quarters a year before, and the same quarters of the 2024-25 baseline (none
    when the headline starts in it or before)."""
    found = [span(NOW, first, last), span(YEAR_BEFORE, first - 4, last - 4)]
    shift = first // 4 - periods.start_year(periods.BASELINE_FINANCIAL_YEAR)
    if shift >= 1:  # (a shift of one: the year before is the baseline)
        found.append(span(BASELINE, first - 4 * shift, last - 4 * shift))
    return found


def series_windows(first: int, last: int, level: str) -> list[dict]:
    """Every quarter of the range, or every financial year it touches (`level`: quarter or year)."""
    if level == "quarter":
        return [span(period_name(i), i, i) for i in range(first, last + 1)]
    return [span(periods.financial_year_label(y), y * 4, y * 4 + 3) for y in range(first // 4, last // 4 + 1)]


def rag(value: pl.Expr) -> pl.Expr:
    """Green, amber or red against the indicator's thresholds (columns rag_green, rag_amber, direction)."""
    higher, lower = pl.col("direction") == "higher", pl.col("direction") == "lower"
    return (pl.when(value.is_null() | pl.col("rag_green").is_null()).then(None)
            .when(higher & (value >= pl.col("rag_green")) | lower & (value <= pl.col("rag_green"))).then(pl.lit("green"))
            .when(higher & (value >= pl.col("rag_amber")) | lower & (value <= pl.col("rag_amber"))).then(pl.lit("amber"))
            .when(higher | lower).then(pl.lit("red")))


def low_base() -> pl.Expr:
    """A figure resting on fewer than SMALL_BASE things in its base (column base: what it counts; see
    warehouse.indicators.base_of), from the engine's denominator, records and lacking."""
    with_field = pl.col("records") - pl.col("lacking").fill_null(0)
    return (pl.when(pl.col("base") == "denominator").then(pl.col("denominator") < SMALL_BASE)
            .when(pl.col("base") == "records").then(with_field < SMALL_BASE)
            .otherwise(False).fill_null(False))


def judged(frame: pl.DataFrame) -> pl.DataFrame:
    """`frame` (values with base, denominator, records, lacking, direction and RAG thresholds) with low_base, and rag
    unless the figure rests on a low base."""
    if "records" not in frame.columns:  # issue figures: their base is their denominator
        frame = frame.with_columns(pl.lit(None, pl.Int64).alias("records"))
    return frame.with_columns(low_base().alias("low_base")).with_columns(
        pl.when(pl.col("low_base")).then(None).otherwise(rag(pl.col("value"))).alias("rag"))


DECLARED = ("indicator_id", "name", "principle", "unit", "direction", "rag_green", "rag_amber", "sort_order", "needs", "base")


def headlines(figures: pl.DataFrame, declared: pl.DataFrame, as_of: dt.date) -> pl.DataFrame:
    """One row per indicator with a figure in the headline window (`figures`: the engine's rows for
    comparison_windows): its value, numerator and denominator, the change since the same quarters a year before and
    since the baseline, RAG status, and whether its period is over."""
    figures = figures.join(declared.select("indicator_id", "base"), on="indicator_id").with_columns(low_base().alias("low_base"))

    def side(name: str, column: str) -> pl.DataFrame:
        return figures.filter(pl.col("window_name") == name).select(
            "indicator_id", "breakdown_code", pl.col("value").alias(column), pl.col("low_base").alias(f"{column}_low_base"))

    now = figures.filter(pl.col("window_name") == NOW).drop("base")
    last = int(now["last_index"][0]) if now.height else None
    now = (now.join(side(YEAR_BEFORE, "previous_value"), on=["indicator_id", "breakdown_code"], how="left", nulls_equal=True)
              .join(side(BASELINE, "baseline_value"), on=["indicator_id", "breakdown_code"], how="left", nulls_equal=True)
              .join(declared.select(DECLARED), on="indicator_id"))
    if "baseline_value" not in now.columns:
        now = now.with_columns(pl.lit(None, pl.Float64).alias("baseline_value"), pl.lit(None, pl.Boolean).alias("baseline_value_low_base"))
    return now.with_columns(
        (pl.col("value") - pl.col("previous_value")).alias("change_since_previous"),
        (pl.col("value") - pl.col("baseline_value")).alias("change_since_baseline"),
        (pl.col("low_base") | pl.col("previous_value_low_base")).alias("change_low_base"),
        (pl.col("low_base") | pl.col("baseline_value_low_base")).alias("baseline_change_low_base"),
        pl.when(pl.col("low_base")).then(None).otherwise(rag(pl.col("value"))).alias("rag"),
        pl.lit(False).alias("suppressed"),
        pl.lit(last is None or last_day(last) <= as_of).alias("period_complete"),
    ).sort("sort_order", "breakdown_code", nulls_last=True)


def series(figures: pl.DataFrame, declared: pl.DataFrame, as_of: dt.date) -> pl.DataFrame:
    """The engine's rows for series_windows as a series: period (the window's name), value, its RAG status and
    whether the period is over, oldest first."""
    return judged(figures.join(declared.select(DECLARED), on="indicator_id")).with_columns(
        pl.col("window_name").alias("period"),
        pl.lit(False).alias("suppressed"),
        (pl.col("last_index") <= last_complete(as_of)).alias("period_complete"),
    ).sort("sort_order", "first_index")


def return_coverage(bodies: pl.DataFrame, returned: pl.DataFrame, span: tuple[int, int], as_of: dt.date,
                    chosen: dict[str, list[str]]) -> pl.DataFrame:
    """Every public body a view covers (`bodies`: code, body_type; those of the public body and body type `chosen`,
    the view's record filters) with how many of the ended quarters of `span` it made a return for (`returned`:
    body_code, period, timeliness), how many of those came in late, and how many quarters of it are over
    (`quarters`: a return is due for each)."""
    periods_in = [period_name(i) for i in range(span[0], span[1] + 1)]
    ended = max(0, min(span[1], last_complete(as_of)) - span[0] + 1)
    covered = bodies.filter(
        pl.col("code").is_in(chosen["public_body"]) if chosen.get("public_body") else pl.lit(True),
        pl.col("body_type").is_in(chosen["body_type"]) if chosen.get("body_type") else pl.lit(True))
    counts = returned.filter(pl.col("period").is_in(periods_in)).group_by("body_code").agg(
        pl.len().cast(pl.Int64).alias("returns"), (pl.col("timeliness") == "late").sum().cast(pl.Int64).alias("late"))
    return (covered.join(counts, left_on="code", right_on="body_code", how="left")
            .with_columns(pl.col("returns", "late").fill_null(0), pl.lit(ended).cast(pl.Int64).alias("quarters")))


def returns_by_quarter(bodies: pl.DataFrame, returned: pl.DataFrame, first: int, last: int) -> pl.DataFrame:
    """For each quarter first to last, newest first: how many of the public bodies (`bodies`: code, name) made a
    return for it (`returned`: body_code, period, timeliness), how many of those came in late, and the names of the
    bodies whose return was late and of those that made none."""
    rows = []
    for index in range(last, first - 1, -1):
        quarter = returned.filter(pl.col("period") == period_name(index))
        done = set(quarter["body_code"])
        late = set(quarter.filter(pl.col("timeliness") == "late")["body_code"])
        names = bodies.sort("name")
        rows.append({"period": period_name(index), "returned": len(done & set(bodies["code"])), "late": len(late & set(bodies["code"])),
                     "bodies": bodies.height, "late_from": names.filter(pl.col("code").is_in(list(late)))["name"].to_list(),
                     "missing": names.filter(~pl.col("code").is_in(list(done)))["name"].to_list()})
    return pl.DataFrame(rows, schema={"period": pl.Utf8, "returned": pl.Int64, "late": pl.Int64, "bodies": pl.Int64,
                                      "late_from": pl.List(pl.Utf8), "missing": pl.List(pl.Utf8)})


def returns_lacking(by_quarter: pl.DataFrame) -> pl.DataFrame:
    """A row for each quarter and body whose return was late or not made (from returns_by_quarter), newest quarter
    first, then no return before late, by name: who lags, one to a line, where a cell of fifty names could not be read."""
    def each(column: str, words: str) -> pl.DataFrame:
        return by_quarter.select("period", pl.col(column).alias("body")).explode("body").drop_nulls("body").with_columns(
            pl.lit(words).alias("return"))

    order = {p: i for i, p in enumerate(by_quarter["period"])}
    lacking = pl.concat([each("missing", "none"), each("late_from", "late")])
    return lacking.sort(pl.col("period").replace_strict(order, return_dtype=pl.Int64), pl.col("return") != "none", "body")


def funders_by_year(funder_years: pl.DataFrame, years: list[str]) -> pl.DataFrame:
    """One row per funder (`funder_years`: funder, financial_year, awards, files, latest_award): its awards in each
    of `years` ('120 in 2 files', or 'none' for a year after its first in which it published nothing), its latest
    award date, and `missing`, the years after its first with none."""
    rows = []
    for funder, group in funder_years.group_by("funder", maintain_order=True):
        by_year = {r["financial_year"]: r for r in group.iter_rows(named=True)}
        first = min(by_year)
        cells = {year: (f"{by_year[year]['awards']:,} in {by_year[year]['files']} file{'s' if by_year[year]['files'] != 1 else ''}"
                        if year in by_year else "none" if year > first else "–") for year in years}
        rows.append({"funder": funder[0], **cells, "latest_award": group["latest_award"].max(),
                     "missing": [y for y in years if y > first and y not in by_year]})
    schema = {"funder": pl.Utf8, **{y: pl.Utf8 for y in years}, "latest_award": pl.Date, "missing": pl.List(pl.Utf8)}
    return pl.DataFrame(rows, schema=schema).sort("funder")


def coverage_words(coverage: pl.DataFrame) -> str:
    """'returns from 150 of 194 bodies' (those with a return for any quarter of the period)."""
    with_return = coverage.filter(pl.col("returns") > 0).height
    return f"returns from {with_return:,} of {coverage.height:,} {'body' if coverage.height == 1 else 'bodies'}"


ORDINAL = {1: "st", 2: "nd", 3: "rd"}


def ordinal(n: int) -> str:
    """1 -> '1st', 12 -> '12th', 22 -> '22nd'."""
    return f"{n}{'th' if 10 <= n % 100 <= 20 else ORDINAL.get(n % 10, 'th')}"


def ranked(cells: pl.DataFrame, direction: str) -> pl.DataFrame:
    """Cells of one indicator (breakdown_code, value, ...) best first, with `rank` (1 the best; equal values share a
    rank) among those with a value; a cell with none has no rank and comes last. With no better direction, highest
    first."""
    valued = pl.col("value").is_not_null()
    descending = direction != "lower"
    rank = pl.when(valued).then(pl.col("value").rank("min", descending=descending)).cast(pl.Int64)
    return (cells.with_columns(rank.alias("rank"))
            .sort(["rank", "breakdown_code"], nulls_last=True))


def rank_words(cells: pl.DataFrame, code: str, peers: str) -> str | None:
    """'12th of 24 ministerial departments' for the cell `code` among `cells` (ranked()); None when it has no rank."""
    mine = cells.filter(pl.col("breakdown_code") == code)
    if mine.is_empty() or mine["rank"][0] is None:
        return None
    valued = cells["rank"].is_not_null().sum()
    return f"{ordinal(int(mine['rank'][0]))} of {valued} {peers}" + (f" with a value (of {cells.height})" if valued < cells.height else "")


def shown_in_ranking(cells: pl.DataFrame, most: int, highlight: str | None) -> pl.DataFrame:
    """The cells a ranking chart draws: all of them, or the top and bottom `most` // 2 of a longer list, and the
    highlighted cell wherever it ranks; `highlighted` marks it."""
    valued = cells.filter(pl.col("value").is_not_null())
    if valued.height > most:
        ends = pl.concat([valued.head(most // 2), valued.tail(most // 2)])
        mine = valued.filter(pl.col("breakdown_code") == highlight) if highlight is not None else valued.clear()
        if mine.height and highlight not in ends["breakdown_code"].to_list():
            ends = pl.concat([valued.head(most // 2), mine, valued.tail(most // 2)])
        valued = ends
    mine = pl.lit(False) if highlight is None else (pl.col("breakdown_code") == highlight).fill_null(False)
    return valued.with_columns(mine.alias("highlighted"))


def side_by_side(figures: pl.DataFrame, declared: pl.DataFrame, names: dict[str, str]) -> pl.DataFrame:
    """Indicators down, the chosen bodies or places across (`figures`: the engine's rows split by their breakdown,
    one window; `names`: code -> name, in the order chosen): one row per indicator with a value column per choice."""
    rows = figures.filter(pl.col("breakdown_code").is_in(list(names))).join(declared.select(DECLARED), on="indicator_id")
    wide = rows.pivot(on="breakdown_code", index=["indicator_id", "name", "unit", "direction", "sort_order"], values="value")
    for code in names:
        if code not in wide.columns:
            wide = wide.with_columns(pl.lit(None, pl.Float64).alias(code))
    return wide.sort("sort_order").select("indicator_id", "name", "unit", "direction", *names)


def side_of(value: float | None, other: float | None, direction: str) -> str | None:
    """Whether `value` is 'better', 'worse' or 'level' against `other` (a peers' median, the year before) for an
    indicator whose better `direction` is higher or lower; None when either is missing or no direction is better."""
    if value is None or other is None or direction not in ("higher", "lower"):
        return None
    if value == other:
        return "level"
    return "better" if (value > other) == (direction == "higher") else "worse"


def against(rows: list[dict], other: str = "peer_median") -> dict[str, int]:
    """How many of `rows` (figures with value, direction and `other`; suppressed ones left out) are better, worse and
    level against `other`, and how many could be compared at all ('of')."""
    sides = [side_of(r["value"], r.get(other), r["direction"]) for r in rows if not r.get("suppressed")]
    compared = [s for s in sides if s is not None]
    return {"better": compared.count("better"), "worse": compared.count("worse"), "level": compared.count("level"),
            "of": len(compared)}


@dataclass(frozen=True)
class ChangedMost:
    """The percentages that moved most since the same quarters a year before, the right way round for each indicator
    (at most `most` each way, most first), and the names of the changes left out for resting on a low base."""
    improved: pl.DataFrame
    worsened: pl.DataFrame
    low_base: list[str]


def changed_most(latest: pl.DataFrame, most: int = 3) -> ChangedMost:
    """From a view's headline rows (view_headlines: value, change_since_previous, change_low_base, direction, unit,
    sort_order, name): what improved and worsened most. An indicator with no better direction, and a change to or from
    a low base, is never headlined; ties keep the indicators' order."""
    sign = pl.when(pl.col("direction") == "lower").then(-1).when(pl.col("direction") == "higher").then(1).otherwise(None)
    moved = (latest.filter(pl.col("change_since_previous").is_not_null() & (pl.col("direction") != "none")
                           & ~pl.col("change_low_base").fill_null(False) & pl.col("unit").is_in(fmt.PERCENT_UNITS))
             .with_columns((pl.col("change_since_previous") * sign).alias("better_by")).sort("better_by", "sort_order"))
    resting = latest.filter(pl.col("change_low_base").fill_null(False) & pl.col("change_since_previous").is_not_null())
    return ChangedMost(moved.tail(most).reverse().filter(pl.col("better_by") > 0), moved.head(most).filter(pl.col("better_by") < 0),
                       resting["name"].to_list())


@dataclass(frozen=True)
class AgainstBaseline:
    """The headline percentages with a value now and in the baseline (in the indicators' order), the year they are
    for, and the sentence that sums them up."""
    rows: pl.DataFrame
    year: str
    summary: str


def against_baseline(latest: pl.DataFrame, baseline: str, left_out: list[str] = ()) -> AgainstBaseline | None:
    """From a view's headline rows (with `headline_indicator` and `period_label`): each headline percentage now against
    the same quarters of the `baseline` year, leaving out the indicators `left_out` (issue figures); None when none
    has both."""
    rows = latest.filter(~pl.col("indicator_id").is_in(list(left_out)) & pl.col("headline_indicator") & pl.col("unit").is_in(fmt.PERCENT_UNITS)
                         & pl.col("value").is_not_null() & pl.col("baseline_value").is_not_null()).sort("sort_order")
    if rows.is_empty():
        return None
    year = rows["period_label"].max()
    better = against(rows.to_dicts(), "baseline_value")["better"]
    return AgainstBaseline(rows, year, f"{better} of the {rows.height} headline percentages are better in {year} than in "
                                       f"the {baseline} baseline.")


def highest_and_lowest(cells: pl.DataFrame, period: str, name: str, of: str) -> str | None:
    """The sentence that sums up a ranking or a map: which of `cells` (value, `shown`: the value in words, and their
    names in the column `name`) had the highest value and which the lowest in `period`, of how many `of` ('shown',
    'districts with a value'); 'all N … had X' when they are level; None when none has a value."""
    valued = cells.filter(pl.col("value").is_not_null()).sort("value", descending=True)
    if valued.is_empty():
        return None
    top, bottom = valued.row(0, named=True), valued.row(-1, named=True)
    if top["value"] == bottom["value"]:
        return f"In {period}, {'the one' if valued.height == 1 else f'all {valued.height}'} {of} had {top['shown']}."
    return (f"In {period}, {fmt.markdown_text(top[name])} had the highest value ({top['shown']}) and "
            f"{fmt.markdown_text(bottom[name])} the lowest ({bottom['shown']}) of {valued.height} {of}.")


@dataclass(frozen=True)
class FundingBySize:
    """Awards and funding by the recipient's size band: each band's rows with its share of the awards and of the
    funding (percent), the sentence that sums them up, and the awards to organisations whose income is not known."""
    sizes: pl.DataFrame
    summary: str
    unknown_awards: int


SMALLER_BANDS = ("micro", "small")  # income under £100k (NCVO's bands: etl/reference/size_bands.csv)


def funding_by_size(sizes: pl.DataFrame, year: str) -> FundingBySize | None:
    """From funding_by_size.sql's rows (size_band, name, awards, amount, ...): the Organisation size page's first
    chart; None when there is no award."""
    total_amount, total_awards = sizes["amount"].sum(), sizes["awards"].sum()
    if not total_awards:
        return None
    sizes = sizes.with_columns((100 * pl.col("amount") / total_amount).alias("share_amount"),
                               (100 * pl.col("awards") / total_awards).alias("share_awards"))
    small = sizes.filter(pl.col("size_band").is_in(SMALLER_BANDS))
    summary = (f"In {year}, micro and small organisations (income under £100k) received "
               f"{fmt.indicator_value(small['share_awards'].sum(), 'percent')} of awards but "
               f"{fmt.indicator_value(small['share_amount'].sum(), 'percent')} of funding.")
    return FundingBySize(sizes, summary, int(sizes.filter(pl.col("size_band") == "unknown")["awards"].sum()))


def backlog_summary(points: pl.DataFrame) -> str:
    """The sentence under the open backlog by age: from each quarter raised (period, oldest first; waiting: how long
    its issues have waited, in words; value and shown: the issues still open; suppressed), the oldest quarter with
    open issues published, the quarter with most, and how many quarters are suppressed."""
    open_now = points.filter(pl.col("value") > 0)
    if open_now.height:
        oldest, most = open_now.row(0, named=True), open_now.sort("value", descending=True, maintain_order=True).row(0, named=True)
        summary = (f"The oldest published open issues were raised in {oldest['period']} and have waited {oldest['waiting']} "
                   f"({oldest['shown']}); the most, {most['shown']}, were raised in {most['period']}.")
    else:
        summary = "No quarter shown has a published count of open issues."
    hidden = points["suppressed"].sum()
    if hidden:
        summary += (f" {hidden} of the {points.height} quarters {'is' if hidden == 1 else 'are'} suppressed ([c]): fewer than 5 "
                    "issues, or one could be worked out.")
    return summary


def lagging_most(scorecard: pl.DataFrame, per_type: int = 3) -> pl.DataFrame:
    """The bodies with most indicators red (`scorecard`: body_type, body_name, rag), at most `per_type` of each type,
    with how many of their figures are red and how many have a RAG status at all; most red first, then by name."""
    reds = (scorecard.group_by("body_type", "body_name").agg((pl.col("rag") == "red").sum().alias("red"),
                                                             pl.col("rag").is_not_null().sum().alias("rated"))
            .filter(pl.col("red") > 0).sort("red", "body_name", descending=[True, False]))
    return reds.group_by("body_type", maintain_order=True).head(per_type)


def peer_medians(cells: pl.DataFrame) -> pl.DataFrame:
    """`cells` (one row per body and indicator, with its peer group in `peer_group`) with the median of its peers'
    values and how many peers have one, and its rank among them (1 the best, by the indicator's `direction`; none where
    the direction is 'none': neither more nor fewer issues raised is better)."""
    better_high = pl.col("direction") != "lower"
    score = pl.when(better_high).then(-pl.col("value")).otherwise(pl.col("value"))
    group = ["indicator_id", "peer_group"]
    return cells.with_columns(
        pl.col("value").median().over(group).alias("peer_median"),
        pl.col("value").count().over(group).alias("peers_with_value"),
        pl.when(pl.col("value").is_not_null() & (pl.col("direction") != "none")).then(score.rank("min").over(group))
        .cast(pl.Int64).alias("rank"),
    )


# --- the other pages' view models: headline metrics, Principles, the Localities map, Data quality ------------------


def latest_years(values: pl.DataFrame) -> pl.DataFrame:
    """Each indicator's row in the latest complete financial year among `values` (year-level indicator values): a
    year to date is not compared with whole years, so it is used only when no chosen year is complete."""
    complete = values.filter(pl.col("period_complete"))
    return (complete if complete.height else values).group_by("indicator_id").agg(pl.all().sort_by("financial_year").last())


@dataclass(frozen=True)
class HeadlineMetric:
    """One indicator's headline metric: its declaration (a row of the indicators table), and its figure with the
    declared name, direction and needs (None when it has none for the view)."""
    declared: dict
    row: dict | None


def headline_metrics(rows: pl.DataFrame, declared: dict[str, dict], ids: tuple[str, ...]) -> list[HeadlineMetric]:
    """The metrics of the indicators `ids`, in that order, from a view's rows (one an indicator: value, unit,
    suppressed, changes, rag ...)."""
    metrics = []
    for indicator_id in ids:
        found = rows.filter(pl.col("indicator_id") == indicator_id)
        mine = declared[indicator_id]
        metrics.append(HeadlineMetric(mine, found.row(0, named=True) | {c: mine[c] for c in ("name", "direction", "needs")}
                                      if found.height else None))
    return metrics


@dataclass(frozen=True)
class IssueHeadlines:
    """The Issues page's headline metrics: the financial year they are for (the latest complete one chosen, else the
    year to date: '2026-27 (to date)') and each indicator's metric in it."""
    year: str
    heading: str
    metrics: list[HeadlineMetric]


def issue_headlines(years: pl.DataFrame, declared: dict[str, dict], ids: tuple[str, ...]) -> IssueHeadlines:
    """From the issue indicators' values by financial year (period, financial_year, period_complete, ...)."""
    latest = latest_years(years)
    year = latest["period"].max()
    return IssueHeadlines(year, f"In {year}{'' if latest['period_complete'].all() else ' (to date)'}",
                          headline_metrics(latest, declared, ids))


@dataclass(frozen=True)
class PrincipleView:
    """What the Principles page shows of its indicators: the quarters its first change column is since (the same
    quarters a year before, in words) and whether they are the baseline; the baseline of a second change column (None
    when the first is it); each indicator's series (its quarters; an issue indicator's financial years); and the
    breakdowns each can be compared by, type of body (its peers) first."""
    before: str
    before_is_baseline: bool
    baseline: str | None
    series: dict[str, pl.DataFrame]
    compare_by: dict[str, list[str]]


def principle_view(declared: pl.DataFrame, span: tuple[int, int], baseline: str | None, quarters: pl.DataFrame,
                   issue_years: pl.DataFrame | None = None) -> PrincipleView:
    """From the principle's declarations, the headline quarters `span`, the headline's baseline in words (None when
    it has none: the baseline year is then named), the series by quarter (series()) and the issue indicators' values
    by financial year."""
    before = span_name(span[0] - 4, span[1] - 4)
    if issue_years is not None:
        quarters = pl.concat([quarters, issue_years.select([c for c in quarters.columns if c in issue_years.columns])],
                             how="diagonal_relaxed")
    of = {key: rows for (key,), rows in quarters.partition_by("indicator_id", as_dict=True).items()}
    return PrincipleView(
        before, baseline == before, None if baseline == before else baseline or periods.BASELINE_FINANCIAL_YEAR,
        {i: of.get(i, quarters.clear()) for i in declared["indicator_id"]},
        {i: sorted((b for b in by if b != "all"), key=lambda b: b != "body_type")
         for i, by in zip(declared["indicator_id"], declared["breakdowns"], strict=True)})


@dataclass(frozen=True)
class PlaceMap:
    """What the Localities map says: its title, the sentence that sums up its places and the records it leaves out."""
    title: str
    summary: str
    left_out: str


def place_map(cells: pl.DataFrame, indicator: dict, period: str, districts: bool, laid_out: bool) -> PlaceMap:
    """The map of `indicator` (name, needs) by district (`districts`) or by nation and region in `period`, from its
    places (`cells`: name, value, shown, lacking); `laid_out`: whether a district layout has been loaded."""
    summary = (highest_and_lowest(cells, period, "name", f"{'districts' if districts else 'nations and regions'} with a value")
               or f"No {'district' if districts else 'nation or region'} has a value for this indicator in {period}.")
    left_out = (f"{fmt.count(cells['lacking'].sum())} records left out for lacking {indicator['needs']}."
                + ("" if laid_out else " Load a HexJSON district layout into the inbox to see a district map."))
    return PlaceMap(f"{indicator['name']} by {'district' if districts else 'nation and region'}, {period}", summary, left_out)


@dataclass(frozen=True)
class ReleaseChanges:
    """What changed against the release before, in a sentence, and whether it was compared at all (there was one, and
    it could be read), so that the files and figures that changed can be listed."""
    summary: str
    compared: bool


def release_changes(comparison: dict) -> ReleaseChanges:
    """From the release's comparison with the one before (previous_release, files_changed, figures_revised,
    figures_added, figures_removed)."""
    if comparison["previous_release"] is None:
        return ReleaseChanges("This is the first release: there is nothing before it to compare with.", False)
    if comparison["files_changed"] is None:
        return ReleaseChanges(f"The release before ({comparison['previous_release']}) could not be read, so nothing was "
                              "compared.", False)
    return ReleaseChanges(
        f"Against the release before ({comparison['previous_release']}): {fmt.plural(comparison['files_changed'], 'file')} "
        f"added, replaced or removed; {fmt.plural(comparison['figures_revised'], 'figure')} revised, "
        f"{fmt.count(comparison['figures_added'])} new and {fmt.count(comparison['figures_removed'])} no longer given "
        "(funding and returns figures, every period and breakdown). Issue figures are not compared between releases: "
        "the difference of two published counts could be a count under 5.", True)


def returns_summary(by_quarter: pl.DataFrame) -> str:
    """Who made a return for the latest quarter of returns_by_quarter() (its first row), and what late means."""
    latest = by_quarter.row(0, named=True)
    return (f"Every public body is asked for a return each quarter, due {periods.RETURN_DUE_DAYS} days after the "
            f"quarter ends. In {latest['period']}, {latest['returned']:,} of {latest['bodies']:,} bodies made one, "
            f"{latest['late']:,} of them late. A return is late when the date it says it was sent is after it was due; "
            "one that gives no date is not counted as late. A figure built on returns says how many bodies it is from.")


def funders_summary(by_funder: pl.DataFrame) -> str:
    """How many funders published grants (funders_by_year()), and how many have a year with none after their first."""
    gaps = by_funder.filter(pl.col("missing").list.len() > 0).height
    return (f"{fmt.plural(by_funder.height, 'funder')} published grants in 360Giving form. For each financial year, "
            "the grants loaded from its files (by award date) and how many files they came from; “none” marks a "
            "year after its first with no grant published"
            + (f": {gaps} {'funder has' if gaps == 1 else 'funders have'} such a gap." if gaps else "."))


def validation_summary(validation: pl.DataFrame) -> str:
    """Whether every expectation passed (`validation`: a row per dataset with how many expectations `failed`)."""
    failing = validation.filter(pl.col("failed") > 0).height
    return ("Every expectation passed." if not failing else
            f"{failing} of {validation.height} datasets had rows breaking a rule; those rows were quarantined.")


def quarantine_summary(reasons: pl.DataFrame) -> str:
    """How many rows were quarantined, for how many reasons (`reasons`: a row per dataset and rule, with its `rows`)."""
    if reasons.is_empty():
        return "No row was quarantined."
    return f"{fmt.count(reasons['rows'].sum())} rows were quarantined for {reasons.height} reasons. Issue events are not listed here."


@dataclass(frozen=True)
class DisclosureControl:
    """How many counts of issues are published: the sentence, and each breakdown's row with the percentage of its
    counts not published (`not_published`, a whole number)."""
    summary: str
    breakdowns: pl.DataFrame


def disclosure_control(disclosure: pl.DataFrame) -> DisclosureControl | None:
    """From a row per breakdown and period level (counts, published, ...); None when the build has no issue figures."""
    if disclosure.is_empty():
        return None
    summary = (f"Of {fmt.count(disclosure['counts'].sum())} counts of issues (raised, resolved, still open, late and about "
               f"reprisal, zeros included), {fmt.count(disclosure['published'].sum())} are published. The others are shown "
               "as [c]: a count from 1 to 4, a count that would let one be worked out, or a part of a total too small to "
               "break down. An attack with every relation between the figures recovers none of them "
               "(see the disclosure control notes in the documentation).")
    not_published = (100 * (1 - pl.col("published") / pl.col("counts"))).round(0).cast(pl.Int64)
    return DisclosureControl(summary, disclosure.with_columns(not_published.alias("not_published")))


def files_summary(files: pl.DataFrame) -> str:
    """How many files were read and how many rejected whole (`files`: a row per file, `rejected` its reason or null)."""
    rejected = files.filter(pl.col("rejected").is_not_null()).height
    return f"{fmt.plural(files.height, 'file')} read; {rejected} rejected whole" + (": the reasons are below." if rejected else ".")

"""The public bodies' scorecard: every body's value on every indicator published by public body, with the median of
its peers (bodies of the same type, or of the same type in one region) and its rank among them, RAG and the values
in words. The Public bodies page and the briefing pack both read it here."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from dashboard import figures, queries
from dashboard import format as fmt


def body_scorecard(selection, declared: pl.DataFrame, span: tuple[int, int], body_type: str | None,
                   region: str | None = None) -> pl.DataFrame:
    """Every body of `body_type` (every type when None) on the indicators `declared` by public body over the quarters
    `span`, following the selection's other filters; with `region`, only the bodies in that region, as peers.
    Columns: body_code, body_name, body_type, indicator_id, indicator_name, principle, value, numerator, denominator,
    lacking, records, suppressed, applicable, peer_median, peers_with_value, rank, low_base, rag, shown, peer_shown, ...
    Every body with a figure has a row for every indicator: where the indicator does not apply to its type, it is not
    applicable (shown so), never a figure of nothing."""
    bodies = queries.breakdown_names().filter(pl.col("breakdown") == "public_body")
    kept = selection.without("body_type") | ({"body_type": [body_type]} if body_type else {})
    cells = queries.figures(declared.filter(~pl.col("disclosure_controlled"))["indicator_id"].to_list(),
                            [figures.span(figures.NOW, *span)], "public_body", kept)
    year = figures.periods.financial_year_label(span[1] // 4)
    issue_cells = queries.body_scorecard(year, body_type).filter(
        pl.col("indicator_id").is_in(declared.filter(pl.col("disclosure_controlled"))["indicator_id"].to_list()))
    cells = pl.concat([
        cells.select(pl.col("breakdown_code").alias("body_code"), "indicator_id", "value", "numerator", "denominator", "lacking",
                     "records", pl.lit(False).alias("suppressed")),
        issue_cells.select("body_code", "indicator_id", "value", "numerator", "denominator", "lacking",
                           pl.lit(None, pl.Int64).alias("records"), "suppressed"),
    ], how="vertical_relaxed").join(bodies.select(pl.col("code").alias("body_code"), pl.col("name").alias("body_name"),
                                                  pl.col("parent").alias("body_type")), on="body_code")
    if region is not None:
        same = queries.run("body_regions").filter(pl.col("region_code") == region)["code"].to_list()
        cells = cells.filter(pl.col("body_code").is_in(same))
    if cells.is_empty():
        return cells
    # every body with a figure on every indicator: '–' where it has none, 'not applicable' where the indicator does
    # not apply to its type
    indicator_columns = declared.select("indicator_id", pl.col("name").alias("indicator_name"), "principle", "direction",
                                        "sort_order", "unit", "rag_green", "rag_amber", "base", "applies_to")
    grid = cells.select("body_code", "body_name", "body_type").unique().join(indicator_columns, how="cross")
    scorecard = figures.peer_medians(grid.join(cells.drop("body_name", "body_type"), on=["body_code", "indicator_id"], how="left")
                                     .with_columns(pl.col("suppressed").fill_null(False), pl.col("body_type").alias("peer_group"),
                                                   (pl.col("body_type").is_null() | pl.col("applies_to").list.contains(pl.col("body_type")))
                                                   .alias("applicable")))
    scorecard = figures.judged(scorecard).sort("sort_order", "body_name")
    return scorecard.with_columns(fmt.text_column("shown", shown_value, scorecard, "value", "unit", "suppressed", "low_base", "applicable"),
                                  fmt.text_column("peer_shown", fmt.indicator_value, scorecard, "peer_median", "unit"))


NOT_APPLICABLE = "not applicable"


def shown_value(value, unit: str, suppressed: bool, low_base: bool, applicable: bool) -> str:
    """A scorecard cell in words: the value († on a low base), [c], – (nothing counted), or not applicable."""
    if not applicable:
        return NOT_APPLICABLE
    return fmt.indicator_value(value, unit, bool(suppressed)) + (" †" if low_base and value is not None else "")


# --- what the Public bodies page shows: view models, tested on tiny frames (tests/test_figures.py) ----------------


@dataclass(frozen=True)
class ScorecardGroup:
    """One type of body's scorecard table: a row per body (marked when its return is missing or late), a column per
    indicator, and a last row of the peers' medians."""
    type_name: str
    bodies: int
    table: pl.DataFrame


@dataclass(frozen=True)
class Scorecard:
    lagging: str | None  # "ministerial departments: A (3 of 9 red), …; among councils: …", or None when none is red
    groups: list[ScorecardGroup]  # in the order of `type_names`


def scorecard_view(scorecard: pl.DataFrame, type_names: dict[str, str], no_return: list[str], late: list[str]) -> Scorecard:
    """The scorecard of every body (body_scorecard) as the page shows it: who lags most, by type, and a table a type."""
    reds = figures.lagging_most(scorecard)
    lagging = [f"{fmt.plural_noun(type_names[type_code].lower())}: " + ", ".join(
        f"{row['body_name']} ({row['red']} of {row['rated']} red)" for row in rows.iter_rows(named=True))
        for type_code in type_names if (rows := reds.filter(pl.col("body_type") == type_code)).height]
    groups = []
    for type_code in [t for t in type_names if t in set(scorecard["body_type"])]:
        group = scorecard.filter(pl.col("body_type") == type_code).with_columns(
            pl.when(pl.col("body_code").is_in(no_return)).then(pl.format("{} (no return)", "body_name"))
            .when(pl.col("body_code").is_in(late)).then(pl.format("{} (late return)", "body_name"))
            .otherwise(pl.col("body_name")).alias("body_name"))
        wide = group.pivot(on="indicator_name", index="body_name", values="shown", sort_columns=False).fill_null("–")
        medians = group.unique("indicator_id", maintain_order=True)
        median_row = pl.DataFrame([{"body_name": "Median of these bodies", **dict(zip(medians["indicator_name"], medians["peer_shown"]))}])
        table = pl.concat([wide, median_row.select(wide.columns)]).rename({"body_name": "Public body"})
        groups.append(ScorecardGroup(type_names[type_code], group["body_code"].n_unique(), table))
    return Scorecard("; among ".join(lagging) if lagging else None, groups)


@dataclass(frozen=True)
class AgainstPeers:
    """One body's figures against its peers: those that can be drawn (percentages with a peers' median), the
    summary sentence, every applicable figure (with `rank_words`), the names of those not applicable, and the ids of
    the indicators it has a rank on."""
    drawn: pl.DataFrame
    summary: str
    figures: pl.DataFrame
    not_applicable: list[str]
    ranked_ids: list[str]


def against_peers(scorecard: pl.DataFrame, body: str, name: str, period: str, peer_words: str) -> AgainstPeers:
    """The profile's comparison of `body` (called `name`) with its peers (`peer_words`: 'ministerial departments')."""
    not_applicable = scorecard.filter((pl.col("body_code") == body) & ~pl.col("applicable"))["indicator_name"].to_list()
    mine = scorecard.filter((pl.col("body_code") == body) & pl.col("applicable"))
    mine = mine.with_columns(fmt.text_column("rank_words", lambda rank, peers: None if rank is None else f"{figures.ordinal(rank)} of {peers}",
                                             mine, "rank", "peers_with_value"))
    drawn = mine.filter(pl.col("value").is_not_null() & pl.col("peer_median").is_not_null() & pl.col("unit").is_in(fmt.PERCENT_UNITS))
    sides = figures.against(drawn.to_dicts())
    ranks = mine.filter(pl.col("rank_words").is_not_null())
    summary = (f"In {period}, {name} did better than the median of its peers on {sides['better']} of {drawn.height} "
               f"percentages and worse on {sides['worse']}."
               + (f" Its rank among the {peer_words}: " + "; ".join(f"{r['indicator_name'].lower()} {r['rank_words']}"
                                                                 for r in ranks.head(3).iter_rows(named=True))
                  + ("; the table has every rank." if ranks.height > 3 else ".") if ranks.height else ""))
    return AgainstPeers(drawn, summary, mine, not_applicable, ranks["indicator_id"].to_list())

"""The public bodies' scorecard: every body's value on every indicator published by public body, with the median of
its peers (bodies of the same type, or of the same type in one region) and its rank among them, RAG and the values
in words. The Public bodies page and the briefing pack both read it here."""

from __future__ import annotations

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

"""Build `marts.indicators` (the declarations), `marts.issue_figures` (the counts issue indicators publish, under
disclosure control) and `marts.indicator_values` (every indicator, period and breakdown).

Each indicator's formula (warehouse/indicators/<id>.sql) gives `indicator_records`; one aggregation
(warehouse/engine/cells.sql), run for each breakdown the indicator supports, turns those records into cells for every
period. An issue indicator's numerator and denominator are issue figures (its declaration names them): disclosure
control (etl/disclosure.py) decides which of them are published, and its values are worked out from those alone.
warehouse/engine/indicator_values.sql adds names, changes and RAG status. Runs inside a build, after the marts.
"""

from __future__ import annotations

import duckdb
import polars as pl

import warehouse
from data_contracts import load_contract
from etl import disclosure
from warehouse.indicators import Indicator, indicators

INDICATOR_SCHEMA = {
    "indicator_id": pl.Utf8, "sort_order": pl.Int32, "principle": pl.Utf8, "name": pl.Utf8, "definition": pl.Utf8,
    "needs": pl.Utf8, "sources": pl.List(pl.Utf8), "calculation": pl.Utf8, "unit": pl.Utf8, "direction": pl.Utf8,
    "target": pl.Float64, "rag_green": pl.Float64, "rag_amber": pl.Float64, "basis": pl.Utf8,
    "proposed_by_sector": pl.Boolean, "headline": pl.Boolean, "breakdowns": pl.List(pl.Utf8), "disclosure_controlled": pl.Boolean,
    "formula": pl.Utf8, "file": pl.Utf8,
}
CELL_SCHEMA = {"indicator_id": pl.Utf8, "period_level": pl.Utf8, "financial_year": pl.Utf8, "quarter": pl.Int32,
               "breakdown": pl.Utf8, "breakdown_code": pl.Utf8, "value": pl.Float64, "numerator": pl.Float64,
               "denominator": pl.Float64, "lacking": pl.Int64, "suppressed": pl.Boolean}
# the contract fields whose allowed values are the codes of an issue breakdown
ISSUE_BREAKDOWN_FIELDS = {"size_band": "reporter_size_band", "principle": "principle", "category": "category"}


def declarations(found: tuple[Indicator, ...]) -> pl.DataFrame:
    return pl.DataFrame([
        {"indicator_id": i.id, "sort_order": n, "principle": i.principle, "name": i.name, "definition": i.definition,
         "needs": i.needs, "sources": list(i.sources), "calculation": i.calculation, "unit": i.unit,
         "direction": i.direction, "target": i.target, "rag_green": i.rag_green, "rag_amber": i.rag_amber,
         "basis": i.basis, "proposed_by_sector": i.proposed_by_sector, "headline": i.headline, "breakdowns": list(i.breakdowns),
         "disclosure_controlled": i.disclosure_controlled, "formula": i.formula, "file": f"warehouse/indicators/{i.file}"}
        for n, i in enumerate(found, start=1)
    ], schema=INDICATOR_SCHEMA)


def _cells(con: duckdb.DuckDBPyConnection, records_sql: str, calculation: str, breakdowns: list[str]) -> pl.DataFrame:
    con.execute(warehouse.sql("engine/records.sql"))
    # records_sql is our own SQL (a file in warehouse/), never a value from a user or a file
    con.execute("create or replace temp view indicator_records as "
                "select * from indicator_record_columns union all by name select * from (" + records_sql + ")")
    cells = warehouse.sql("engine/cells.sql")
    return pl.concat([con.sql(cells, params={"calculation": calculation, "breakdown": breakdown}).pl()
                      for breakdown in breakdowns], how="vertical_relaxed")


def indicator_cells(con: duckdb.DuckDBPyConnection, indicator: Indicator) -> pl.DataFrame:
    """One indicator's cells (before disclosure control), from its formula over the marts in `con`."""
    cells = _cells(con, indicator.formula, indicator.calculation, list(indicator.breakdowns))
    return cells.with_columns(pl.lit(indicator.id).alias("indicator_id"))


def issue_structure(con: duckdb.DuckDBPyConnection, issue_indicators: list[Indicator]) -> disclosure.Structure:
    """What a reader knows of the issue figures, from the reference tables, the issue logs' contract, the
    indicators' declared breakdowns, the calendar and the data's date."""
    bodies = con.sql("select code, body_type from reference.public_bodies order by code").pl()
    regions = con.sql("select gss_code, nation_code from reference.localities where level = 'region' order by gss_code").pl()
    fields = {f.name: f for f in load_contract("issue_events").dataset("issue_events").fields}
    codes = {
        "public_body": tuple(bodies["code"]),
        "body_type": tuple(r for (r,) in con.execute("select code from reference.body_types order by code").fetchall()),
        "nation": tuple(r for (r,) in con.execute(
            "select gss_code from reference.localities where level = 'nation' order by gss_code").fetchall()),
        "region": tuple(regions["gss_code"]),
    } | {breakdown: tuple(fields[name].enum) for breakdown, name in ISSUE_BREAKDOWN_FIELDS.items()}
    breakdowns = {}
    for indicator in issue_indicators:
        fam = {disclosure.family(figure) for _, figure in indicator.issue_figures}.pop()
        if breakdowns.setdefault(fam, indicator.breakdowns) != indicator.breakdowns:
            raise ValueError(f"{indicator.file}: breakdowns differ from those of the other indicators counting the same issues")
    years = tuple(r for (r,) in con.execute("select distinct financial_year from reference.periods order by 1").fetchall())
    ((as_of,),) = con.execute("select max(as_of) from meta.builds").fetchall()
    return disclosure.Structure(codes=codes, body_types=dict(zip(bodies["code"], bodies["body_type"])),
                                region_nations=dict(zip(regions["gss_code"], regions["nation_code"])),
                                breakdowns=breakdowns, years=years, as_of=as_of)


def issue_figures(con: duckdb.DuckDBPyConnection, controlled: dict[Indicator, pl.DataFrame]) -> pl.DataFrame:
    """Every issue figure with its true count and what disclosure control decided (published, suppressed or
    withheld); `marts.issue_figures` is made from it, with the counts of figures not published left out."""
    found = pl.concat([cells.select(pl.lit(figure).alias("figure"), *disclosure.CELL, pl.col(part).cast(pl.Int64).alias("count"))
                       for indicator, cells in controlled.items() for part, figure in indicator.issue_figures]).unique()
    clash = found.group_by("figure", *disclosure.CELL).agg(pl.col("count").n_unique().alias("counts")).filter(pl.col("counts") > 1)
    if clash.height:
        raise ValueError(f"issue indicators count the figure {clash['figure'][0]!r} differently; their formulas must agree")
    medians = pl.concat([cells.select(*disclosure.CELL, pl.col("value").alias("median"))
                         for indicator, cells in controlled.items() if indicator.calculation == "median"])
    if not (found["count"] > 0).any():
        statuses = pl.DataFrame(schema=disclosure.STATUS_SCHEMA)
    else:
        statuses = disclosure.control(found, issue_structure(con, list(controlled)), medians)
    con.register("issue_figure_statuses", statuses)
    try:
        con.execute(warehouse.sql("engine/issue_figures.sql"))
    finally:
        con.unregister("issue_figure_statuses")
    return statuses


def issue_values(indicator: Indicator, cells: pl.DataFrame, statuses: pl.DataFrame) -> pl.DataFrame:
    """An issue indicator's cells worked out from its published figures alone: a cell whose figure is not published
    has its value and that figure left out and is marked suppressed. Cells outside what disclosure control
    publishes (quarters by breakdown) are not published at all."""
    figures = dict(indicator.issue_figures)
    mine = statuses.filter(pl.col("figure") == figures.get("numerator", figures.get("denominator")))
    table = mine.select(*disclosure.CELL).filter(pl.col("breakdown").is_in(indicator.breakdowns))
    for part in ("numerator", "denominator"):
        if part in figures:
            table = table.join(statuses.filter(pl.col("figure") == figures[part]).select(
                *disclosure.CELL, pl.col("count").alias(part), (pl.col("status") == "published").alias(f"{part}_published")),
                on=disclosure.CELL, how="left", nulls_equal=True)
    engine = cells.select(*disclosure.CELL, pl.col("value").alias("engine_value"), pl.col("denominator").alias("engine_denominator"))
    table = table.join(engine, on=disclosure.CELL, how="left", nulls_equal=True)
    if indicator.calculation == "median":  # published only where disclosure control says (never without its count)
        medians = statuses.filter(pl.col("figure") == disclosure.MEDIAN).select(
            *disclosure.CELL, (pl.col("status") == "published").alias("median_published"))
        table = table.join(medians, on=disclosure.CELL, how="left", nulls_equal=True).with_columns(
            pl.col("median_published").fill_null(True))  # no median to hide: none resolved
        shown_median = pl.col("median_published")
    else:
        shown_median = pl.lit(True)
    if "denominator" not in figures:  # not issue-derived (organisations funded): public
        table = table.with_columns(pl.col("engine_denominator").fill_null(0).alias("denominator"), pl.lit(True).alias("denominator_published"))
    if "numerator" not in figures:
        table = table.with_columns(pl.lit(None, pl.Float64).alias("numerator"), pl.lit(True).alias("numerator_published"))
    shown = pl.col("numerator_published") & pl.col("denominator_published") & shown_median
    value = {
        "count": pl.col("numerator"),
        "share": 100 * pl.col("numerator") / pl.when(pl.col("denominator") > 0).then(pl.col("denominator")),
        "per_100": 100 * pl.col("numerator") / pl.when(pl.col("denominator") > 0).then(pl.col("denominator")),
        "median": pl.when(pl.col("denominator") > 0).then(pl.col("engine_value")),
    }[indicator.calculation]
    return table.select(
        pl.lit(indicator.id).alias("indicator_id"), *disclosure.CELL,
        pl.when(shown).then(value).alias("value"),
        pl.when(pl.col("numerator_published")).then(pl.col("numerator")).alias("numerator"),
        pl.when(pl.col("denominator_published")).then(pl.col("denominator")).alias("denominator"),
        pl.lit(None, pl.Int64).alias("lacking"),  # every record an issue indicator counts has what it needs
        (~shown).alias("suppressed"),
    )


def build(con: duckdb.DuckDBPyConnection, found: tuple[Indicator, ...] | None = None) -> None:
    """Create marts.indicators, marts.issue_figures and marts.indicator_values in `con` (the marts and meta.builds
    must exist)."""
    found = indicators() if found is None else found
    declared = declarations(found)
    con.execute("create or replace table marts.indicators as select * from declared")
    public, controlled = [], {}
    con.execute(warehouse.sql("engine/records.sql"))
    for indicator in found:
        cells = indicator_cells(con, indicator)
        if indicator.disclosure_controlled:
            controlled[indicator] = cells
        else:
            public.append(cells.with_columns(pl.lit(False).alias("suppressed")))
    con.execute("drop view if exists indicator_records")
    con.execute("drop table if exists indicator_record_columns")
    if controlled:  # with no issue loaded, there are no issue figures (not figures of none)
        statuses = issue_figures(con, controlled)
        if statuses.height:
            public += [issue_values(indicator, cells, statuses) for indicator, cells in controlled.items()]
    frames = [f.select([pl.col(c).cast(t) for c, t in CELL_SCHEMA.items()]) for f in public]
    indicator_cells_frame = pl.concat(frames) if frames else pl.DataFrame(schema=CELL_SCHEMA)
    con.execute("create or replace temp table indicator_cells as select * from indicator_cells_frame")
    con.execute(warehouse.sql("engine/indicator_values.sql"))
    con.execute("drop table indicator_cells")

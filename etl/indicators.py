"""Build `marts.indicators` (the declarations) and `marts.indicator_values` (every indicator, period and breakdown).

Each indicator's formula (warehouse/indicators/<id>.sql) gives `indicator_records`; one aggregation
(warehouse/engine/cells.sql), run for each breakdown the indicator supports, turns those records into cells for every period;
disclosure control (etl/disclosure.py) is applied to the issue-derived cells; warehouse/engine/indicator_values.sql
adds names, changes and RAG status. Runs inside a build, after the marts.
"""

from __future__ import annotations

from collections import defaultdict

import duckdb
import polars as pl

import warehouse
from etl import disclosure
from warehouse.indicators import BREAKDOWNS, Indicator, indicators

INDICATOR_SCHEMA = {
    "indicator_id": pl.Utf8, "sort_order": pl.Int32, "principle": pl.Utf8, "name": pl.Utf8, "definition": pl.Utf8,
    "needs": pl.Utf8, "sources": pl.List(pl.Utf8), "calculation": pl.Utf8, "unit": pl.Utf8, "direction": pl.Utf8,
    "target": pl.Float64, "rag_green": pl.Float64, "rag_amber": pl.Float64, "basis": pl.Utf8,
    "proposed_by_sector": pl.Boolean, "headline": pl.Boolean, "breakdowns": pl.List(pl.Utf8), "disclosure_controlled": pl.Boolean,
    "formula": pl.Utf8, "file": pl.Utf8,
}
PARENT_COLUMNS = {"district": ("district_code", "region_code"), "region": ("region_code", "nation_code"),
                  "public_body": ("body_code", "body_type")}


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
    return cells.drop("issue_class").with_columns(pl.lit(indicator.id).alias("indicator_id"))


def issue_classes(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Disclosure control's base table: issues per cell and class, from `issue_flags`."""
    cells = _cells(con, warehouse.sql("engine/issue_classes.sql"), "count", list(BREAKDOWNS))
    return cells.select(*disclosure.CELL, pl.col("issue_class").alias("signature"), pl.col("numerator").cast(pl.Int64).alias("issues"))


def _parents(con: duckdb.DuckDBPyConnection, into: dict[str, dict]) -> None:
    """Which parent code each child code was counted under, in the records now in `indicator_records`."""
    for child, (child_column, parent_column) in PARENT_COLUMNS.items():
        # column names are our own constants
        for code, parent in con.execute(f"select distinct {child_column}, {parent_column} from indicator_records").fetchall():
            into[child][code].add(parent)


def build(con: duckdb.DuckDBPyConnection, found: tuple[Indicator, ...] | None = None) -> None:
    """Create marts.indicators and marts.indicator_values in `con` (the marts and meta.builds must exist)."""
    found = indicators() if found is None else found
    declared = declarations(found)
    con.execute("create or replace table marts.indicators as select * from declared")
    public, controlled = [], []
    parents: dict[str, dict] = {child: defaultdict(set) for child in PARENT_COLUMNS}
    con.execute(warehouse.sql("engine/records.sql"))
    con.execute(warehouse.sql("engine/issue_flags.sql"))
    for indicator in found:
        cells = indicator_cells(con, indicator)
        if indicator.disclosure_controlled:
            _parents(con, parents)
            if indicator.within is None:  # one counting within a cell is protected by that cell's total
                con.execute(warehouse.sql("engine/add_issue_flags.sql"), {"indicator": indicator.id})
            controlled.append(cells)
        else:
            public.append(cells.with_columns(pl.lit(False).alias("suppressed")))
    con.execute("drop view if exists indicator_records")
    con.execute("drop table if exists indicator_record_columns")
    if controlled:
        issue_indicators = [i for i in found if i.disclosure_controlled]
        public.append(disclosure.control(
            pl.concat(controlled), classes=issue_classes(con),
            suppress={i.id: i.suppress for i in issue_indicators}, calculations={i.id: i.calculation for i in found},
            within={i.id: i.within for i in issue_indicators if i.within}, parents=parents,
        ))
    con.execute("drop table issue_flags")
    schema = {"indicator_id": pl.Utf8, "period_level": pl.Utf8, "financial_year": pl.Utf8, "quarter": pl.Int32,
              "breakdown": pl.Utf8, "breakdown_code": pl.Utf8, "value": pl.Float64, "numerator": pl.Float64,
              "denominator": pl.Float64, "lacking": pl.Int64, "suppressed": pl.Boolean}
    frames = [f.select([pl.col(c).cast(t) for c, t in schema.items()]) for f in public]
    indicator_cells_frame = pl.concat(frames) if frames else pl.DataFrame(schema=schema)
    con.execute("create or replace temp table indicator_cells as select * from indicator_cells_frame")
    con.execute(warehouse.sql("engine/indicator_values.sql"))
    con.execute("drop table indicator_cells")


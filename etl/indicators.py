"""Build `marts.indicators` (the declarations), `marts.issue_figures` (the counts issue indicators publish, under
disclosure control) and `marts.indicator_values` (every indicator, period and breakdown).

Each indicator's formula (warehouse/indicators/<id>.sql) gives `indicator_records`, added up into facts
(warehouse/engine/facts.sql: `marts.indicator_facts`, published, for the dashboard's query-time engine); the same engine
(warehouse/engine/figures.sql), run for each breakdown the indicator supports, gives its cells for every financial
year and quarter. An issue indicator's numerator and denominator are issue figures (its declaration names them): disclosure
control (etl/disclosure.py) decides which of them are published, and its values are worked out from those alone.
warehouse/engine/indicator_values.sql adds names, changes and RAG status. Runs inside a build, after the marts.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import duckdb
import polars as pl

import warehouse
from data_contracts import load_contract
from etl import disclosure, periods
from etl.frames import FRAME, create_table, query_with
from warehouse import breakdowns
from warehouse.indicators import SMALL_BASE, Indicator, indicators

INDICATOR_SCHEMA = {
    "indicator_id": pl.Utf8, "sort_order": pl.Int32, "principle": pl.Utf8, "name": pl.Utf8, "definition": pl.Utf8,
    "needs": pl.Utf8, "sources": pl.List(pl.Utf8), "calculation": pl.Utf8, "unit": pl.Utf8, "direction": pl.Utf8,
    "target": pl.Float64, "rag_green": pl.Float64, "rag_amber": pl.Float64, "basis": pl.Utf8,
    "proposed_by_sector": pl.Boolean, "headline": pl.Boolean, "base": pl.Utf8, "breakdowns": pl.List(pl.Utf8), "applies_to": pl.List(pl.Utf8), "disclosure_controlled": pl.Boolean,
    "formula": pl.Utf8, "file": pl.Utf8,
}
CELL_SCHEMA = {"indicator_id": pl.Utf8, "period_level": pl.Utf8, "financial_year": pl.Utf8, "quarter": pl.Int32,
               "breakdown": pl.Utf8, "breakdown_code": pl.Utf8, "value": pl.Float64, "numerator": pl.Float64,
               "denominator": pl.Float64, "lacking": pl.Int64, "records": pl.Int64, "suppressed": pl.Boolean}
# the contract fields whose allowed values are the codes of an issue breakdown
ISSUE_BREAKDOWN_FIELDS = {"size_band": "reporter_size_band", "principle": "principle", "category": "category"}


def declarations(found: tuple[Indicator, ...]) -> pl.DataFrame:
    return pl.DataFrame([
        {"indicator_id": i.id, "sort_order": n, "principle": i.principle, "name": i.name, "definition": i.definition,
         "needs": i.needs, "sources": list(i.sources), "calculation": i.calculation, "unit": i.unit,
         "direction": i.direction, "target": i.target, "rag_green": i.rag_green, "rag_amber": i.rag_amber,
         "basis": i.basis, "proposed_by_sector": i.proposed_by_sector, "headline": i.headline, "base": i.base, "breakdowns": list(breakdowns.supported(i.breakdowns)), "applies_to": list(i.applies_to),
         "disclosure_controlled": i.disclosure_controlled, "formula": i.formula, "file": f"warehouse/indicators/{i.file}"}
        for n, i in enumerate(found, start=1)
    ], schema=INDICATOR_SCHEMA)


FACTS_TABLE = "marts.indicator_facts"  # the public indicators' facts: published, read by the dashboard at view time
ISSUE_FACTS_TABLE = "issue_indicator_facts"  # the issue indicators': restricted, a temporary table of the build's own
# the public indicators' facts as they are added, in memory (spilling to the workspace's folder): adding to a table
# of the database file cost 2 to 3 times as much, and the facts are written there once, in order, at the end
ADDED_FACTS_TABLE = "added_indicator_facts"


def facts_ddl(table: str) -> str:
    """The facts table's columns: the period, one column per breakdown (warehouse/breakdowns.py), what a record is
    counted by, and its sums."""
    columns = ", ".join(f"{b.key} varchar" for b in breakdowns.BREAKDOWNS)
    return (f"create or replace {'temp ' if '.' not in table else ''}table {table} (indicator_id varchar, financial_year varchar, "
            f"quarter integer, period_index integer, {columns}, stock_of varchar, subject varchar, numerator double, "
            "denominator double, lacking bigint, records bigint, measures double[])")


NO_MEASURES = "cast(null as double[])"


def records_sql(indicator: Indicator) -> str:
    """The indicator's records: its formula's rows in the columns of warehouse/engine/records.sql (our own SQL)."""
    return warehouse.sql("engine/records.sql") + " union all by name select * from (" + indicator.formula + ")"


def facts_sql(table: str, records: str, median: bool = False) -> str:
    """warehouse/engine/facts.sql for `table` over `records` (records_sql), with the breakdown columns of the
    registry, and a median's measures (`median`) or none (our own SQL)."""
    return (warehouse.sql("engine/facts.sql").replace("{facts_table}", table).replace("{records}", records)
            .replace("{breakdown_columns}", breakdowns.facts_columns())
            .replace("{measures}", "list(records.measure) filter (where records.measure is not null)" if median else NO_MEASURES))


def figures_sql(table: str = FACTS_TABLE, medians: bool | None = None) -> str:
    """warehouse/engine/figures.sql over `table`, with the registry's filters and breakdown, gathering medians'
    measures when `medians` (by default: when a public indicator is a median, as marts.indicator_facts holds only
    public indicators) (our own SQL)."""
    if medians is None:
        medians = any(i.calculation == "median" and not i.disclosure_controlled for i in indicators())
    return (warehouse.sql("engine/figures.sql").replace("{facts_table}", table)
            .replace("{breakdown_case}", breakdowns.breakdown_case()).replace("{filter_clauses}", breakdowns.filter_clauses())
            .replace("{subject_measures}", "flatten(list(measures) filter (where measures is not null))" if medians else NO_MEASURES)
            .replace("{cell_measures}", "flatten(list(measures))" if medians else NO_MEASURES))


def figure_params(indicators: list[str] = (), windows: list[dict] = (), breakdown: str = "all",
                  filters: dict[str, list[str]] | None = None) -> dict:
    """The bound parameters of figures.sql: the indicators and windows wanted, the breakdown to split by, and the codes
    chosen per breakdown (every breakdown not named: no filter)."""
    filters = {k: list(v) for k, v in (filters or {}).items() if v}
    return {"indicators": list(indicators), "windows": list(windows), "breakdown": breakdown, "filtered": sorted(filters)} | {
        b.key: filters.get(b.key, []) for b in breakdowns.BREAKDOWNS}


# the records one statement of facts.sql adds up, at most: a few years of a million awards at once take half the time
# of a year at a time; ten million at once ran out of memory (a year of the 10M demo, about 2.5M, is added up alone)
FACTS_BATCH_RECORDS = 3_000_000


def add_facts(con: duckdb.DuckDBPyConnection, indicator: Indicator, table: str) -> None:
    """Add one indicator's facts to `table`, from its formula over the marts in `con`: its financial years in as few
    statements as hold at most FACTS_BATCH_RECORDS records each (`year_batches`)."""
    records = records_sql(indicator)  # the formula is our own SQL (a file in warehouse/), never a value from a user or a file
    sql = facts_sql(table, records, indicator.calculation == "median")
    years = con.execute(f"select financial_year, count(*) from ({records}) where financial_year is not null "
                        "group by 1 order by 1").fetchall()
    for batch in year_batches(years, FACTS_BATCH_RECORDS):  # a record's facts never span years
        con.execute(sql, {"indicator_id": indicator.id, "calculation": indicator.calculation, "financial_years": batch,
                          "applies_to": list(indicator.applies_to)})


def year_batches(years: list[tuple[str, int]], most: int) -> list[list[str]]:
    """Financial years with their records' counts, in order -> runs of consecutive years of at most `most` records
    together (a year of more is a run of its own)."""
    batches: list[list[str]] = []
    held = 0
    for year, count in years:
        if batches and held + count <= most:
            batches[-1].append(year)
            held += count
        else:
            batches.append([year])
            held = count
    return batches


def every_window(con: duckdb.DuckDBPyConnection, table: str) -> list[dict]:
    """Every financial year and every quarter the facts in `table` hold, as windows of figures.sql."""
    years = [y for (y,) in con.execute(f"select distinct financial_year from {table} order by 1").fetchall()]
    return [periods.window(year) for year in years] + [periods.window(year, q) for year in years for q in (1, 2, 3, 4)]


def cells(con: duckdb.DuckDBPyConnection, found: tuple[Indicator, ...], table: str) -> pl.DataFrame:
    """Every cell of every breakdown each indicator supports, in every financial year and quarter (before disclosure
    control), by the query-time engine."""
    windows = every_window(con, table)
    if not windows or not found:
        return pl.DataFrame(schema=CELL_SCHEMA | {"indicator_id": pl.Utf8})
    sql = figures_sql(table, any(i.calculation == "median" for i in found))
    frames = []
    for key in breakdowns.KEYS:
        wanted = [i.id for i in found if key in breakdowns.supported(i.breakdowns) or key == "all"]
        if wanted:
            frames.append(con.sql(sql, params=figure_params(wanted, windows, key)).pl())
    return pl.concat(frames, how="vertical_relaxed").drop("window_name")


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
    names = con.sql("select breakdown, code, parent from marts.breakdown_names order by breakdown, code").pl()
    parents = {b: dict(zip(rows["code"], rows["parent"])) for (b,), rows in names.partition_by("breakdown", as_dict=True).items()}
    return disclosure.Structure(codes=codes, parents=parents,
                                breakdowns=breakdowns, years=years, as_of=as_of)


def issue_statuses(controlled: dict[Indicator, pl.DataFrame], structure: disclosure.Structure) -> pl.DataFrame:
    """Every issue figure with its true count and what disclosure control decided (published, suppressed or
    withheld), from the issue indicators' cells (before control). Reads no database: it runs beside the public
    indicators' facts (HiGHS lets go of Python's lock while it solves)."""
    found = pl.concat([cells.select(pl.lit(figure).alias("figure"), *disclosure.CELL, pl.col(part).cast(pl.Int64).alias("count"))
                       for indicator, cells in controlled.items() for part, figure in indicator.issue_figures]).unique()
    clash = found.group_by("figure", *disclosure.CELL).agg(pl.col("count").n_unique().alias("counts")).filter(pl.col("counts") > 1)
    if clash.height:
        raise ValueError(f"issue indicators count the figure {clash['figure'][0]!r} differently; their formulas must agree")
    medians = pl.concat([cells.select(*disclosure.CELL, pl.col("value").alias("median"))
                         for indicator, cells in controlled.items() if indicator.calculation == "median"])
    if not (found["count"] > 0).any():
        return pl.DataFrame(schema=disclosure.STATUS_SCHEMA)
    return disclosure.control(found, structure, medians)


def write_issue_figures(con: duckdb.DuckDBPyConnection, statuses: pl.DataFrame) -> None:
    """`marts.issue_figures` from the statuses, with the counts of figures not published left out."""
    con.register("issue_figure_statuses", statuses)
    try:
        con.execute(warehouse.sql("engine/issue_figures.sql"))
    finally:
        con.unregister("issue_figure_statuses")


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
        pl.lit(None, pl.Int64).alias("records"),  # its base is its denominator, a published figure
        (~shown).alias("suppressed"),
    )


def indicator_cells(con: duckdb.DuckDBPyConnection, indicator: Indicator) -> pl.DataFrame:
    """One indicator's cells (before disclosure control), from its formula over the marts in `con`."""
    con.execute(facts_ddl("one_indicator_facts"))
    try:
        add_facts(con, indicator, "one_indicator_facts")
        return cells(con, (indicator,), "one_indicator_facts")
    finally:
        con.execute("drop table one_indicator_facts")


def build(con: duckdb.DuckDBPyConnection, found: tuple[Indicator, ...] | None = None) -> None:
    """Create marts.indicators, marts.indicator_facts, marts.issue_figures, marts.indicator_values and
    marts.breakdown_names in `con` (the marts and meta.builds must exist)."""
    found = indicators() if found is None else found
    create_table(con, "marts.indicators", declarations(found), replace=True)
    categories = load_contract("issue_events").dataset("issue_events").fields
    categories = pl.DataFrame({"code": next(f.enum for f in categories if f.name == "category")}).with_row_index("sort_order", 1)
    query_with(con, "create or replace table reference.issue_categories as "
               f"select code, upper(left(code, 1)) || substr(code, 2) as name, sort_order from {FRAME}", categories)
    con.execute("create or replace table marts.breakdown_names as " + breakdowns.names_sql())
    public = tuple(i for i in found if not i.disclosure_controlled)
    controlled = tuple(i for i in found if i.disclosure_controlled)
    # the issue indicators first: disclosure control (a few seconds of linear programmes) then runs in a thread
    # while the public indicators' facts and cells are added up
    con.execute(facts_ddl(ISSUE_FACTS_TABLE))
    for indicator in controlled:
        add_facts(con, indicator, ISSUE_FACTS_TABLE)
    issue_cells = cells(con, controlled, ISSUE_FACTS_TABLE)
    con.execute(f"drop table {ISSUE_FACTS_TABLE}")
    by_indicator = {i: issue_cells.filter(pl.col("indicator_id") == i.id) for i in controlled}
    with ThreadPoolExecutor(1, thread_name_prefix="disclosure") as control:
        # with no issue loaded, there are no issue figures (not figures of none)
        statuses = control.submit(issue_statuses, by_indicator, issue_structure(con, list(controlled))) if controlled else None
        con.execute(facts_ddl(ADDED_FACTS_TABLE))
        for indicator in public:
            add_facts(con, indicator, ADDED_FACTS_TABLE)
        # in the order the dashboard reads them: one indicator's rows together, by period
        con.execute(f"create or replace table {FACTS_TABLE} as select * from {ADDED_FACTS_TABLE} order by indicator_id, period_index")
        con.execute(f"drop table {ADDED_FACTS_TABLE}")
        frames = [cells(con, public, FACTS_TABLE).with_columns(pl.lit(False).alias("suppressed"))]
        statuses = statuses.result() if statuses else None
    if statuses is not None:
        write_issue_figures(con, statuses)
        if statuses.height:
            frames += [issue_values(indicator, cells, statuses) for indicator, cells in by_indicator.items()]
    every_cell = pl.concat([f.select([pl.col(c).cast(t) for c, t in CELL_SCHEMA.items()]) for f in frames])
    query_with(con, warehouse.sql("engine/indicator_values.sql").replace("{indicator_cells}", FRAME), every_cell,
               {"small_base": SMALL_BASE, "baseline": periods.BASELINE_FINANCIAL_YEAR})

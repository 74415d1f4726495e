"""Data contracts -> the data dictionary: one row per field of every dataset, and a Markdown page of it.

The page is `docs/data-dictionary.md` (and the dashboard's data dictionary); both come from `to_markdown`.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from data_contracts.model import CONTRACT_IDS, Field, load_contract

COLUMNS = (
    "source", "dataset", "sheet_or_file", "field", "title", "type", "required", "unique",
    "allowed_values", "pattern", "minimum", "maximum", "description", "classification",
)

CONFIDENTIAL_NOTE = "Confidential: dropped when the file is loaded and never published."


def _text(value) -> str | None:
    if value is None:
        return None
    return value.isoformat() if isinstance(value, (dt.date, dt.datetime)) else str(value)


def _description(field: Field) -> str:
    if field.confidential:
        return f"{field.description} {CONFIDENTIAL_NOTE}".strip()
    return field.description


def dictionary(contract_ids: tuple[str, ...] = CONTRACT_IDS) -> pl.DataFrame:
    """One row per field (confidential ones included, marked as such), in contract, dataset and field order.
    Every column is text; a rule a field does not have is null."""
    rows = []
    for contract_id in contract_ids:
        contract = load_contract(contract_id)
        for dataset in contract.datasets:
            for f in dataset.fields:
                rows.append((
                    contract.name, dataset.name, dataset.physical_name, f.name, f.title, f.logical_type,
                    "Yes" if f.required else "No", "Yes" if f.unique else "No",
                    ", ".join(map(str, f.enum)) if f.enum is not None else None,
                    f.pattern, _text(f.minimum), _text(f.maximum), _description(f), f.classification,
                ))
    return pl.DataFrame(rows, schema={c: pl.Utf8 for c in COLUMNS}, orient="row")


# --- Markdown -----------------------------------------------------------------------------------------------------

INTRO = """\
# Data dictionary

Every field of every source the Covenant dashboard loads, generated from the data contracts in `data_contracts/`
(do not edit this page by hand). Each dataset is a file, or a sheet of a workbook, whose columns are headed by
the fields' titles; in the warehouse each field is a column of the dataset's staging table, named as in the
*Field* column. A required field must have a value in every row, and a unique one a different value in each row;
rows that break a rule are quarantined with the reason. Confidential fields are read only to be dropped."""


def _cell(value: str | None) -> str:
    return "" if value is None else value.replace("\r", " ").replace("\n", " ").replace("|", "\\|")


def _rules(row: dict) -> str:
    """Allowed values, pattern and bounds of one field, in words."""
    parts = []
    if row["allowed_values"] is not None:
        parts.append(f"one of: {row['allowed_values']}")
    if row["pattern"] is not None:
        parts.append(f"matches `{row['pattern']}`")
    low, high = row["minimum"], row["maximum"]
    if low is not None and high is not None:
        parts.append(f"from {low} to {high}")
    elif low is not None:
        parts.append(f"at least {low}")
    elif high is not None:
        parts.append(f"at most {high}")
    return "; ".join(parts)


def _table(rows: list[dict]) -> list[str]:
    lines = ["| Field | Title | Type | Required | Unique | Allowed values and rules | Description |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        cells = [f"`{r['field']}`", r["title"], r["type"], r["required"], r["unique"], _rules(r), r["description"]]
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return lines


def to_markdown(frame: pl.DataFrame) -> str:
    """The dictionary as a Markdown page: a section per source, a table per dataset, in the frame's order."""
    lines = [INTRO]
    source = dataset = None
    rows: list[dict] = []
    for row in frame.iter_rows(named=True):
        if (row["source"], row["dataset"]) != (source, dataset):
            if rows:
                lines += ["", *_table(rows)]
                rows = []
            if row["source"] != source:
                lines += ["", f"## {row['source']}"]
            source, dataset = row["source"], row["dataset"]
            lines += ["", f"### {dataset}", "", f"File or sheet: `{row['sheet_or_file']}`."]
        rows.append(row)
    if rows:
        lines += ["", *_table(rows)]
    return "\n".join(lines) + "\n"


# --- the published warehouse ---------------------------------------------------------------------------------------

WAREHOUSE_INTRO = """\
## The published warehouse

Analysts can query the published warehouse directly: `covenant.duckdb` (DuckDB), or the same tables as Parquet
files in `parquet/`. These are its tables (generated from `warehouse/tables.yaml`); the reference tables
(`reference.*`) hold the public bodies, localities, principles, size bands and financial periods. Row-level issue
data is never published: figures from issue logs are in `marts.indicator_values` only, with counts under 5
suppressed (`suppressed` is true and the figures are empty; the dashboard shows `[c]`)."""


def warehouse_markdown() -> str:
    """The published warehouse's tables and columns as a Markdown section."""
    from warehouse import table_docs

    lines = [WAREHOUSE_INTRO]
    current = None
    for row in table_docs():
        if row["table"] != current:
            current = row["table"]
            lines += ["", f"### `{current}`", "", row["table_description"], "", "| Column | Description |", "|---|---|"]
        lines.append(f"| `{row['column']}` | {_cell(row['description'])} |")
    return "\n".join(lines) + "\n"


def indicators_markdown() -> str:
    """The indicator framework as a Markdown page a committee clerk can read: one section per principle."""
    from warehouse.indicators import CALCULATIONS, SMALL_BASE, body_type_scopes, indicators

    lines = ["# The indicators", "",
             "How the Covenant dashboard measures progress, generated from the declarations in `warehouse/indicators/`",
             "(do not edit this page by hand). Every figure on every page, extract and report comes from these",
             "definitions, computed the same way for every period (financial year and quarter) and breakdown. Measures",
             "marked *proposed by the sector* rest on the asks of the sector's engagement report (NCVO and ACEVO), not on",
             "an existing obligation. Figures from issue logs have counts under 5 suppressed, shown as `[c]`.", "",
             f"**Low bases.** A figure resting on fewer than {SMALL_BASE} counted (its *base*: the awards, projects,",
             "meetings, organisations or issues of its denominator; for a share of money or a figure per head, the records",
             "it rests on) is marked † wherever it is shown, is given no RAG status, and a change to or from it is never",
             "headlined. A count has no base.", "",
             "**Applicability.** An indicator that applies to some types of public body only says so below; a body of",
             "another type shows *not applicable* for it, and its records are not counted in any figure of it."]
    every_type = tuple(body_type_scopes())
    from etl import reference

    plurals = dict(reference.load("body_types").select("code", "plural").iter_rows())
    principle = None
    for i in indicators():
        if i.principle != principle:
            principle = i.principle
            lines += ["", f"## {principle.capitalize()}"]
        thresholds = (f"green at {i.rag_green:g} or {'more' if i.direction == 'higher' else 'less'}, "
                      f"amber at {i.rag_amber:g}" if i.rag_green is not None else "none")
        lines += ["", f"### {i.name}{' (headline)' if i.headline else ''}", "", i.definition, "",
                  f"- **Identifier:** `{i.id}`",
                  f"- **Sources:** {', '.join(i.sources)}",
                  f"- **Unit:** {i.unit}; **better when:** {i.direction}",
                  f"- **Target:** {'none published' if i.target is None else f'{i.target:g}'}; **RAG:** {thresholds}",
                  f"- **Rests on:** {i.basis}{' *(proposed by the sector)*' if i.proposed_by_sector else ''}",
                  f"- **Breakdowns:** {', '.join(b.replace('_', ' ') for b in i.breakdowns)}",
                  f"- **Records left out when lacking:** {i.needs}",
                  (f"- **Low base:** fewer than {SMALL_BASE} "
                   + {"denominator": "in its denominator", "records": "records with what it needs"}[i.base]) if i.base else
                  f"- **Low base:** none ({'a count' if i.declared_base is None else 'a share of a whole, not of a sample'})",
                  *([] if i.applies_to == every_type else
                    [f"- **Applies to:** {', '.join(plurals[t].lower() for t in i.applies_to)} only"]),
                  f"- **Calculation:** {CALCULATIONS[i.calculation]}; formula in `warehouse/indicators/{i.file}`"]
    return "\n".join(lines) + "\n"

"""The warehouse's SQL, by folder. The ETL (etl/build.py) writes the `raw`, `staging` (typed, validated rows) and
`quarantine` schemas from its own code, not from files here; then
- `marts/`: what people query, one table a file, run in the order of `MODELS` (each file one statement);
- `indicators/`: one file per indicator (its declaration and the SQL of its records), read by etl/indicators.py;
- `engine/`: the indicator engine's steps (facts, records, figures, values; issue figures under disclosure control);
- `releases/`: the comparison of a release with the one before (meta.revisions);
- `macros.sql`: period helpers; `tables.yaml`: the published tables described for analysts."""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).parent

SCHEMAS = ("reference", "raw", "staging", "quarantine", "marts", "meta")

# (schema.table, file, public) in run order; each file creates its table from the ones above it. A model that is not
# public holds restricted rows (the issue logs'): the build writes it to the restricted database only.
MODELS: tuple[tuple[str, str, bool], ...] = (
    ("marts.organisations", "marts/organisations.sql", True),
    ("marts.awards", "marts/awards.sql", True),
    ("marts.issues", "marts/issues.sql", False),
    ("marts.body_quarters", "marts/body_quarters.sql", True),
    ("marts.commitments", "marts/commitments.sql", True),
    ("marts.consultations", "marts/consultations.sql", True),
    ("marts.funding_endings", "marts/funding_endings.sql", True),
    ("marts.policies", "marts/policies.sql", True),
    ("marts.engagement", "marts/engagement.sql", True),
)


def sql(file: str) -> str:
    return (HERE / file).read_text(encoding="utf-8")


def table_docs() -> list[dict]:
    """The published tables and their columns, described for analysts (warehouse/tables.yaml): one row per
    column, with table, table_description, column and description, in the file's order."""
    import yaml

    docs = yaml.safe_load((HERE / "tables.yaml").read_text(encoding="utf-8"))
    rows = []
    for name, table in docs["tables"].items():
        for column, description in table["columns"].items():  # a column left blank means what `common` says
            rows.append({"table": name, "table_description": " ".join(table["description"].split()), "column": column,
                         "description": description or docs["common"][column]})
    return rows

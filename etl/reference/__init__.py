"""Reference data written in this project: principles, public bodies, localities, size bands, body types.

Each table is a CSV file beside this module, declared once in `TABLES` and loaded as a polars frame.
Lists inside a cell (aliases) are separated by `|`.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import polars as pl

HERE = Path(__file__).parent

SMALLER_ORGANISATION_MAX_INCOME = 500_000  # "annual income £500,000 and under" (inclusive)

NATION_CODES = {
    "E92000001": "England",
    "W92000004": "Wales",
    "S92000003": "Scotland",
    "N92000002": "Northern Ireland",
}

# table name -> (file, polars schema)
TABLES: dict[str, tuple[str, dict[str, pl.DataType]]] = {
    "principles": (
        "principles.csv",
        {"code": pl.Utf8, "name": pl.Utf8, "kind": pl.Utf8, "sort_order": pl.Int32, "ensures": pl.Utf8},
    ),
    "size_bands": (
        "size_bands.csv",
        {"code": pl.Utf8, "name": pl.Utf8, "min_income": pl.Int64, "max_income": pl.Int64, "sort_order": pl.Int32},
    ),
    "body_types": (
        "body_types.csv",
        {"code": pl.Utf8, "name": pl.Utf8, "plural": pl.Utf8, "scope": pl.Utf8, "sort_order": pl.Int32},
    ),
    "localities": (
        "localities.csv",
        {
            "gss_code": pl.Utf8,
            "name": pl.Utf8,
            "level": pl.Utf8,
            "district_type": pl.Utf8,
            "region_code": pl.Utf8,
            "nation_code": pl.Utf8,
            "combined_authority_code": pl.Utf8,  # the combined authority (E47) a district belongs to, if any
            "population": pl.Int64,
            "tile_col": pl.Int32,
            "tile_row": pl.Int32,
        },
    ),
    "locality_successors": (
        "locality_successors.csv",
        {"former_code": pl.Utf8, "current_code": pl.Utf8, "changed_on": pl.Date, "note": pl.Utf8},
    ),
    "public_bodies": (
        "public_bodies.csv",
        {
            "code": pl.Utf8,
            "name": pl.Utf8,
            "body_type": pl.Utf8,
            "parent_department": pl.Utf8,
            "org_id": pl.Utf8,
            "gss_code": pl.Utf8,
            "region_code": pl.Utf8,
            "nation_code": pl.Utf8,
            "aliases": pl.Utf8,
        },
    ),
}


@cache
def load(table: str) -> pl.DataFrame:
    """A reference table as a polars frame (cached; frames are immutable)."""
    file, schema = TABLES[table]
    return pl.read_csv(HERE / file, schema=schema, try_parse_dates=False)


def body_aliases() -> pl.DataFrame:
    """Every name a public body is known by (code, name, org-id, aliases) -> its code, lower-cased for matching."""
    bodies = load("public_bodies")
    names = pl.concat(
        [
            bodies.select(pl.col("code").alias("alias"), "code"),
            bodies.select(pl.col("name").alias("alias"), "code"),
            bodies.filter(pl.col("org_id").is_not_null()).select(pl.col("org_id").alias("alias"), "code"),
            bodies.select(pl.col("aliases").str.split("|").alias("alias"), "code").explode("alias"),
        ]
    )
    return (
        names.filter(pl.col("alias").is_not_null() & (pl.col("alias").str.strip_chars() != ""))
        .with_columns(pl.col("alias").str.strip_chars().str.to_lowercase().alias("alias_key"))
        .unique(["alias_key", "code"])
        .sort("alias_key", "code")
    )

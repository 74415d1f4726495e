"""The published warehouse is part of the product: every table and column analysts can query is documented."""

from __future__ import annotations

import warehouse
from tests.conftest import BuiltWarehouse, query


def test_every_published_table_and_column_is_documented_in_order(built_warehouse: BuiltWarehouse) -> None:
    published: dict[str, list[str]] = {}
    for schema, name, columns in query(built_warehouse.database, """
            select schema_name, table_name, list(column_name order by column_index) from duckdb_columns()
            where schema_name in ('marts', 'meta', 'quarantine') group by all order by all"""):
        published[f"{schema}.{name}"] = columns
    documented: dict[str, list[str]] = {}
    for row in warehouse.table_docs():
        documented.setdefault(row["table"], []).append(row["column"])
        assert row["description"] and row["table_description"], row
    assert documented == published


def test_the_published_schemas_are_the_documented_ones(built_warehouse: BuiltWarehouse) -> None:
    schemas = {s for (s,) in query(built_warehouse.database, "select distinct schema_name from duckdb_tables()")}
    assert schemas == {"reference", "raw", "staging", "quarantine", "marts", "meta"}

"""The breakdowns registry (warehouse/breakdowns.py): every entry complete, and the facts table, the breakdown names
and the query-time engine of a built warehouse following it."""

from __future__ import annotations

import re

import duckdb
import pytest

from etl import periods
from etl.indicators import figure_params, figures_sql
from tests.conftest import query
from warehouse import breakdowns
from warehouse.breakdowns import BREAKDOWNS, BY_KEY, KEYS, URL_KEYS

IDENTIFIER = re.compile(r"[a-z][a-z0-9_]*")


def ancestors(key: str) -> list[str]:
    """The breakdowns above `key`, nearest first (fails on a cycle)."""
    chain = []
    while (key := BY_KEY[key].parent) is not None:
        assert key not in chain, f"cycle in parents: {chain}"
        chain.append(key)
    return chain


def test_every_entry_is_complete():
    assert len({b.key for b in BREAKDOWNS}) == len(BREAKDOWNS)
    for b in BREAKDOWNS:
        assert IDENTIFIER.fullmatch(b.key) and b.key != "all", b
        assert b.label.strip() and b.record.strip() and b.names.strip(), b
        if b.url_key is not None:
            assert IDENTIFIER.fullmatch(b.url_key) and b.everything.strip(), b
        if b.parent is not None:
            assert b.parent in BY_KEY and b.parent != b.key, b
        ancestors(b.key)
    assert KEYS[0] == "all" and set(KEYS[1:]) == set(BY_KEY) and len(KEYS) == len(BY_KEY) + 1
    assert sorted(URL_KEYS) == sorted({b.url_key for b in BREAKDOWNS if b.url_key})
    assert len(URL_KEYS) == len(set(URL_KEYS))


def test_facts_have_one_column_per_breakdown(built_warehouse):
    columns = [c for (c,) in query(built_warehouse.database, """select column_name from information_schema.columns
        where table_schema = 'marts' and table_name = 'indicator_facts' order by ordinal_position""")]
    start = columns.index("period_index") + 1
    assert columns[start:start + len(BREAKDOWNS)] == [b.key for b in BREAKDOWNS]
    assert columns[start + len(BREAKDOWNS)] == "stock_of"


def test_breakdown_names_follow_the_registry(built_warehouse):
    db = built_warehouse.database
    names = {}
    for breakdown, code, name, parent in query(db, "select breakdown, code, name, parent from marts.breakdown_names"):
        assert name, (breakdown, code)
        assert code not in names.get(breakdown, {}), (breakdown, code)
        names.setdefault(breakdown, {})[code] = parent
    assert set(names) == set(BY_KEY)  # every reference table the registry names has rows in the demo build
    for b in BREAKDOWNS:
        parents = {p for p in names[b.key].values()}
        if b.parent is None:
            assert parents == {None}, b.key
            continue
        # a cell's parent is a cell of the declared parent breakdown or of one above it (a Welsh district: its nation)
        above = {code for key in ancestors(b.key) for code in names[key]}
        assert None not in parents and parents <= above, (b.key, parents - above)
        assert parents & set(names[b.parent]), b.key
    districts = query(db, "select gss_code, coalesce(region_code, nation_code) from reference.localities where level = 'district'")
    assert {code: parent for code, parent in districts} == names["district"]
    for b in BREAKDOWNS:  # every code in the facts is named
        unnamed = query(db, f"""select distinct {b.key} from marts.indicator_facts where {b.key} is not null and {b.key}
            not in (select code from marts.breakdown_names where breakdown = ?)""", [b.key])
        assert unnamed == [], b.key


def test_combined_authority_is_supported_by_way_of_district():
    assert breakdowns.supported(("all", "district")) == ("all", "district", "combined_authority")
    assert breakdowns.supported(["all", "region", "district"])[-1] == "combined_authority"
    assert breakdowns.supported(("all", "district", "combined_authority")).count("combined_authority") == 1
    assert breakdowns.supported(("all", "region", "nation")) == ("all", "region", "nation")
    assert "combined_authority" not in breakdowns.supported(("all", "public_body"))


@pytest.fixture(scope="module")
def con(built_warehouse):
    """One read-only connection to the built warehouse for the engine's many small queries."""
    connection = duckdb.connect(str(built_warehouse.database), read_only=True)
    yield connection
    connection.close()


def figures(con, indicator: str, year: str, breakdown: str, filters: dict | None = None) -> dict:
    rows = con.execute(figures_sql(), figure_params([indicator], [periods.window(year)], breakdown, filters)).fetchall()
    return {code: (numerator, denominator, records) for (_, _, _, _, _, _, code, numerator, denominator, _, records, _) in rows}


def test_combined_authority_split_equals_its_districts_filtered(built_warehouse, con):
    db = built_warehouse.database
    wanted = [i for (i,) in query(db, """select indicator_id from marts.indicators
        where not disclosure_controlled and list_contains(breakdowns, 'combined_authority') order by sort_order""")]
    assert "funding_per_head" in wanted
    authorities = query(db, """select combined_authority_code, list(gss_code order by gss_code) from reference.localities
        where level = 'district' and combined_authority_code is not null group by 1""")
    assert len(authorities) >= 5
    for indicator in wanted:
        ((year,),) = query(db, """select financial_year from marts.indicator_facts where indicator_id = ?
            group by 1 order by sum(records) desc limit 1""", [indicator])
        split = figures(con, indicator, year, "combined_authority")
        assert any(code is not None and records > 0 for code, (_, _, records) in split.items()), indicator
        for authority, districts in authorities:
            filtered = figures(con, indicator, year, "all", {"district": districts})
            assert set(filtered) <= {None}
            expected = split.get(authority)
            assert (filtered.get(None) is None) == (expected is None), (indicator, authority)
            if expected is not None:
                assert filtered[None] == pytest.approx(expected), (indicator, authority)


def test_unsupported_breakdown_gives_no_figures(built_warehouse, con):
    db = built_warehouse.database
    ((body,),) = query(db, "select min(code) from marts.breakdown_names where breakdown = 'public_body'")
    ((district,),) = query(db, """select district from marts.indicator_facts where indicator_id = 'funding_per_head'
        and district is not null group by 1 order by sum(numerator) desc limit 1""")
    assert figures(con, "funding_per_head", "2025-26", "all", {"district": [district]})  # supported: figures
    assert figures(con, "funding_per_head", "2025-26", "all", {"public_body": [body]}) == {}
    assert figures(con, "funding_per_head", "2025-26", "public_body") == {}
    assert figures(con, "funding_per_head", "2025-26", "all", {"public_body": [body], "district": [district]}) == {}


def test_generated_sql_names_keys_and_binds_codes():
    case = breakdowns.breakdown_case()
    assert re.findall(r"'([^']*)'", case) == [b.key for b in BREAKDOWNS]
    assert re.findall(r"\$(\w+)", case) == ["breakdown"]
    clauses = breakdowns.filter_clauses()
    assert "'" not in clauses
    assert set(re.findall(r"\$(\w+)", clauses)) == set(BY_KEY)
    assert len(clauses.splitlines()) == len(BREAKDOWNS)
    sql = figures_sql()
    assert set(re.findall(r"\$(\w+)", sql)) == set(figure_params())  # every parameter bound, none left over
    assert not re.search(r"[EWSNK]\d{8}", sql)  # no code written into the SQL

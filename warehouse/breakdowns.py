"""The breakdowns, declared once: every way a figure can be split or filtered (a public body, a type of body, a place,
a size of organisation, a principle, an issue category).

Each entry says what a breakdown is and where it comes from; the rest is derived from it:
- the columns of `marts.indicator_facts` (one per breakdown, named by its key, worked out from an indicator's record
  by `record`: warehouse/engine/facts.sql);
- the filters of the query-time engine and the breakdown it groups by (warehouse/engine/figures.sql);
- `marts.breakdown_names`: the code, name, parent and order of every cell (from `names`), which the dashboard's
  filters, tables and charts name cells by;
- the dashboard's filters (those with a `url_key`: the URL parameter that keeps the choice);
- which breakdowns an indicator supports beyond those it declares (`from_district`: any indicator by district is also
  by the places districts lie in).

Adding a breakdown is adding an entry here (and a column to the reference data its names come from);
tests/test_breakdowns.py checks that every entry is complete and that the engine, facts and names follow it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Breakdown:
    key: str  # its name everywhere: the facts column, the engine's parameter, marts.indicator_values.breakdown
    label: str  # what it is, in words: 'Region (England)'
    record: str  # SQL over an indicator's records (`records`, with `places`: the record's district) giving its code
    names: str  # SQL giving every cell: code, name, parent (the parent breakdown's code), sort_order
    url_key: str | None = None  # the URL parameter of its filter; None: not a filter (entries may share one filter)
    everything: str = ""  # what its filter calls no choice
    parent: str | None = None  # the breakdown whose cells hold this one's cells
    from_district: bool = False  # worked out from the district of a record
    covers_parent: bool = True  # every record in a cell of its parent has a code of it (False: a Welsh record has no region)
    plural: str = ""  # its cells in running text: 'types of public body'
    filters_records: bool = True  # its filter keeps the records in the cells chosen (False: it chooses indicators)

    @property
    def words(self) -> str:
        """Its label in running text: 'type of public body'."""
        return self.label[0].lower() + self.label[1:] if not self.label[:2].isupper() else self.label


BREAKDOWNS: tuple[Breakdown, ...] = (
    Breakdown(
        "public_body", "Public body", "records.body_code",
        "select code, name, body_type as parent, row_number() over (order by name) as sort_order from reference.public_bodies",
        url_key="body", everything="All public bodies", parent="body_type", plural="public bodies"),
    Breakdown(
        "body_type", "Type of public body", "records.body_type",
        "select code, name, null as parent, sort_order from reference.body_types",
        url_key="body_type", everything="All types of public body", plural="types of public body"),
    Breakdown(
        "district", "District", "records.district_code",
        "select gss_code as code, name, coalesce(region_code, nation_code) as parent, row_number() over (order by name) "
        "as sort_order from reference.localities where level = 'district'",
        url_key="district", everything="All districts", parent="region", covers_parent=False, plural="districts"),
    Breakdown(
        "combined_authority", "Combined authority", "places.combined_authority_code",
        "select gss_code as code, name, region_code as parent, row_number() over (order by name) as sort_order "
        "from reference.localities where level = 'combined_authority'",
        url_key="combined_authority", everything="All combined authorities", parent="region", from_district=True,
        covers_parent=False, plural="combined authorities"),
    Breakdown(
        "region", "Region (England)", "records.region_code",
        "select gss_code as code, name, nation_code as parent, row_number() over (order by name) as sort_order "
        "from reference.localities where level = 'region'",
        url_key="region", everything="All regions", parent="nation", covers_parent=False, plural="regions"),
    Breakdown(
        "nation", "Nation", "records.nation_code",
        "select gss_code as code, name, null as parent, row_number() over (order by gss_code) as sort_order "
        "from reference.localities where level = 'nation'",
        url_key="nation", everything="All nations", plural="nations"),
    Breakdown(
        "size_band", "Organisation size", "records.size_band",
        "select code, name, null as parent, sort_order from reference.size_bands",
        url_key="size", everything="All sizes", plural="sizes of organisation"),
    Breakdown(
        "smaller_organisation", "Smaller or larger organisation",
        "case when records.smaller_organisation then 'smaller' when not records.smaller_organisation then 'larger' end",
        "select 'smaller' as code, 'Smaller organisations (income £500,000 and under)' as name, null as parent, "
        "100 as sort_order union all select 'larger', 'Larger organisations (income over £500,000)', null, 101",
        url_key="size", everything="All sizes", plural="groups of organisation by size"),
    Breakdown(
        "principle", "Principle", "records.principle",
        "select code, name, null as parent, sort_order from reference.principles",
        url_key="principle", everything="All principles", filters_records=False, plural="principles"),
    Breakdown(
        "category", "Issue category", "records.category",
        "select code, name, null as parent, sort_order from reference.issue_categories", plural="issue categories"),
)
BY_KEY = {b.key: b for b in BREAKDOWNS}
KEYS = ("all", *BY_KEY)  # "all": the total of every record
FILTERED = tuple(b for b in BREAKDOWNS if b.url_key)
URL_KEYS = tuple(dict.fromkeys(b.url_key for b in FILTERED))  # one filter per URL key, in declaration order


def label(key: str) -> str:
    return "All" if key == "all" else BY_KEY[key].label


def within(key: str, outer: str) -> bool:
    """`key` is `outer` or lies inside it (its parent, or its parent's parent, ... is `outer`)."""
    while key is not None:
        if key == outer:
            return True
        key = BY_KEY[key].parent
    return False


def supported(declared: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """The breakdowns an indicator supports: those it declares and those worked out from one it declares."""
    derived = [b.key for b in BREAKDOWNS if b.from_district and "district" in declared and b.key not in declared]
    return tuple(declared) + tuple(derived)


def facts_columns() -> str:
    """The facts table's breakdown columns, as SQL over `records` and `places` (warehouse/engine/facts.sql)."""
    return ",\n    ".join(f"{b.record} as {b.key}" for b in BREAKDOWNS)


def breakdown_case() -> str:
    """The code of a facts row in the breakdown `$breakdown` (null for 'all')."""
    return "case $breakdown " + " ".join(f"when '{b.key}' then {b.key}" for b in BREAKDOWNS) + " end"


def filter_clauses() -> str:
    """One condition per breakdown: the facts row's code is among the codes chosen (an empty list: no filter)."""
    return "\n      ".join(f"and (len(${b.key}) = 0 or list_contains(${b.key}, {b.key}))" for b in BREAKDOWNS)


def names_sql() -> str:
    """Every cell of every breakdown: breakdown, code, name, parent, sort_order (marts.breakdown_names)."""
    return "\nunion all by name\n".join(f"select '{b.key}' as breakdown, * from ({b.names})" for b in BREAKDOWNS)

"""The Covenant indicator framework, declared once: one `.sql` file per indicator in this folder.

Each file opens with its declaration, a YAML block in `-- ` comments (what it measures, in words a committee clerk
can read, and how it is judged), followed by its formula: one SELECT over the marts that returns one row per record
the indicator counts, in the columns of `RECORD_COLUMNS`. The build aggregates those rows the same way for every
indicator, period and breakdown (`warehouse/engine/`), so every page, extract and report shows the same figures.

Adding an indicator means adding one file here and its hand-computed test; `tests/test_indicators.py` fails when a
declaration lacks a field or its SQL does not run.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

HERE = Path(__file__).parent

PRINCIPLES = ("recognition", "partnership", "participation", "transparency", "accountability")

# breakdown -> (the record column it groups by, what it is in words); "all" is the total of every record
BREAKDOWNS: dict[str, tuple[str | None, str]] = {
    "all": (None, "All"),
    "public_body": ("body_code", "Public body"),
    "body_type": ("body_type", "Type of public body"),
    "nation": ("nation_code", "Nation"),
    "region": ("region_code", "Region"),
    "district": ("district_code", "District"),
    "size_band": ("size_band", "Organisation size"),
    "smaller_organisation": ("smaller_organisation", "Smaller organisation (income £500,000 and under)"),
    "principle": ("principle", "Principle"),
    "category": ("category", "Issue category"),
}

# calculation -> how a cell's value comes from its records, in words
CALCULATIONS: dict[str, str] = {
    "share": "100 × the sum of the numerator ÷ the sum of the denominator",
    "per_100": "100 × the sum of the numerator ÷ the number of different subjects in the denominator",
    "per_head": "the sum of the numerator ÷ the sum of the denominator (a population)",
    "count": "the sum of the numerator (the denominator, where given, is what it is counted out of)",
    "distinct_count": "the number of different subjects counted in the numerator",
    "distinct_share": "100 × the number of different subjects in the numerator ÷ the number in the denominator",
    "distinct_absent": "the number of different subjects in the denominator never counted in the numerator",
    "median": "the median of the measure over the records that have one",
}
DIRECTIONS = ("higher", "lower", "none")  # which way is better
# A figure resting on fewer than SMALL_BASE things (its base: see base_of) rests on a low base: one record more or
# less moves it a long way, so it is labelled wherever it is shown, given no RAG status, and a change to or from it
# is never headlined. Declared here once; the build (marts.indicator_values.low_base) and the dashboard
# (dashboard/figures.py) both read it.
SMALL_BASE = 10


def base_of(calculation: str, unit: str, declared: str | None = None) -> str | None:
    """What a figure's base counts (as `declared`, where an indicator declares it): 'denominator' where the denominator counts things (awards, projects, meetings,
    organisations, issues, measures of a median), 'records' where it is money or people (a share of funding, £ per
    head: the records it rests on, those lacking its field left out), None for a count, which has no base."""
    if declared:
        return None if declared == "none" else declared
    if calculation in ("count", "distinct_count", "distinct_absent"):
        return None
    return "records" if calculation == "per_head" or unit == "percent of value" else "denominator"

# the counts of issues an issue indicator may publish, each under disclosure control (etl/disclosure.py): issues
# raised (and not withdrawn), resolved, still open, not resolved within 90 days, raised about reprisal
ISSUE_FIGURES = ("raised", "resolved", "open", "late", "reprisal")

# the columns an indicator's SELECT may return (any it leaves out are null); see warehouse/engine/records.sql
RECORD_COLUMNS = (
    "financial_year", "quarter", "body_code", "body_type", "nation_code", "region_code", "district_code",
    "size_band", "smaller_organisation", "principle", "category", "numerator", "denominator", "lacking", "measure",
    "subject", "stock_of", "issue_ref",
)
REQUIRED = ("id", "principle", "name", "definition", "sources", "needs", "calculation", "unit", "direction", "basis",
            "proposed_by_sector", "breakdowns")
OPTIONAL = ("target", "rag", "issue_figures", "headline", "applies_to", "base", "pages")
BASES = ("denominator", "records", "none")  # what a figure's base counts (see base_of); 'none': it has no base
# page (dashboard/app_pages/<page>.py) -> the roles an indicator may have on it, declared on the indicator as
# `pages: {<page>: {<role>: <place>}}` (the place orders the indicators of one role, from 1), so that a page names no
# indicator: a headline metric, a trend, a chart `by_<breakdown>`, the open backlog, the map a page opens on, the
# indicator whose body types (applies_to) are those with a ministerial or elected-member lead
PAGE_ROLES: dict[str, tuple[str, ...]] = {
    "issues": ("headline", "trend", "by_category", "by_principle", "by_body_type", "backlog"),
    "organisation_size": ("by_size_band", "headline", "by_smaller_organisation"),
    "localities": ("map",),
    "public_bodies": ("leads",),
}


class DeclarationError(ValueError):
    """An indicator file whose declaration is incomplete or inconsistent; the message names the file and field."""


@dataclass(frozen=True)
class Indicator:
    id: str
    principle: str
    name: str
    definition: str
    sources: tuple[str, ...]
    needs: str
    calculation: str
    unit: str
    direction: str
    basis: str
    proposed_by_sector: bool
    breakdowns: tuple[str, ...]
    formula: str
    file: str
    target: float | None = None
    rag_green: float | None = None
    rag_amber: float | None = None
    # an issue indicator's numerator and denominator, as the issue figures they are ((("numerator", "resolved"),
    # ("denominator", "raised"))): disclosure control decides which are published; a part not named is not issue-derived
    issue_figures: tuple[tuple[str, str], ...] = ()
    headline: bool = False  # shown on the overview as one of its principle's headline figures
    # the types of public body it applies to (codes of etl/reference/body_types.csv); elsewhere it is "not applicable":
    # a body of another type has no figure, and its records are not counted. Every type when none is declared.
    applies_to: tuple[str, ...] = ()

    declared_base: str | None = None  # what its base counts, where the calculation and unit do not say (base_of)
    pages: tuple[tuple[str, str, int], ...] = ()  # (page, role, place) for each page that draws it on purpose (PAGE_ROLES)

    @property
    def base(self) -> str | None:
        return base_of(self.calculation, self.unit, self.declared_base)

    @property
    def disclosure_controlled(self) -> bool:
        return "issues" in self.sources


def parse(path: Path) -> Indicator:
    """Read one indicator file: its leading `-- ` comment block is the declaration, the rest its formula."""
    lines = path.read_text(encoding="utf-8").splitlines()
    header = []
    for line in lines:
        if not line.startswith("--"):
            break
        header.append(line[3:] if line.startswith("-- ") else line[2:])
    formula = "\n".join(lines[len(header):]).strip()
    try:
        declared = yaml.safe_load("\n".join(header)) or {}
    except yaml.YAMLError as error:
        raise DeclarationError(f"{path.name}: the declaration is not valid YAML ({error})") from error
    return _checked(path.name, declared, formula)


def _checked(file: str, declared: dict, formula: str) -> Indicator:
    def fail(field: str, expected: str) -> DeclarationError:
        return DeclarationError(f"{file}: field '{field}' {expected}")

    for name in REQUIRED:
        if declared.get(name) in (None, "", []):
            raise fail(name, "is missing; every indicator declares " + ", ".join(REQUIRED))
    unknown = set(declared) - set(REQUIRED) - set(OPTIONAL)
    if unknown:
        raise fail(min(unknown), "is not a declaration field; expected one of " + ", ".join(REQUIRED + OPTIONAL))
    if file != f"{declared['id']}.sql":
        raise fail("id", f"is '{declared['id']}' but the file is named {file}; expected {declared['id']}.sql")
    choices = {"principle": PRINCIPLES, "calculation": tuple(CALCULATIONS), "direction": DIRECTIONS}
    for name, allowed in choices.items():
        if declared[name] not in allowed:
            raise fail(name, f"is '{declared[name]}'; expected one of {', '.join(allowed)}")
    from etl.sources import SOURCES  # the inbox folders, declared by the ETL's sources

    for name, allowed in (("sources", tuple(s.folder for s in SOURCES)), ("breakdowns", tuple(BREAKDOWNS))):
        values = declared.get(name) or []
        if not isinstance(values, list) or any(v not in allowed for v in values):
            raise fail(name, f"is {values!r}; expected a list drawn from {', '.join(allowed)}")
    if "all" not in declared["breakdowns"]:
        raise fail("breakdowns", "must include 'all'")
    if not isinstance(declared["proposed_by_sector"], bool):
        raise fail("proposed_by_sector", "must be true or false")
    figures = declared.get("issue_figures")
    if ("issues" in declared["sources"]) != bool(figures):
        raise fail("issue_figures", "must name the issue figures of the numerator and denominator exactly when a source is issues")
    if figures and (not isinstance(figures, dict) or not set(figures) <= {"numerator", "denominator"}
                    or not set(figures.values()) <= set(ISSUE_FIGURES)):
        raise fail("issue_figures", f"is {figures!r}; expected {{numerator: <figure>, denominator: <figure>}} with figures "
                                    f"from {', '.join(ISSUE_FIGURES)}")
    rag = declared.get("rag") or {}
    if rag and (set(rag) != {"green", "amber"} or declared["direction"] == "none"):
        raise fail("rag", "must give both green and amber thresholds, for an indicator with a direction")
    if rag and (rag["green"] < rag["amber"] if declared["direction"] == "higher" else rag["green"] > rag["amber"]):
        raise fail("rag", f"thresholds are the wrong way round for direction '{declared['direction']}'")
    if declared.get("base") is not None and declared["base"] not in BASES:
        raise fail("base", f"is '{declared['base']}'; expected one of {', '.join(BASES)}")
    types = body_type_scopes()
    applies = declared.get("applies_to") or []
    if not isinstance(applies, list) or any(t not in types and t not in types.values() for t in applies):
        raise fail("applies_to", f"is {applies!r}; expected a list of body types ({', '.join(types)}) or scopes "
                                 f"({', '.join(sorted(set(types.values())))})")
    if not isinstance(declared.get("headline", False), bool):
        raise fail("headline", "must be true or false")
    pages = declared.get("pages") or {}
    well_formed = isinstance(pages, dict) and all(isinstance(placed, dict) for placed in pages.values())
    roles = [(page, role, place) for page, placed in pages.items() for role, place in placed.items()] if well_formed else []
    if not well_formed or any(role not in PAGE_ROLES.get(page, ()) or type(place) is not int or place < 1
                              for page, role, place in roles):
        raise fail("pages", f"is {pages!r}; expected {{<page>: {{<role>: <place from 1>}}}} with the pages and roles of "
                            + "; ".join(f"{page}: {', '.join(r)}" for page, r in PAGE_ROLES.items()))
    if not formula.lower().lstrip("(").startswith(("select", "with", "from")):
        raise fail("formula", "is missing: after the declaration comes one SELECT over the marts")
    return Indicator(
        id=declared["id"], principle=declared["principle"], name=declared["name"].strip(),
        definition=" ".join(declared["definition"].split()), sources=tuple(declared["sources"]),
        needs=declared["needs"], calculation=declared["calculation"], unit=declared["unit"],
        direction=declared["direction"], basis=" ".join(declared["basis"].split()),
        proposed_by_sector=declared["proposed_by_sector"], breakdowns=tuple(declared["breakdowns"]), formula=formula,
        file=file, target=declared.get("target"), rag_green=rag.get("green"), rag_amber=rag.get("amber"),
        issue_figures=tuple(sorted(figures.items())) if figures else (), headline=declared.get("headline", False),
        applies_to=tuple(t for t in types if t in applies or types[t] in applies) if applies else tuple(types),
        declared_base=declared.get("base"), pages=tuple(roles),
    )


@cache
def body_type_scopes() -> dict[str, str]:
    """Every type of public body -> its scope (central or local), in the reference data's order."""
    from etl import reference

    body_types = reference.load("body_types").sort("sort_order")
    return dict(zip(body_types["code"], body_types["scope"], strict=True))


def shown_on(page: str, role: str) -> tuple[str, ...]:
    """The ids of the indicators declared in `role` on `page` (their `pages`), in the places declared."""
    if role not in PAGE_ROLES.get(page, ()):
        raise KeyError(f"no role '{role}' on page '{page}' in PAGE_ROLES")
    placed = [(place, i.id) for i in indicators() for p, r, place in i.pages if (p, r) == (page, role)]
    return tuple(i for _, i in sorted(placed))


@cache
def indicators() -> tuple[Indicator, ...]:
    """Every declared indicator, in principle order then by file name."""
    found = [parse(path) for path in sorted(HERE.glob("*.sql"))]
    return tuple(sorted(found, key=lambda i: (PRINCIPLES.index(i.principle), i.id)))

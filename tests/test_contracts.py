"""Data contracts: every contract is complete, and what is generated from them (expectation suites, the data
dictionary) matches the golden files in tests/golden/ byte for byte."""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
from pathlib import Path

import polars as pl
import pytest
import yaml

from data_contracts import CONTRACT_IDS, Field, load_contract
from data_contracts.model import HERE as CONTRACTS_DIR
from data_contracts.model import LOGICAL_TYPES
from data_contracts.to_dictionary import COLUMNS, CONFIDENTIAL_NOTE, dictionary, to_markdown
from data_contracts.to_expectations import RULES, all_suites, field_expectations, suite, to_gx, to_json

GOLDEN = Path(__file__).resolve().parent / "golden"
REGENERATE = "run `.venv/bin/python tests/golden/regenerate.py` and review the diff"


def _regenerate_module():
    spec = importlib.util.spec_from_file_location("regenerate", GOLDEN / "regenerate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


regenerate = _regenerate_module()
GENERATED = regenerate.generated()

ALL_FIELDS = [(c, d.name, f) for c in CONTRACT_IDS for d in load_contract(c).datasets for f in d.fields]
CONFIDENTIAL = {"reporter_id", "summary"}


def expectations_of(contract: str, dataset: str, field: str) -> dict[str, dict]:
    """rule -> expectation, for one field's expectations in its suite."""
    return {e["meta"]["rule"]: e for e in suite(contract, dataset)["expectations"] if e["kwargs"]["column"] == field}


# --- the registry -------------------------------------------------------------------------------------------------

KNOWN_PROPERTY_KEYS = {"name", "title", "logicalType", "required", "unique", "description", "jsonPath",
                       "logicalTypeOptions", "classification", "examples"}
KNOWN_OPTIONS = {"enum", "minimum", "maximum", "pattern"}


@pytest.mark.parametrize("contract_id", CONTRACT_IDS)
def test_every_contract_loads_and_is_complete(contract_id):
    contract = load_contract(contract_id)
    assert contract.id == contract_id
    assert contract.name and contract.purpose and contract.source and contract.licence
    assert contract.datasets, f"{contract_id}: no datasets"
    for dataset in contract.datasets:
        names = [f.name for f in dataset.fields]
        assert len(names) == len(set(names)), f"{contract_id}.{dataset.name}: a field name is repeated"
        assert dataset.required, f"{contract_id}.{dataset.name}: no required field"
        for f in dataset.fields:
            assert f.description.strip() or f.title.strip(), f"{contract_id}.{dataset.name}.{f.name}: no description or title"
            assert f.logical_type in LOGICAL_TYPES
            assert f.classification in ("public", "confidential")
            if f.minimum is not None and f.maximum is not None:
                assert f.minimum <= f.maximum, f"{contract_id}.{dataset.name}.{f.name}: minimum above maximum"


@pytest.mark.parametrize(("contract_id", "dataset", "field"), [(c, d, f.name) for c, d, f in ALL_FIELDS])
def test_every_field_has_a_description(contract_id, dataset, field):
    # the data dictionary and the template's input messages show it
    assert load_contract(contract_id).dataset(dataset).field(field).description.strip()


@pytest.mark.parametrize("contract_id", CONTRACT_IDS)
def test_no_property_has_a_stray_key(contract_id):
    # an unquoted comma in a YAML flow mapping ({description: Of those, how many ...}) silently cuts the value
    # short and turns the rest into a key with no value; the loader would not notice
    raw = yaml.safe_load((CONTRACTS_DIR / f"{contract_id}.yaml").read_text(encoding="utf-8"))
    for dataset in raw["schema"]:
        for prop in dataset["properties"]:
            where = f"{contract_id}.{dataset['name']}.{prop['name']}"
            assert set(prop) <= KNOWN_PROPERTY_KEYS, f"{where}: unknown keys {set(prop) - KNOWN_PROPERTY_KEYS} (quote a value with a comma)"
            assert None not in prop.values(), f"{where}: a key with no value"
            assert set(prop.get("logicalTypeOptions") or {}) <= KNOWN_OPTIONS, f"{where}: unknown logicalTypeOptions"


# --- golden files -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", sorted(GENERATED), ids=lambda p: p.name)
def test_generated_file_matches_golden(path):
    assert path.exists(), f"{path} is missing: {REGENERATE}"
    assert path.read_bytes() == GENERATED[path].encode("utf-8"), f"{path.name} differs from what the contracts give: {REGENERATE}"


def test_no_stale_golden_suites():
    stale = set((GOLDEN / "expectations").glob("*.json")) - set(GENERATED)
    assert not stale, f"golden suites no contract gives: {sorted(p.name for p in stale)}: {REGENERATE}"


# --- expectation suites -------------------------------------------------------------------------------------------


def test_a_suite_per_dataset_named_contract_dot_dataset():
    assert list(all_suites()) == [f"{c}.{d.name}" for c in CONTRACT_IDS for d in load_contract(c).datasets]


@pytest.mark.parametrize(("contract_id", "dataset", "field"), [(c, d, f.name) for c, d, f in ALL_FIELDS if f.required])
def test_a_required_field_gives_a_not_null_expectation(contract_id, dataset, field):
    expectation = expectations_of(contract_id, dataset, field)["required"]
    assert expectation["type"] == "expect_column_values_to_not_be_null"
    assert expectation["kwargs"] == {"column": field}


@pytest.mark.parametrize(("contract_id", "dataset", "field"), [
    ("funding", "grants", "title"),
    ("returns", "return_summary", "action_plan_url"),
    ("issue_events", "issue_events", "principle"),
])
def test_an_optional_field_gives_no_not_null_expectation(contract_id, dataset, field):
    assert set(expectations_of(contract_id, dataset, field)) <= {"exists", "enum", "pattern", "range"}


@pytest.mark.parametrize(("contract_id", "dataset", "field", "values"), [
    ("returns", "return_summary", "quarter", [1, 2, 3, 4]),
    ("returns", "return_commitments", "status", ["not started", "on track", "at risk", "met", "missed"]),
    ("issue_events", "issue_events", "category", ["consultation", "funding practice", "late payment",
                                                  "advocacy restriction", "exclusion from design",
                                                  "information withheld", "reprisal or self-censorship", "other"]),
    ("organisations", "organisations", "organisation_type", ["charity", "charitable_company", "cio",
                                                             "community_interest_company", "cooperative",
                                                             "community_group", "social_enterprise"]),
])
def test_an_enum_gives_in_set_with_exactly_those_values(contract_id, dataset, field, values):
    expectation = expectations_of(contract_id, dataset, field)["enum"]
    assert expectation["type"] == "expect_column_values_to_be_in_set"
    assert expectation["kwargs"] == {"column": field, "value_set": values}


@pytest.mark.parametrize(("contract_id", "dataset", "field", "kwargs"), [
    ("returns", "return_summary", "rejected_applicants", {"min_value": 0}),
    ("funding", "grants", "amount_disbursed", {"min_value": 0}),
    ("funding", "grants", "award_date", {"min_value": "2000-01-01"}),
    ("funding", "grants", "amount_awarded", {"min_value": 0, "max_value": 1000000000}),
    ("returns", "return_summary", "meetings_held", {"min_value": 0, "max_value": 1000}),
])
def test_bounds_give_between_leaving_out_a_missing_bound(contract_id, dataset, field, kwargs):
    expectation = expectations_of(contract_id, dataset, field)["range"]
    assert expectation["type"] == "expect_column_values_to_be_between"
    assert expectation["kwargs"] == {"column": field, **kwargs}


@pytest.mark.parametrize(("contract_id", "dataset", "field", "regex"), [
    ("funding", "grants", "currency", r"^[A-Z]{3}$"),
    ("returns", "return_summary", "financial_year", r"^20\d\d-\d\d$"),
    ("issue_events", "issue_events", "reporter_district", r"^[EWSN]\d{8}$"),
])
def test_a_pattern_gives_match_regex(contract_id, dataset, field, regex):
    expectation = expectations_of(contract_id, dataset, field)["pattern"]
    assert expectation == {"type": "expect_column_values_to_match_regex", "kwargs": {"column": field, "regex": regex},
                           "meta": expectation["meta"]}


@pytest.mark.parametrize(("field", "rules"), [
    (Field("a", "A", "string"), ["exists"]),
    (Field("a", "A", "string", required=True, unique=True), ["exists", "required", "unique"]),
    (Field("a", "A", "integer", required=True, enum=(1, 2), minimum=1, maximum=2), ["exists", "required", "enum", "range"]),
    (Field("a", "A", "string", pattern="^x$", unique=True), ["exists", "unique", "pattern"]),
])
def test_a_fields_expectations_come_in_rule_order(field, rules):
    assert [e["meta"]["rule"] for e in field_expectations(field)] == rules
    assert [e["type"] for e in field_expectations(field)] == [RULES[r] for r in rules]


def test_date_bounds_are_iso_strings():
    field = Field("d", "D", "date", minimum=dt.date(2020, 4, 1), maximum=dt.date(2030, 3, 31))
    assert field_expectations(field)[-1]["kwargs"] == {"column": "d", "min_value": "2020-04-01", "max_value": "2030-03-31"}


@pytest.mark.parametrize("name", list(all_suites()))
def test_suite_follows_field_order_and_describes_each_expectation(name):
    contract_id, dataset = name.split(".")
    expectations = all_suites()[name]["expectations"]
    fields = [f.name for f in load_contract(contract_id).dataset(dataset).fields if not f.confidential]
    assert [e["kwargs"]["column"] for e in expectations if e["meta"]["rule"] == "exists"] == fields
    seen = [e["kwargs"]["column"] for e in expectations]
    assert seen == sorted(seen, key=fields.index), "a field's expectations are not together in field order"
    for e in expectations:
        assert set(e["meta"]) == {"field", "title", "rule"} and e["meta"]["field"] == e["kwargs"]["column"]
    assert json.loads(to_json(all_suites()[name])) == all_suites()[name]


def test_no_confidential_field_appears_in_any_suite():
    text = json.dumps(all_suites())
    for suite_dict in all_suites().values():
        for e in suite_dict["expectations"]:
            assert e["kwargs"]["column"] not in CONFIDENTIAL and e["meta"]["field"] not in CONFIDENTIAL
    assert "reporter_id" not in text
    assert {f.name for _, _, f in ALL_FIELDS if f.confidential} == CONFIDENTIAL


def test_every_suite_builds_a_great_expectations_suite():
    from great_expectations.expectations.registry import get_expectation_impl

    assert __import__("great_expectations").__version__.startswith("1.24.")
    for name, suite_dict in all_suites().items():
        built = to_gx(suite_dict)
        assert built.name == name
        assert len(built.expectations) == len(suite_dict["expectations"])
        for expectation, wanted in zip(built.expectations, suite_dict["expectations"], strict=True):
            assert get_expectation_impl(wanted["type"]) is type(expectation)
            assert expectation.column == wanted["kwargs"]["column"]
            assert expectation.meta == wanted["meta"]


# --- the data dictionary ------------------------------------------------------------------------------------------


def test_dictionary_columns_are_text():
    frame = dictionary()
    assert frame.columns == list(COLUMNS)
    assert set(frame.schema.values()) == {pl.Utf8}


def test_every_field_of_every_contract_is_in_the_dictionary():
    frame = dictionary()
    expected = [(load_contract(c).name, d, f.name) for c, d, f in ALL_FIELDS]
    assert list(frame.select("source", "dataset", "field").iter_rows()) == expected


@pytest.mark.parametrize(("dataset", "field", "column", "value"), [
    ("return_summary", "body_code", "required", "Yes"),
    ("return_summary", "action_plan_url", "required", "No"),
    ("grants", "grant_id", "unique", "Yes"),
    ("return_commitments", "status", "allowed_values", "not started, on track, at risk, met, missed"),
    ("return_summary", "quarter", "allowed_values", "1, 2, 3, 4"),
    ("grants", "award_date", "minimum", "2000-01-01"),
    ("grants", "amount_awarded", "maximum", "1000000000"),
    ("grants", "amount_disbursed", "maximum", None),
    ("grants", "currency", "pattern", "^[A-Z]{3}$"),
    ("return_summary", "quarter", "sheet_or_file", "Summary"),
    ("return_funding_endings", "ending_ref", "sheet_or_file", "Funding endings"),
    ("grants", "recipient_name", "title", "Recipient Org:Name"),
    ("issue_events", "occurred_at", "type", "timestamp"),
])
def test_dictionary_values(dataset, field, column, value):
    row = dictionary().filter((pl.col("dataset") == dataset) & (pl.col("field") == field))
    assert row.height == 1
    assert row[column][0] == value


@pytest.mark.parametrize("field", sorted(CONFIDENTIAL))
def test_confidential_fields_are_listed_as_dropped(field):
    row = dictionary().filter(pl.col("field") == field).row(0, named=True)
    assert row["classification"] == "confidential"
    assert row["description"].endswith(CONFIDENTIAL_NOTE)
    assert "dropped" in CONFIDENTIAL_NOTE and "never published" in CONFIDENTIAL_NOTE


def test_markdown_has_a_table_per_dataset():
    page = to_markdown(dictionary())
    datasets = [(c, d.name) for c in CONTRACT_IDS for d in load_contract(c).datasets]
    assert page.count("\n### ") == len(datasets)
    assert page.count("\n| Field | Title |") == len(datasets)
    assert page.count("\n## ") == len(CONTRACT_IDS)
    rows = [line for line in page.splitlines() if line.startswith("| `")]
    assert len(rows) == len(ALL_FIELDS)


def test_markdown_escapes_pipes_and_line_breaks():
    row = dict.fromkeys(COLUMNS) | {"source": "S", "dataset": "d", "sheet_or_file": "d", "field": "f", "title": "A|B",
                                    "type": "string", "required": "No", "unique": "No", "pattern": "^(a|b)$",
                                    "description": "two\nlines", "classification": "public"}
    page = to_markdown(pl.DataFrame([row], schema={c: pl.Utf8 for c in COLUMNS}))
    assert "| `f` | A\\|B | string | No | No | matches `^(a\\|b)$` | two lines |" in page

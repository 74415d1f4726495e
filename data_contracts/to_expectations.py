"""A data contract -> Great Expectations 1.x expectation suites, as plain JSON-serialisable dicts.

One suite per dataset, named `<contract>.<dataset>`, for the staging table the ETL loads the dataset into (its
columns are the field names). Confidential fields are dropped before loading, so they get no expectations.

Each field gives, in this order: the column exists; `required` -> not null (datacontract-cli's converter forgets
this one); `unique` -> unique; `enum` -> in the set of values exactly as the contract gives them; `pattern` ->
matches the regex; `minimum`/`maximum` -> between (a missing bound is left out; dates as ISO strings).

`to_gx` turns a suite dict into a real `great_expectations` suite; it imports GX (about 4 s) only when called.
"""

from __future__ import annotations

import datetime as dt
import json

from data_contracts.model import CONTRACT_IDS, Field, load_contract

# meta["rule"] of each expectation type, in the order a field's expectations are listed
RULES = {
    "exists": "expect_column_to_exist",
    "required": "expect_column_values_to_not_be_null",
    "unique": "expect_column_values_to_be_unique",
    "enum": "expect_column_values_to_be_in_set",
    "pattern": "expect_column_values_to_match_regex",
    "range": "expect_column_values_to_be_between",
}


def _plain(value):
    """A bound as JSON can hold it: dates and timestamps as ISO strings, everything else as given."""
    return value.isoformat() if isinstance(value, (dt.date, dt.datetime)) else value


def _expectation(field: Field, rule: str, **kwargs) -> dict:
    return {
        "type": RULES[rule],
        "kwargs": {"column": field.name, **kwargs},
        "meta": {"field": field.name, "title": field.title, "rule": rule},
    }


def field_expectations(field: Field) -> list[dict]:
    """The expectations one (non-confidential) field gives, in rule order."""
    out = [_expectation(field, "exists")]
    if field.required:
        out.append(_expectation(field, "required"))
    if field.unique:
        out.append(_expectation(field, "unique"))
    if field.enum is not None:
        out.append(_expectation(field, "enum", value_set=[_plain(v) for v in field.enum]))
    if field.pattern is not None:
        out.append(_expectation(field, "pattern", regex=field.pattern))
    bounds = {k: _plain(v) for k, v in (("min_value", field.minimum), ("max_value", field.maximum)) if v is not None}
    if bounds:
        out.append(_expectation(field, "range", **bounds))
    return out


def suite(contract_id: str, dataset_name: str) -> dict:
    """The suite for one dataset of one contract: {"name", "meta", "expectations"}."""
    contract = load_contract(contract_id)
    dataset = contract.dataset(dataset_name)
    return {
        "name": f"{contract.id}.{dataset.name}",
        "meta": {"contract": contract.id, "contract_version": contract.version, "dataset": dataset.name},
        "expectations": [e for f in dataset.fields if not f.confidential for e in field_expectations(f)],
    }


def all_suites(contract_ids: tuple[str, ...] = CONTRACT_IDS) -> dict[str, dict]:
    """Every dataset of every contract: suite name -> suite, in contract then dataset order."""
    suites = (suite(c, d.name) for c in contract_ids for d in load_contract(c).datasets)
    return {s["name"]: s for s in suites}


def to_json(suite_dict: dict) -> str:
    """The suite as the text of its golden file (stable: keys in the order built, two-space indent)."""
    return json.dumps(suite_dict, indent=2, ensure_ascii=False) + "\n"


def to_gx(suite_dict: dict):
    """A `great_expectations.core.ExpectationSuite` built from a suite dict."""
    from great_expectations.core import ExpectationSuite
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    return ExpectationSuite(
        name=suite_dict["name"],
        meta=dict(suite_dict.get("meta", {})),
        expectations=[
            ExpectationConfiguration(type=e["type"], kwargs=dict(e["kwargs"]), meta=dict(e["meta"])).to_domain_obj()
            for e in suite_dict["expectations"]
        ],
    )

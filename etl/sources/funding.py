"""Funding data in the 360Giving Data Standard: JSON (nested), CSV and XLSX (flattened titles, any sheet name)."""

from __future__ import annotations

import datetime as dt
import gc
import json
import re
from contextlib import contextmanager
from pathlib import Path

import polars as pl

from data_contracts import load_contract
from etl import normalise as n
from etl import periods
from etl.normalise import quoted
from etl.sources.source import Source
from etl.sources.files import (DEEPEST_JSON, MAX_JSON_DEPTH, KeyGivenTwice, SourceError, data_sheet, decode, deep_json,
                               extras_as_json, key_given_twice, marked_keys, match_titles, nesting, not_text,
                               open_workbook, read_csv_text, unforeseen_errors)

DATASET = load_contract("funding").dataset("grants")
TITLES = {f.name: f.title for f in DATASET.fields}
REQUIRED = [f.name for f in DATASET.required]
# a value of an optional field that cannot be read leaves the field empty and is noted in the row's repairs: only a
# field every award needs quarantines a row (one unreadable "Last Modified" once quarantined a funder's whole file)
OPTIONAL = [f for f in DATASET.fields if not f.required]
NUMBERS = [f.name for f in DATASET.fields if f.logical_type in ("number", "integer")]
PATHS = {f.name: f.json_path for f in DATASET.fields if f.json_path}
TOP_LEVEL_KEYS = {p.split("[")[0].split(".")[0] for p in PATHS.values()}


def _path(path: str) -> tuple[str, str | None]:
    """'recipientOrganization[0].id' -> ('recipientOrganization', 'id'); 'title' -> ('title', None)."""
    match = re.fullmatch(r"(\w+)(?:\[0\]\.(\w+))?", path)
    if not match:
        raise ValueError(f"funding contract: json_path {path!r} is neither a key nor key[0].key")
    return match.group(1), match.group(2)


PATH_KEYS = {name: _path(path) for name, path in PATHS.items()}
LIST_KEYS = {key for key, inner in PATH_KEYS.values() if inner is not None}  # lists of objects: recipientOrganization...
REQUIRED_LIST_KEYS = {PATH_KEYS[f][0] for f in REQUIRED if f in PATH_KEYS and PATH_KEYS[f][1] is not None}


def _first(value) -> dict:
    """The first object of a 360Giving list (recipientOrganization[0]), or {} when there is none."""
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return value[0]
    return {}


def _cell(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _parsed(path: Path, name: str) -> tuple[object, bool]:
    """The file's JSON document, its encoding told from its content (UTF-8, UTF-16, else Windows-1252), each object
    with a key given twice marked (KeyGivenTwice: a top-level one refuses the file, one in a grant sets the grant
    aside), and whether it is nested deeper than Python reads as a rule
    (then `read_json` sets aside the grants nested too deep). The standard library's parser names the line of a
    syntax error and reads large integers exactly."""
    data = path.read_bytes()
    not_text(data, name, "a 360Giving JSON package")
    text = decode(data)[0]
    try:
        try:
            document, deep = json.loads(text, object_pairs_hook=marked_keys), False
        except RecursionError:
            document, deep = deep_json(text, marked_keys), True
    except json.JSONDecodeError as error:
        raise SourceError(name, f"is not valid JSON ({error.msg}, character {error.pos})", line=error.lineno) from None
    except RecursionError:
        raise SourceError(name, f"is nested more than {DEEPEST_JSON:,} levels deep; expected a 360Giving JSON package "
                                f"(a grant is a few levels deep)") from None
    if isinstance(document, KeyGivenTwice):  # "grants" twice: which list holds the grants cannot be told
        raise SourceError(name, f"has the key {quoted(document.key)} twice in its top-level object; expected each key "
                                "once (a reader would keep only the last, and lose the first)")
    return document, deep


@contextmanager
def _no_cycle_collection():
    """Python's cycle collector pauses again and again while a large document's objects are made, and finds no
    cycle in parsed JSON: it is paused while a file is read (a third of the reading time)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def read_json(path: Path, name: str) -> pl.DataFrame:
    with _no_cycle_collection():
        marked_before = KeyGivenTwice.made
        document, deep = _parsed(path, name)
        if not isinstance(document, dict) or not isinstance(document.get("grants"), list):
            raise SourceError(name, 'is not a 360Giving JSON package: expected an object with a "grants" list')
        grants = document["grants"]
        del document
        problems = [None if isinstance(grant, dict) else _not_an_object(grant) for grant in grants]
        grants = [grant if isinstance(grant, dict) else {} for grant in grants]
        for number, grant in enumerate(grants if KeyGivenTwice.made > marked_before else ()):  # a grant with a key twice is set aside alone
            if (key := key_given_twice(grant)) is not None and not problems[number]:
                problems[number] = (f"the grant has the key {quoted(key)} twice in one object; expected each key once (a "
                                    "reader would keep only the last, and lose the first)")
        for number, grant in enumerate(grants):  # a list of objects given as something else: said, never "missing"
            for key in LIST_KEYS.intersection(grant):
                if type(grant[key]) is not list and grant[key] is not None and key in REQUIRED_LIST_KEYS and not problems[number]:
                    problems[number] = (f"{key}: found {_kind(grant[key])} where a list of objects is expected "
                                        "([{...}], as the 360Giving Data Standard has it)")
        for number, grant in enumerate(grants if deep else ()):  # a grant nested too deep is set aside alone
            if (levels := nesting(grant)) > MAX_JSON_DEPTH:
                grants[number] = {"id": grant["id"]} if isinstance(grant.get("id"), str) else {}
                problems[number] = (f"the grant is nested {levels:,} levels deep; expected at most {MAX_JSON_DEPTH} "
                                    "(a grant is a few levels deep)")
        firsts = {key: [_first(grant.get(key)) for grant in grants]
                  for key, inner in set(PATH_KEYS.values()) if inner is not None}
        columns, written = {}, {}
        for field in TITLES:
            key, inner = PATH_KEYS.get(field, (None, None))
            if key is None:
                values = [None] * len(grants)
            elif inner is None:
                values = [grant.get(key) for grant in grants]
            else:
                values = [first.get(inner) for first in firsts[key]]
            columns[field] = [value if type(value) is str else _cell(value) for value in values]
            if field in NUMBERS:  # a JSON number says nothing of how the sender writes numbers as text
                written[field] = [value if type(value) is str else None for value in values]
        extras = []
        for number, grant in enumerate(grants):
            try:
                extras.append(_extras(grant))
            except RecursionError:  # nested just short of the parser's limit: too deep to write back
                extras.append(None)
                problems[number] = problems[number] or f"the grant is nested too deep to keep; expected at most {MAX_JSON_DEPTH} levels"
        del grants
    frame = pl.DataFrame(columns, schema={f: pl.Utf8 for f in TITLES})
    return frame.with_columns(
        pl.Series("extra_fields", extras, dtype=pl.Utf8),
        pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("source_row"),
        pl.Series(n.READ_PROBLEM, problems, dtype=pl.Utf8),
        pl.lit(n.number_convention([(pl.DataFrame(written, schema={f: pl.Utf8 for f in written}), list(written))]))
        .alias(n.NUMBER_CONVENTION),
    )


def _kind(value) -> str:
    return {dict: "an object", list: "a list", str: "text", bool: "true or false"}.get(type(value), "a number")


def _not_an_object(grant) -> str:
    return f"the grant is {_kind(grant)}, not an object; expected each grant in the list as an object ({{...}})"


def _extras(grant: dict) -> str | None:
    """What a grant holds beyond the fields read, as JSON: other keys, repeated objects beyond the first (a second
    beneficiary location), and an optional list given as something else (its fields are left empty; it is kept)."""
    other = {k: v for k, v in grant.items() if k not in TOP_LEVEL_KEYS}
    for key in LIST_KEYS.intersection(grant):
        if isinstance(grant[key], list) and len(grant[key]) > 1:
            other[key] = grant[key][1:]
        elif type(grant[key]) is not list and grant[key] is not None:
            other[key] = grant[key]
    return json.dumps(other, ensure_ascii=False, default=str) if other else None


def read_flat(frame: pl.DataFrame, name: str) -> pl.DataFrame:
    frame, extras = match_titles(frame, TITLES, name, REQUIRED)
    return extras_as_json(frame, extras)


def read(path: Path, name: str) -> dict[str, pl.DataFrame]:
    suffix = path.suffix.lower()
    with unforeseen_errors(name, "grants in the 360Giving Data Standard (JSON, CSV or XLSX)"):
        if suffix == ".json":
            frame = read_json(path, name)
        elif suffix in (".csv", ".txt", ".tsv"):
            frame = read_flat(read_csv_text(path, name, judge_rows=True), name)
        elif suffix in (".xlsx", ".xlsm"):
            # the visible sheet holding the grants' titles, whatever it is called (360Giving's is the first)
            frame = read_flat(data_sheet(open_workbook(path, name), name, TITLES, REQUIRED, "grants"), name)
        else:
            raise SourceError(name, f"has an unknown file type {suffix!r}; expected .json, .csv or .xlsx")
    told = [n.NUMBER_CONVENTION] if n.NUMBER_CONVENTION in frame.columns else []  # a reader that knows the convention
    return {"grants": frame.select("source_row", *TITLES, "extra_fields", n.READ_PROBLEM, *told)}


DATES = ("award_date", "planned_start_date", "planned_end_date", "date_modified")
AMOUNTS = ("amount_awarded", "duration_months", "amount_disbursed")  # read once per value (n.once_per_value)


def normalise(frame: pl.DataFrame, context=None) -> pl.DataFrame:
    """Text as read -> typed award rows, with `problem` (why the row is quarantined) and `repairs` (what was fixed)."""
    frame = n.with_parse_problems(frame, "_parse_problem", DATASET.required, convention=n.NUMBER_CONVENTION, read=True)
    frame = n.with_parse_problems(frame, "_optional_problem", OPTIONAL, convention=n.NUMBER_CONVENTION)
    read_once = {f"_read_{name}": n.dated(name) for name in DATES} | {
        f"_read_{name}": n.amount(name, n.NUMBER_CONVENTION) for name in AMOUNTS}
    frame = n.once_per_value(frame, **read_once)
    typed = frame.lazy().with_columns(  # lazily: an expression used twice is worked out once
        n.text("grant_id").alias("grant_id"),
        n.text("title"), n.text("description"),
        n.text("currency").str.to_uppercase().alias("currency"),
        pl.col("_read_amount_awarded").alias("amount_awarded"),
        pl.col("_read_award_date").alias("award_date"),
        n.date_format_used("award_date").alias("_award_date_format"),
        (pl.col("amount_awarded").str.contains("£|,") & ~pl.col(n.NUMBER_CONVENTION).is_in(n.DECIMAL_COMMA)).fill_null(False)
        .alias("_amount_reformatted"),
        pl.col("_read_planned_start_date").alias("planned_start_date"),
        pl.col("_read_planned_end_date").alias("planned_end_date"),
        pl.col("_read_duration_months").alias("duration_months"),
        n.org_id("recipient_org_id", "recipient_charity_number", "recipient_company_number").alias("recipient_org_id"),
        n.text("recipient_org_id").is_null().alias("_recipient_id_derived"),
        n.text("recipient_name"), n.text("recipient_charity_number"), n.text("recipient_company_number"),
        n.text("recipient_postcode").str.to_uppercase().alias("recipient_postcode"),
        n.org_id("funding_org_id").alias("funding_org_id"),
        n.text("funding_org_name"), n.text("funding_org_department"),
        n.text("programme_code"), n.text("programme_title"),
        n.text("beneficiary_location_name"),
        n.text("beneficiary_geocode").str.to_uppercase().alias("beneficiary_geocode"),
        n.text("beneficiary_geocode_type"),
        pl.col("_read_amount_disbursed").alias("amount_disbursed"),
        pl.col("_read_date_modified").alias("date_modified"),
        n.boolean("paid_in_advance").alias("paid_in_advance"),
        n.boolean("full_cost_recovery").alias("full_cost_recovery"),
        n.boolean("advocacy_restriction_clause").alias("advocacy_restriction_clause"),
    ).collect()
    # duration from planned dates when not stated
    months = (pl.col("planned_end_date").dt.year() - pl.col("planned_start_date").dt.year()) * 12 + (
        pl.col("planned_end_date").dt.month() - pl.col("planned_start_date").dt.month()) + 1
    planned_in_order = pl.col("planned_end_date") >= pl.col("planned_start_date")  # swapped dates give no duration
    typed = typed.with_columns(pl.coalesce("duration_months", pl.when(planned_in_order).then(months.cast(pl.Float64)))
                               .alias("duration_months"))
    typed = n.empty_outside_contract(typed, OPTIONAL)
    typed = n.repair_geocodes(typed, "beneficiary_geocode", "beneficiary_geocode_type", **n.places(context))
    # the funder: its org-id, else its name, matched to the public bodies reference; unknown funders are kept
    typed = n.body_codes(typed, "funding_org_id", "_by_id")
    typed = n.body_codes(typed, "funding_org_name", "_by_name")
    typed = typed.with_columns(pl.coalesce("_by_id", "_by_name").alias("funder_body_code")).drop("_by_id", "_by_name")
    typed = typed.with_columns(
        periods.financial_year_expr("award_date").alias("financial_year"),
        periods.financial_quarter_expr("award_date").alias("quarter"),
    )
    # rules beyond the contract's own checks (those run in Great Expectations after loading)
    problem = (
        pl.when(pl.col("_parse_problem").is_not_null()).then("_parse_problem")
        .when(pl.col("award_date") > (context.as_of if context else dt.date.today())).then(pl.format("Award Date: '{}' is in the future", pl.col("award_date")))
    )
    repairs = pl.concat_str([
        pl.when(pl.col("_optional_problem").is_not_null()).then(pl.format("{}: left empty", "_optional_problem")),
        pl.col(n.OUTSIDE_CONTRACT),
        pl.when(~planned_in_order).then(pl.lit("planned end date before the start date: duration not worked out")),
        pl.when(pl.col("_award_date_format") == "dmy").then(pl.lit("award date read as DD/MM/YYYY")),
        pl.when(pl.col("_amount_reformatted")).then(pl.lit("amount read from £ and thousands separators")),
        pl.when(pl.col(n.NUMBER_CONVENTION).is_in(n.DECIMAL_COMMA)).then(pl.lit("amounts read with decimal commas, as the file's numbers show")),
        pl.when(pl.col("_recipient_id_derived") & pl.col("recipient_org_id").is_not_null()).then(pl.lit("recipient org-id made from its charity or company number")),
        pl.when(pl.col("geocode_repair") == "swapped").then(pl.lit("geocode and geocode type were swapped")),
        pl.when(pl.col("geocode_repair") == "small_area").then(pl.lit("small-area code mapped to its district")),
        pl.when(pl.col("geocode_repair") == "former_code").then(pl.lit("former district code mapped to the current one")),
    ], separator="; ", ignore_nulls=True)  # forty times faster than a list of them joined
    return typed.with_columns(problem.alias("problem"), repairs.replace("", None).alias("repairs")).drop(
        "_award_date_format", "_amount_reformatted", "_recipient_id_derived", "_parse_problem", "_optional_problem",
        n.OUTSIDE_CONTRACT, *read_once)


SOURCE = Source("funding", "funding", "Funding (360Giving)", (".json", ".csv", ".xlsx"), read, True,
                lambda frames, context: {"grants": normalise(frames["grants"], context)}, {"grants": ("grant_id",)},
                position=2)

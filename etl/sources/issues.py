"""Issue event logs (CSV or JSON Lines). The reporter's identity and free text are dropped as the file is read:
they never reach the warehouse, not even its raw layer. An issue log is confidential: no message about one (a
rejected file, a quarantined row) quotes anything from it; each names the file, the line and field, and what was
expected."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import polars as pl

from data_contracts import load_contract
from etl import normalise as n
from etl import periods
from etl.sources.source import Source
from etl.sources.files import (SourceError, decode, key_given_twice, marked_keys, match_titles, not_text, read_csv_text,
                               unforeseen_errors)

DATASET = load_contract("issue_events").dataset("issue_events")
CONFIDENTIAL = [f.name for f in DATASET.fields if f.confidential]
TITLES = {f.name: f.title for f in DATASET.fields}
PUBLIC = [f for f in TITLES if f not in CONFIDENTIAL]
REQUIRED = [f.name for f in DATASET.required]


def _read_jsonl(path: Path, name: str) -> pl.DataFrame:
    """JSON Lines -> text columns + `source_row` (the line) + `read_problem`: a line that is not one JSON object with
    each key once is a row of nothing but its problem (quarantined; the other lines load). Nothing from a line is
    ever quoted: an issue log's text is confidential."""
    data = path.read_bytes()
    not_text(data, name, "an issue log in JSON Lines, one JSON object per line")
    rows = []
    for number, line in enumerate(decode(data)[0].split("\n"), start=1):  # a line ends at \n alone: not at U+2028
        line = line.removesuffix("\r")
        if not line.strip():
            continue
        problem = None
        try:
            record = json.loads(line, object_pairs_hook=marked_keys)
            if not isinstance(record, dict):
                problem, record = "the line is not a JSON object; expected one JSON object per line", {}
            elif key_given_twice(record) is not None:  # its key is not told: an issue log's text is confidential
                problem, record = "the line has a key twice; expected each key once", {}
        except json.JSONDecodeError as error:  # its msg is the json module's words ("Expecting value"), never the line's
            problem, record = (f"the line is not valid JSON ({error.msg} at character {error.pos + 1}); expected one JSON "
                               "object per line"), {}
        except RecursionError:
            problem, record = "the line is nested too deep to read; expected one JSON object of fields", {}
        rows.append({k: (None if v is None else str(v)) for k, v in record.items() if k in TITLES}
                    | {"source_row": number, n.READ_PROBLEM: problem})
    if not rows:
        raise SourceError(name, "the file is empty; expected one JSON object per line", line=1)
    frame = pl.DataFrame(rows, infer_schema_length=None).with_columns(pl.exclude("source_row").cast(pl.Utf8))
    if any(field in frame.columns for field in REQUIRED):  # an issue log: a record lacking a key is judged alone
        frame = frame.with_columns(pl.lit(None, pl.Utf8).alias(f) for f in TITLES if f not in frame.columns)
    return frame  # else not an issue log: match_titles refuses it


def read(path: Path, name: str) -> dict[str, pl.DataFrame]:
    suffix = path.suffix.lower()
    with unforeseen_errors(name, "an issue log, CSV or JSON Lines, with the columns of the issue_events contract",
                           confidential=True):
        if suffix in (".csv", ".txt"):
            frame = read_csv_text(path, name, judge_rows=True)
        elif suffix in (".jsonl", ".ndjson"):
            frame = _read_jsonl(path, name)
        else:
            raise SourceError(name, f"has an unknown file type {suffix!r}; expected .csv or .jsonl")
        frame, extras = match_titles(frame, {k: TITLES[k] for k in TITLES}, name, REQUIRED, confidential=True)
    # confidential fields and any other free text the sender added are dropped here
    return {"issue_events": frame.select("source_row", *PUBLIC, n.READ_PROBLEM)}


def normalise(frame: pl.DataFrame, as_of: dt.date | None = None, context=None) -> pl.DataFrame:
    frame = n.with_parse_problems(frame, "_parse_problem", [f for f in DATASET.fields if not f.confidential], quote=False, read=True)
    typed = frame.with_columns(
        n.text("event_id"), n.text("issue_ref"),
        n.text("event_type").str.to_lowercase().alias("event_type"),
        n.timestamp("occurred_at").alias("occurred_at"),
        n.instant("occurred_at").alias("occurred_utc"),
        n.clock_problem("occurred_at", "occurred_at", quote=False).alias("_clock_problem"),
        n.text("body"),
        n.text("principle").str.to_lowercase().alias("principle"),
        n.text("category").str.to_lowercase().alias("category"),
        n.text("reporter_size_band").str.to_lowercase().alias("reporter_size_band"),
        n.text("reporter_district").str.to_uppercase().alias("reporter_district"),
    )
    typed = n.body_codes(typed, "body", "body_code")
    typed = n.district_codes(typed, "reporter_district", context)
    typed = typed.with_columns(
        periods.financial_year_expr("occurred_at").alias("financial_year"),
        periods.financial_quarter_expr("occurred_at").alias("quarter"),
    )
    problem = (
        pl.when(pl.col("_parse_problem").is_not_null()).then("_parse_problem")
        .when(pl.col("_clock_problem").is_not_null()).then("_clock_problem")
        .when(pl.col("occurred_at").dt.date() > (as_of or dt.date.today())).then(pl.lit(f"occurred_at: the time is in the future; expected a time on or before {as_of or dt.date.today()}"))
        .when(pl.col("body").is_not_null() & pl.col("body_code").is_null()).then(pl.lit("body: the value is not a public body in the reference; expected a code, name or alias of one"))
    )
    # across rows: no event of an issue can come before the issue was raised (in time as it passed: `occurred_utc`)
    raised_at = pl.col("occurred_utc").filter(pl.col("event_type") == "raised").min().over("issue_ref")
    problem = problem.when((pl.col("event_type") != "raised") & (pl.col("occurred_utc") < raised_at)).then(
        pl.lit("occurred_at: the time is before the issue was raised: events out of order; expected no event "
               "before the issue's raised event"))
    return _lifecycle_problems(
        typed.with_columns(problem.alias("problem"), pl.lit(None, pl.Utf8).alias("repairs")).drop("_parse_problem", "_clock_problem"))


# --- the lifecycle of an issue (documented in data_contracts/issue_events.yaml and warehouse/marts/issues.sql) ---

# The order in which an issue's events count when they share a time: the order they can happen in, a withdrawal
# before a resolution (so a withdrawal and a resolution at one time are not both kept) and a reopening last.
# warehouse/marts/issues.sql orders events the same way.
LIFECYCLE = ("raised", "acknowledged", "escalated", "withdrawn", "resolved", "closed", "reopened")
FINAL = ("withdrawn", "closed")  # nothing but a reopening may follow these


def _lifecycle_problems(typed: pl.DataFrame) -> pl.DataFrame:
    """Quarantine the events that break the lifecycle:
    - an issue is raised once: a `raised` event later than the issue's first `raised` event (the raising the check
      above judges by) is out of order;
    - a withdrawal or closure is final: any later event but `reopened`, before a reopening, is out of order. This is
      judged against the issue's events that pass every other check of `normalise`, so a closure quarantined for its
      own sake (an unknown body, say) takes no other event with it, and the events loaded always keep this rule.
    Events at one time count in LIFECYCLE order. Only events of the contract's seven types are judged (any other
    type is left to the contract's enum check). Reasons name the event's type, never a value from the log."""
    kinds = pl.col("event_type")
    first_raised = pl.col("occurred_utc").filter(kinds == "raised").min().over("issue_ref")
    readable = pl.col("issue_ref").is_not_null() & pl.col("occurred_utc").is_not_null() & kinds.is_in(LIFECYCLE)
    # the raising is the first `raised` event, by time then by event id (two at one instant are one raising too many)
    first_raised_id = pl.col("event_id").filter((kinds == "raised") & (pl.col("occurred_utc") == first_raised)).min().over("issue_ref")
    raised_again = pl.col("problem").is_null() & readable & (kinds == "raised") & (
        (pl.col("occurred_utc") > first_raised) | (pl.col("event_id") != first_raised_id))
    typed = typed.with_columns(
        pl.when(raised_again)
        .then(pl.lit("event_type: 'raised' comes after the issue was already raised: events out of order; expected one "
                     "'raised' event per issue (an issue raised again is 'reopened')"))
        .otherwise("problem").alias("problem"))
    # each distinct (issue, time, type) once, in lifecycle order, with the last withdrawal or closure and the last
    # reopening strictly before it
    steps = (
        typed.filter(pl.col("problem").is_null() & readable)
        .select("issue_ref", "occurred_utc", "event_type").unique()
        .with_columns(kinds.replace_strict(LIFECYCLE, range(len(LIFECYCLE)), return_dtype=pl.Int8).alias("_rank"))
        .sort("issue_ref", "occurred_utc", "_rank")
        .with_columns(pl.int_range(pl.len()).over("issue_ref").alias("_step"))
    )
    final, reopened = kinds.is_in(FINAL), kinds == "reopened"

    def before(value: pl.Expr, where: pl.Expr) -> pl.Expr:
        return pl.when(where).then(value).forward_fill().shift(1).over("issue_ref")

    steps = steps.with_columns(
        before(pl.col("_step"), final).alias("_final_step"),
        before(kinds, final).alias("_final_type"),
        before(pl.col("occurred_utc"), final).alias("_final_at"),
        before(pl.col("_step"), reopened).alias("_reopened_step"),
    )
    after_final = (~reopened & pl.col("_final_step").is_not_null()
                   & (pl.col("_reopened_step").is_null() | (pl.col("_reopened_step") < pl.col("_final_step"))))
    expected = "; expected 'reopened' before any other event once an issue is closed or withdrawn"
    late = steps.filter(after_final).select(
        "issue_ref", "occurred_utc", "event_type",
        pl.when(pl.col("_final_at") == pl.col("occurred_utc"))
        .then(pl.format("event_type: '{}' is at the same time as the issue was {}, which counts first, with no "
                        "'reopened' between: events out of order" + expected, kinds, pl.col("_final_type")))
        .otherwise(pl.format("event_type: '{}' comes after the issue was {} with no 'reopened' between: events out "
                             "of order" + expected, kinds, pl.col("_final_type")))
        .alias("_late"))
    return (
        typed.join(late, on=["issue_ref", "occurred_utc", "event_type"], how="left", maintain_order="left")
        .with_columns(pl.when(pl.col("problem").is_null() & readable).then("_late").otherwise("problem").alias("problem"))
        .drop("_late")
    )


def read_confidential(path: Path, name: str) -> dict[str, list[str | None]]:
    """The confidential fields of an issue log ({field: values}), for the build's leak gate alone, which searches the
    published files for them: they are never loaded anywhere. Empty when the file cannot be read."""
    try:
        frame = read_csv_text(path, name, judge_rows=True) if path.suffix.lower() in (".csv", ".txt") else _read_jsonl(path, name)
        frame, _ = match_titles(frame, {k: TITLES[k] for k in TITLES}, name, REQUIRED, confidential=True)
    except Exception:  # a file that cannot be read was rejected whole: nothing of it was loaded
        return {}
    return {field: frame[field].to_list() for field in CONFIDENTIAL if field in frame.columns}


SOURCE = Source("issues", "issue_events", "Issue events", (".csv", ".jsonl", ".ndjson"), read, False,
                lambda frames, context: {"issue_events": normalise(frames["issue_events"], context.as_of, context)},
                {"issue_events": ("event_id",)}, position=4, extra_column=None, confidential=True)

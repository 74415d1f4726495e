"""The Great Expectations validator on its own: failures named by file and line, batch by batch, and no time spent
fingerprinting batches (GX hashes every value of a batch it is given, which a build never looks up again)."""

from __future__ import annotations

import polars as pl
import pytest

from etl.validate import Validator

SUITE = {
    "name": "test.awards",
    "meta": {},
    "expectations": [
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "amount"}, "meta": {}},
        {"type": "expect_column_values_to_be_between", "kwargs": {"column": "amount", "min_value": 0, "max_value": 100},
         "meta": {}},
    ],
}


def _batch(amounts: list[float | None], file: str) -> pl.DataFrame:
    return pl.DataFrame({"source_file": [file] * len(amounts), "source_row": list(range(2, len(amounts) + 2)),
                         "amount": amounts}, schema={"source_file": pl.Utf8, "source_row": pl.Int64, "amount": pl.Float64})


@pytest.fixture(scope="module")
def validator() -> Validator:
    return Validator()


def test_failures_are_named_by_file_and_line_in_every_batch(validator):
    batches = [_batch([5.0, None, 7.0], "funding/a.csv"), _batch([150.0, 1.0], "funding/b.csv")]
    outcome = validator.validate("awards", iter(batches), SUITE, {"amount": "Amount Awarded"})
    assert outcome.failures_frame().to_dicts() == [
        {"source_file": "funding/a.csv", "source_row": 3, "problem": "Amount Awarded: missing (required)"},
        {"source_file": "funding/b.csv", "source_row": 2, "problem": "Amount Awarded: '150.0' out of range (expected 0.0 to 100.0)"},
    ]
    results = outcome.results_frame()
    assert results.select("batch", "expectation", "element_count", "unexpected_count", "success").rows() == [
        (1, "expect_column_values_to_not_be_null", 3, 1, False),
        (1, "expect_column_values_to_be_between", 3, 0, True),
        (2, "expect_column_values_to_not_be_null", 2, 0, True),
        (2, "expect_column_values_to_be_between", 2, 1, False),
    ]


def test_batches_are_not_fingerprinted(validator, monkeypatch):
    from great_expectations.execution_engine import pandas_execution_engine

    assert pandas_execution_engine.HASH_THRESHOLD == 0  # GX still reads this setting, and we set it
    hashed = []
    monkeypatch.setattr(pandas_execution_engine, "hash_pandas_dataframe", lambda frame: hashed.append(len(frame)) or "")
    SUITE_B = {**SUITE, "name": "test.awards_b"}
    outcome = validator.validate("awards_b", iter([_batch([1.0, 2.0], "funding/c.csv")]), SUITE_B, {})
    assert outcome.failures_frame().height == 0
    assert hashed == []


def test_batches_are_gathered_into_frames_of_the_rows_asked_for() -> None:
    """DuckDB gives batches of a row group or less; normalising and validating get frames of exactly the rows asked
    for (the last fewer), every row once and in order."""
    import pyarrow as pa

    from etl.staging import _frames_of

    sizes = [5, 3, 7, 1, 4]
    start = [sum(sizes[:i]) for i in range(len(sizes))]
    batches = [pa.record_batch({"n": list(range(s, s + size))}) for s, size in zip(start, sizes)]
    frames = list(_frames_of(pa.RecordBatchReader.from_batches(batches[0].schema, batches), 6))
    assert [f.height for f in frames] == [6, 6, 6, 2]
    assert [n for f in frames for n in f["n"]] == list(range(20))
    assert list(_frames_of(pa.RecordBatchReader.from_batches(batches[0].schema, []), 6)) == []

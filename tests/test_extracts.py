"""Extracts: the rows follow the filters, carry disclosure control, cannot inject formulas into a spreadsheet, hold
no reporter or issue text, and come with their data dictionary."""

from __future__ import annotations

import io
import re

import openpyxl
import polars as pl
import pytest

from dashboard import extracts, queries
from tests.conftest import BuiltWarehouse, query

NO_FILTERS = {"body": None, "body_type": None, "district": None, "region": None, "nation": None, "size": None,
              "principle": None}


def test_every_dataset_has_its_sql_and_a_documented_table() -> None:
    tables = {row["table"] for row in extracts.warehouse.table_docs()}
    for dataset in extracts.EXTRACTS:
        assert (extracts.SQL_DIR / f"{dataset.key}.sql").is_file(), dataset.key
        assert dataset.table in tables and dataset.title and dataset.description


@pytest.mark.parametrize("dataset", extracts.EXTRACTS, ids=lambda d: d.key)
def test_every_dataset_extracts_with_no_filters(built_warehouse: BuiltWarehouse, dataset) -> None:
    frame = queries.extract(dataset.key, NO_FILTERS, "2024-25 Q1", "2026-27 Q4", database_path=built_warehouse.database)
    assert frame.height > 0
    assert frame.columns[: len(extracts.dictionary(dataset.table))] == extracts.dictionary(dataset.table)["Column"].to_list()


def test_awards_follow_the_filters(built_warehouse: BuiltWarehouse) -> None:
    db = built_warehouse.database
    filters = NO_FILTERS | {"region": "E12000003", "size": "small"}
    frame = queries.extract("awards", filters, "2025-26 Q1", "2025-26 Q4", database_path=db)
    expected = query(db, """select count(*) from marts.awards where region_code = 'E12000003' and size_band = 'small'
                            and financial_year = '2025-26'""")[0][0]
    assert frame.height == expected > 0
    assert set(frame["region_code"]) == {"E12000003"} and set(frame["size_band"]) == {"small"}
    assert set(frame["financial_year"]) == {"2025-26"}
    body = queries.extract("body_quarters", NO_FILTERS | {"body_type": "local_authority"}, "2024-25 Q1", "2026-27 Q4", database_path=db)
    assert set(body["body_type"]) == {"local_authority"}


def test_extracts_follow_a_range_of_quarters(built_warehouse: BuiltWarehouse) -> None:
    db = built_warehouse.database
    awards = queries.extract("awards", NO_FILTERS, "2025-26 Q2", "2025-26 Q3", database_path=db)
    expected = query(db, "select count(*) from marts.awards where financial_year = '2025-26' and quarter in (2, 3)")[0][0]
    assert awards.height == expected > 0
    assert set(awards["period"]) == {"2025-26 Q2", "2025-26 Q3"}
    returns = queries.extract("body_quarters", NO_FILTERS, "2025-26 Q4", "2026-27 Q1", database_path=db)
    assert set(zip(returns["financial_year"], returns["quarter"])) == {("2025-26", 4), ("2026-27", 1)}
    values = queries.extract("indicator_values", NO_FILTERS, "2025-26 Q4", "2026-27 Q1", database_path=db)
    # quarterly values follow the quarters exactly; yearly values cover the financial years they touch
    assert set(values.filter(pl.col("period_level") == "quarter")["period"]) == {"2025-26 Q4", "2026-27 Q1"}
    assert set(values.filter(pl.col("period_level") == "year")["period"]) == {"2025-26", "2026-27"}


def test_indicator_values_follow_the_chosen_cell_and_keep_suppression(built_warehouse: BuiltWarehouse) -> None:
    db = built_warehouse.database
    frame = queries.extract("indicator_values", NO_FILTERS, "2024-25 Q1", "2026-27 Q4", cell=("public_body", "DCMS"), database_path=db)
    assert set(frame["breakdown_code"]) == {"DCMS"}
    everything = queries.extract("indicator_values", NO_FILTERS, "2024-25 Q1", "2026-27 Q4", database_path=db)
    assert everything.height == query(db, "select count(*) from marts.indicator_values")[0][0]
    hidden = everything.filter(pl.col("suppressed"))
    assert hidden.height > 0 and hidden.select("value", "lacking").null_count().row(0) == (hidden.height,) * 2
    issue_counts = everything.filter(pl.col("indicator_id").str.starts_with("issues") & ~pl.col("suppressed"))
    assert issue_counts.filter(pl.col("numerator").is_between(1, 4) | pl.col("denominator").is_between(1, 4)).height == 0


def test_formulas_are_neutralised_in_csv_and_excel(built_warehouse: BuiltWarehouse) -> None:
    frame = pl.DataFrame({"title": ['=HYPERLINK("http://example.invalid")', "+1", "-2", "@SUM(A1)", "Plain", "x=1"],
                          "amount": [1.0, 2.0, -3.0, 4.0, 5.0, 6.0]})
    text = extracts.csv_bytes(frame).decode("utf-8-sig").splitlines()
    assert [line.rsplit(",", 1)[0] for line in text[1:]] == [
        "\"'=HYPERLINK(\"\"http://example.invalid\"\")\"", "'+1", "'-2", "'@SUM(A1)", "Plain", "x=1"]
    assert text[3].endswith(",-3.0")  # numbers stay numbers
    dataset = next(d for d in extracts.EXTRACTS if d.key == "awards")
    book = openpyxl.load_workbook(io.BytesIO(extracts.file_bytes(frame, dataset, "xlsx", "test")))
    cells = [row[0] for row in book["Data"].iter_rows(min_row=2, values_only=True)]
    assert all(not str(c).startswith(("=", "+", "-", "@")) for c in cells)
    assert book.sheetnames == ["Data", "Data dictionary", "About"]
    words = {row[0]: row[1] for row in book["Data dictionary"].iter_rows(min_row=2, values_only=True)}
    assert words["grant_id"] == "360Giving identifier of the award."


def test_a_real_award_title_with_a_formula_is_neutralised(built_warehouse: BuiltWarehouse) -> None:
    frame = queries.extract("awards", NO_FILTERS, "2024-25 Q1", "2026-27 Q4", database_path=built_warehouse.database)
    formulas = frame.filter(pl.col("title").str.starts_with("="))
    assert formulas.height >= 1  # the demo plants a formula in a title
    text = extracts.csv_bytes(formulas).decode("utf-8-sig")
    assert "\n=" not in text and ",=" not in text and "'=HYPERLINK" in text


def test_parquet_round_trips(built_warehouse: BuiltWarehouse) -> None:
    frame = queries.extract("consultations", NO_FILTERS, "2024-25 Q1", "2026-27 Q4", database_path=built_warehouse.database)
    dataset = next(d for d in extracts.EXTRACTS if d.key == "consultations")
    assert pl.read_parquet(io.BytesIO(extracts.file_bytes(frame, dataset, "parquet", "test"))).equals(frame)


def test_no_extract_holds_a_reporter_or_issue_text(built_warehouse: BuiltWarehouse) -> None:
    for dataset in extracts.EXTRACTS:
        frame = queries.extract(dataset.key, NO_FILTERS, "2024-25 Q1", "2026-27 Q4", database_path=built_warehouse.database)
        assert not {"reporter_id", "summary", "issue_ref", "event_id"} & set(frame.columns), dataset.key
        text = frame.write_csv()
        assert not re.search(r"REP-\d{6}|Concern raised about|Issue reopened", text), dataset.key


def test_the_release_files_are_read_through_the_query_layer(built_warehouse, monkeypatch):
    """The Parquet tables, Data Docs and manifests of the release a view reads come from queries, like its rows."""
    import io
    import zipfile

    release = built_warehouse.database.parent
    monkeypatch.setattr(queries, "release", lambda: release)
    tables = queries.parquet_tables()
    assert "marts.awards" in tables and all(size > 0 for size in tables.values())
    assert queries.parquet_bytes("marts.awards", release)[:4] == b"PAR1"
    with pytest.raises(KeyError):
        queries.parquet_bytes("../covenant.duckdb", release)  # a name from a widget never makes a path
    assert queries.has_data_docs()
    names = zipfile.ZipFile(io.BytesIO(queries.data_docs_zip(release))).namelist()
    assert "index.html" in names
    (history,) = queries.load_history()
    assert history["read_now"] and history["files"] == len(built_warehouse.result.files)
    assert history["rows_loaded"] + history["rows_quarantined"] == history["rows_read"]

"""The departmental return template: generated from the returns contract, and a filled-in copy loads."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import polars as pl
import pytest
from click.testing import CliRunner
from openpyxl.utils import get_column_letter

from data_contracts import Field, load_contract
from data_contracts.to_template import INSTRUCTIONS_SHEET, template
from etl.cli import main
from etl.sources import returns

CONTRACT = load_contract("returns")
TEMPLATE = template()
FILLED_ON = dt.date(2025, 6, 30)


def workbook() -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(TEMPLATE))


def validation(sheet, column: int):
    """The data validation of a column (1-based), which starts on row 2."""
    letter = get_column_letter(column)
    return next(dv for dv in sheet.data_validations.dataValidation if str(dv.sqref).startswith(f"{letter}2"))


def valid_value(f: Field):
    """A value a careful person would enter in the field's column."""
    if f.enum:
        return f.enum[0]
    if f.logical_type == "boolean":
        return "Yes"
    if f.logical_type == "date":
        return FILLED_ON
    if f.logical_type == "integer":
        return max(3, f.minimum or 0)
    if f.logical_type == "number":
        return 12500.5
    if f.examples:
        return f.examples[0]
    return f"{f.name}-1"


def test_sheets_are_the_instructions_then_the_contracts_datasets():
    assert workbook().sheetnames == [INSTRUCTIONS_SHEET, *(d.physical_name for d in CONTRACT.datasets)]


@pytest.mark.parametrize("dataset", CONTRACT.datasets, ids=lambda d: d.physical_name)
def test_header_row_is_the_field_titles_in_contract_order(dataset):
    sheet = workbook()[dataset.physical_name]
    assert [c.value for c in sheet[1]] == [f.title for f in dataset.fields]
    assert sheet.max_row == 1, "the template has no data rows"
    assert sheet.freeze_panes == "A2"
    assert all(c.font.b for c in sheet[1])


@pytest.mark.parametrize("dataset", CONTRACT.datasets, ids=lambda d: d.physical_name)
def test_every_column_has_an_input_message_from_its_description(dataset):
    sheet = workbook()[dataset.physical_name]
    assert len(sheet.data_validations.dataValidation) == len(dataset.fields)
    for column, f in enumerate(dataset.fields, start=1):
        dv = validation(sheet, column)
        assert dv.showInputMessage and f.description in dv.prompt and len(dv.prompt) <= 255
        assert f.title.startswith(dv.promptTitle.rstrip("…")) and len(dv.promptTitle) <= 32
        assert dv.prompt.startswith("Required") == f.required


@pytest.mark.parametrize(("sheet", "column", "kind", "operator", "formula1", "formula2"), [
    ("Commitments", "B", "list", None, '"recognition,partnership,participation,transparency"', None),
    ("Commitments", "D", "list", None, '"not started,on track,at risk,met,missed"', None),
    ("Summary", "C", "list", None, '"1,2,3,4"', None),
    ("Summary", "D", "list", None, '"Yes,No"', None),
    ("Consultations", "F", "list", None, '"Yes,No"', None),
    ("Summary", "I", "whole", None, "0", "1000"),
    ("Summary", "J", "whole", "greaterThanOrEqual", "0", None),
    ("Policies", "F", "whole", "greaterThanOrEqual", "0", None),
    ("Engagement", "A", "date", None, "1", "401768"),  # 1900-01-01 to 2999-12-31
    ("Engagement", "C", None, None, None, None),  # text: an input message only
])
def test_column_validation(sheet, column, kind, operator, formula1, formula2):
    dv = validation(workbook()[sheet], openpyxl.utils.column_index_from_string(column))
    assert (dv.type, dv.operator, dv.formula1, dv.formula2) == (kind, operator, formula1, formula2)


@pytest.mark.parametrize(("sheet", "sqref"), [("Summary", "C2"), ("Commitments", "D2:D1048576")])
def test_summary_validation_covers_its_one_row_and_other_sheets_whole_columns(sheet, sqref):
    assert sqref in {str(dv.sqref) for dv in workbook()[sheet].data_validations.dataValidation}


def test_date_columns_are_formatted_yyyy_mm_dd():
    sheet = workbook()["Consultations"]
    assert sheet.column_dimensions["C"].number_format == "yyyy-mm-dd"
    assert sheet.column_dimensions["A"].number_format == "@"  # text stays text (leading zeros, 2025-26)


def test_instructions_name_every_sheet_and_column():
    sheet = workbook()[INSTRUCTIONS_SHEET]
    text = "\n".join(str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None)
    assert "one workbook per public body per quarter" in text
    for dataset in CONTRACT.datasets:
        assert f"Sheet: {dataset.physical_name}" in text
        for f in dataset.fields:
            assert f.title in text and f.description in text
    required = [r[0].value for r in sheet.iter_rows() if r[1].value == "Required" and r[0].value != "Column"]
    assert required == [f.title for d in CONTRACT.datasets for f in d.fields if f.required]
    assert "not started, on track, at risk, met, missed" in text


def test_same_contract_same_bytes():
    assert template() == TEMPLATE


def test_a_filled_in_template_loads(tmp_path):
    book = workbook()
    for dataset in CONTRACT.datasets:
        sheet = book[dataset.physical_name]
        for col, f in enumerate(dataset.fields, start=1):
            sheet.cell(row=2, column=col, value=valid_value(f))
    path = tmp_path / "dcms_return_2025-26_Q1.xlsx"
    book.save(path)

    frames = returns.read(path, path.name)
    assert set(frames) == {d.name for d in CONTRACT.datasets}
    # the build adds the lineage columns before normalising; each sheet takes its body and period from the Summary
    frames = {name: frame.with_columns(pl.lit(path.name).alias("source_file")) for name, frame in frames.items()}
    out = returns.normalise(frames)

    for dataset in CONTRACT.datasets:
        row = out[dataset.name].row(0, named=True)
        assert out[dataset.name].height == 1
        assert row["problem"] is None, f"{dataset.physical_name}: {row['problem']}"
        assert row["source_row"] == 2
        for f in dataset.fields:
            assert row[f.name] is not None, f"{dataset.physical_name}: {f.title} did not parse"
        if dataset.name != "return_summary":
            assert (row["body_code"], row["financial_year"], row["quarter"]) == ("DCMS", "2025-26", 1)
    summary = out["return_summary"].row(0, named=True)
    assert (summary["body_code"], summary["financial_year"], summary["quarter"]) == ("DCMS", "2025-26", 1)
    assert summary["action_plan_published"] is True and summary["meetings_held"] == 3
    commitment = out["return_commitments"].row(0, named=True)
    assert (commitment["status"], commitment["due_date"]) == ("not started", FILLED_ON)
    assert out["return_consultations"]["civil_society_involved_early"][0] is True
    assert out["return_policies"]["new_agreements"][0] == 3
    assert out["return_engagement"]["meeting_type"][0] == "roundtable"


def test_cli_writes_the_template_and_will_not_overwrite(tmp_path):
    target = tmp_path / "return.xlsx"
    runner = CliRunner()
    result = runner.invoke(main, ["template", "--output", str(target)])
    assert result.exit_code == 0, result.output
    assert target.read_bytes() == TEMPLATE

    target.write_bytes(b"a filled-in return")
    result = runner.invoke(main, ["template", "--output", str(target)])
    assert result.exit_code == 1
    assert target.read_bytes() == b"a filled-in return"

    result = runner.invoke(main, ["template", "--output", str(target), "--force"])
    assert result.exit_code == 0 and target.read_bytes() == TEMPLATE


def test_cli_help_names_the_default_output():
    result = CliRunner().invoke(main, ["template", "--help"], terminal_width=200)
    assert result.exit_code == 0
    assert "covenant-return-template.xlsx" in result.output and "--output" in result.output

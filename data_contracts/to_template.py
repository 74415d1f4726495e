"""A data contract -> the XLSX workbook people fill in (the departmental return template).

The first sheet says in plain English how to fill it in; then one sheet per dataset, named by its `physicalName`,
headed by the fields' titles in contract order (the ETL finds sheets by name and columns by title, so both are
exact). Each column has an input message from its description and the validation its type allows: a list for
enums and Yes/No fields, whole numbers within the bounds, dates shown as yyyy-mm-dd.
"""

from __future__ import annotations

import datetime as dt
import io
import warnings

import xlsxwriter

from data_contracts.model import Contract, Dataset, Field, load_contract

INSTRUCTIONS_SHEET = "How to fill this in"
ONE_ROW_DATASETS = {"return_summary"}  # the reader refuses a Summary sheet without exactly one row
YES_NO = ("Yes", "No")
LAST_ROW = 1_048_575  # Excel's last row (0-based): validation and formats cover the whole column
INPUT_TITLE_MAX, MESSAGE_MAX, LIST_MAX = 32, 255, 255  # Excel's limits
# a fixed creation time, so the same contract always gives the same bytes
CREATED = dt.datetime(2025, 7, 1)


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _bounds_in_words(field: Field) -> str:
    low, high = field.minimum, field.maximum
    if low is not None and high is not None:
        return f"from {low} to {high}"
    if low is not None:
        return f"{low} or more"
    if high is not None:
        return f"{high} or less"
    return ""


def what_to_enter(field: Field) -> str:
    """The allowed values or format of a field, in words."""
    if field.enum is not None:
        return "One of: " + ", ".join(map(str, field.enum))
    if field.logical_type == "boolean":
        return "Yes or No"
    if field.logical_type == "date":
        return "A date, as yyyy-mm-dd (for example 2025-06-30)"
    if field.logical_type == "timestamp":
        return "A date and time, as yyyy-mm-dd hh:mm"
    if field.logical_type in ("integer", "number"):
        kind = "A whole number" if field.logical_type == "integer" else "A number"
        bounds = _bounds_in_words(field)
        return f"{kind}, {bounds}" if bounds else kind
    if field.examples:
        return "Text, for example " + ", ".join(map(str, field.examples))
    return "Text"


def _validation(field: Field) -> dict:
    """The xlsxwriter data validation of a field's column: its input message and what it accepts."""
    message = " ".join(p for p in (
        "Required: fill this in on every row." if field.required else "",
        field.description or field.title,
        what_to_enter(field) + ".",
    ) if p)
    options = {"input_title": _shorten(field.title, INPUT_TITLE_MAX), "input_message": _shorten(message, MESSAGE_MAX)}
    error = {"error_title": _shorten(field.title, INPUT_TITLE_MAX), "error_message": _shorten(what_to_enter(field) + ".", MESSAGE_MAX)}
    values = list(map(str, field.enum)) if field.enum is not None else list(YES_NO) if field.logical_type == "boolean" else None
    if values is not None:
        if any("," in v for v in values) or len(",".join(values)) > LIST_MAX:
            raise ValueError(f"field {field.name}: a dropdown list cannot hold values with commas or over {LIST_MAX} characters")
        return options | error | {"validate": "list", "source": values}
    if field.logical_type in ("integer", "number"):
        kind = "integer" if field.logical_type == "integer" else "decimal"
        low, high = field.minimum, field.maximum
        if low is not None and high is not None:
            bounds = {"criteria": "between", "minimum": low, "maximum": high}
        elif low is not None:
            bounds = {"criteria": ">=", "value": low}
        elif high is not None:
            bounds = {"criteria": "<=", "value": high}
        else:
            bounds = {"criteria": "between", "minimum": -(10**15), "maximum": 10**15}
        return options | error | {"validate": kind} | bounds
    if field.logical_type == "date":
        low = dt.date.fromisoformat(str(field.minimum)) if field.minimum is not None else dt.date(1900, 1, 1)
        high = dt.date.fromisoformat(str(field.maximum)) if field.maximum is not None else dt.date(2999, 12, 31)
        return options | error | {"validate": "date", "criteria": "between", "minimum": low, "maximum": high}
    return options | {"validate": "any"}


def _instructions(sheet, contract: Contract, formats: dict) -> None:
    sheet.set_column(0, 0, 34)
    sheet.set_column(1, 1, 11)
    sheet.set_column(2, 2, 70)
    sheet.set_column(3, 3, 45)
    sheet.write_string(0, 0, f"{contract.name}: how to fill this in", formats["title"])
    paragraphs = [
        f"{contract.purpose} Fill in one workbook per public body per quarter, and save it as an .xlsx file named "
        "for the body, year and quarter, for example dcms_return_2025-26_Q1.xlsx.",
        "Keep the sheet names and the heading row of each sheet exactly as they are: the return is read by sheet "
        "name and column heading. Write one row per item under the headings, starting on row 2.",
        "Required columns (their headings are yellow) must be filled in on every row you add. Leave any other cell blank when it does "
        "not apply or is not known. A sheet with nothing to report this quarter keeps just its heading row; the "
        "Summary sheet always has exactly one row.",
        "Dates are yyyy-mm-dd (for example 2025-06-30). Yes/No columns, and columns with a fixed set of values, "
        "have a dropdown list: choose from it. Numbers are whole numbers, without commas or units.",
        "Click a cell to see what to enter in it. Each sheet and its columns are described below.",
    ]
    row = 2
    for text in paragraphs:
        sheet.merge_range(row, 0, row, 3, text, formats["paragraph"])
        sheet.set_row(row, 15 * (1 + len(text) // 140))
        row += 1
    row += 1
    sheet.write_string(row, 0, "The sheets", formats["heading"])
    row += 1
    sheet.write_string(row, 0, "Sheet", formats["header"])
    sheet.merge_range(row, 1, row, 3, "What one row is", formats["header"])
    row += 1
    for dataset in contract.datasets:
        sheet.write_string(row, 0, dataset.physical_name, formats["wrap"])
        sheet.merge_range(row, 1, row, 3, dataset.description, formats["wrap"])
        row += 1
    for dataset in contract.datasets:
        row += 1
        sheet.write_string(row, 0, f"Sheet: {dataset.physical_name}", formats["heading"])
        row += 1
        sheet.merge_range(row, 0, row, 3, dataset.description, formats["paragraph"])
        row += 1
        sheet.write_row(row, 0, ["Column", "Required", "What to enter", "Allowed values or format"], formats["header"])
        row += 1
        for f in dataset.fields:
            sheet.write_string(row, 0, f.title, formats["wrap_bold"] if f.required else formats["wrap"])
            sheet.write_string(row, 1, "Required" if f.required else "", formats["wrap"])
            sheet.write_string(row, 2, f.description, formats["wrap"])
            sheet.write_string(row, 3, what_to_enter(f), formats["wrap"])
            row += 1
    sheet.activate()


def _data_sheet(book, dataset: Dataset, formats: dict) -> None:
    sheet = book.add_worksheet(dataset.physical_name)
    sheet.freeze_panes(1, 0)
    sheet.set_row(0, 45)
    last_row = 1 if dataset.name in ONE_ROW_DATASETS else LAST_ROW
    for col, f in enumerate(dataset.fields):
        widest = max([len(f.title) // 2 + 2, *(len(str(v)) + 4 for v in f.enum or ())], default=0)
        cell_format = {"date": formats["date"], "string": formats["text"]}.get(f.logical_type)
        sheet.set_column(col, col, max(14, min(40, widest)), cell_format)
        sheet.write_string(0, col, f.title, formats["required_header"] if f.required else formats["header"])
        sheet.data_validation(1, col, last_row, col, _validation(f))


def template(contract_id: str = "returns") -> bytes:
    """The blank workbook of a contract, as XLSX bytes."""
    contract = load_contract(contract_id)
    out = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # xlsxwriter only warns (and skips the cell) when a limit is broken
        book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False,
                                         "strings_to_urls": False})
        book.set_properties({"title": f"{contract.name} template", "subject": contract.purpose,
                             "comments": f"Generated from the {contract.id} data contract, version {contract.version}.",
                             "created": CREATED})
        formats = {
            "title": book.add_format({"bold": True, "font_size": 16}),
            "heading": book.add_format({"bold": True, "font_size": 13}),
            "paragraph": book.add_format({"text_wrap": True, "valign": "top"}),
            "wrap": book.add_format({"text_wrap": True, "valign": "top"}),
            "wrap_bold": book.add_format({"text_wrap": True, "valign": "top", "bold": True}),
            "header": book.add_format({"bold": True, "text_wrap": True, "valign": "top", "bg_color": "#DDDDDD", "border": 1}),
            "required_header": book.add_format({"bold": True, "text_wrap": True, "valign": "top", "bg_color": "#FFE699", "border": 1}),
            "date": book.add_format({"num_format": "yyyy-mm-dd"}),
            "text": book.add_format({"num_format": "@"}),
        }
        _instructions(book.add_worksheet(INSTRUCTIONS_SHEET), contract, formats)
        for dataset in contract.datasets:
            _data_sheet(book, dataset, formats)
        book.close()
    return out.getvalue()

"""Writing XLSX workbooks: a header row per sheet, typed cells, frozen header, sensible widths."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from pathlib import Path

import xlsxwriter

def write_workbook(
    path: Path,
    sheets: Iterable[tuple[str, Sequence[str], Iterable[Sequence]]],
    *,
    constant_memory: bool = True,
    created: dt.datetime | None = None,
) -> None:
    """Write `(sheet name, headers, rows)` triples to one workbook. Text is written as text, never as a formula.
    `created` is the creation time stored in the workbook's properties (default now): give one for files that must be
    byte-identical from run to run."""
    workbook = xlsxwriter.Workbook(
        str(path),
        {"constant_memory": constant_memory, "strings_to_formulas": False, "strings_to_urls": False,
         "strings_to_numbers": False, "default_date_format": "yyyy-mm-dd"},
    )
    if created is not None:
        workbook.set_properties({"created": created})
    bold = workbook.add_format({"bold": True, "bg_color": "#DDDDDD", "border": 1})
    date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
    for name, headers, rows in sheets:
        sheet = workbook.add_worksheet(name)
        sheet.freeze_panes(1, 0)
        for col, header in enumerate(headers):
            sheet.write_string(0, col, header, bold)
            sheet.set_column(col, col, max(12, min(45, len(header) + 2)))
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row):
                if value is None:
                    continue
                if isinstance(value, bool):
                    sheet.write_boolean(r, c, value)
                elif isinstance(value, (int, float)):
                    sheet.write_number(r, c, value)
                elif isinstance(value, dt.date):
                    sheet.write_datetime(r, c, dt.datetime(value.year, value.month, value.day), date_format)
                else:
                    sheet.write_string(r, c, str(value))
    workbook.close()

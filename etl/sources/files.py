"""Reading files as sent: encodings, delimiters, header titles, workbooks. Every cell comes back as text.

Each reader returns a polars frame of text columns plus `source_row`: the line (CSV), the sheet row (XLSX) or
the record number (JSON) that the row came from, so every error can name where it was.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass
from pathlib import Path

import polars as pl

MAX_LINE_BYTES = 1_000_000
MAX_WORKBOOK_BYTES = 512 * 1024**2  # what a workbook may decompress to; beyond it (a zip bomb) it is refused unread
OLE_SIGNATURE = bytes.fromhex("D0CF11E0A1B11AE1")  # an encrypted (password-protected) Office file, or an old .xls


@dataclass
class SourceError(Exception):
    """A file that cannot be loaded: names the file, where, and what was expected."""

    file: str
    message: str
    line: int | None = None
    column: str | None = None

    def __str__(self) -> str:
        where = []
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        return f"{self.file}: {', '.join(where) + ': ' if where else ''}{self.message}"


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def decode(data: bytes) -> tuple[str, str]:
    """Bytes -> (text, encoding): UTF-8 with or without a byte-order mark, else Windows-1252."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace"), "cp1252"


def sniff_delimiter(header_line: str) -> str:
    counts = {d: header_line.count(d) for d in (",", ";", "\t", "|")}
    return max(counts, key=counts.get) if max(counts.values()) else ","


def read_csv_text(path: Path, name: str) -> pl.DataFrame:
    """A delimited text file -> text columns + `source_row` (the file's line number of each record)."""
    data = path.read_bytes()
    if not data.strip():
        raise SourceError(name, "the file is empty; expected a header row and at least one data row", line=1)
    text, encoding = decode(data)
    first_line = text.split("\n", 1)[0]
    if len(first_line) > MAX_LINE_BYTES:
        raise SourceError(name, f"the header line is longer than {MAX_LINE_BYTES:,} characters", line=1)
    delimiter = sniff_delimiter(first_line)
    try:
        frame = pl.read_csv(
            data if encoding == "utf-8" else text.encode("utf-8"),
            separator=delimiter,
            infer_schema=False,
            has_header=True,
            truncate_ragged_lines=False,
            raise_if_empty=False,
        )
    except pl.exceptions.ComputeError as error:
        line = _first_bad_line(text, delimiter)
        raise SourceError(name, f"cannot be read as {delimiter!r}-delimited text ({_short(error)})", line=line) from None
    frame = frame.rename({c: c.strip() for c in frame.columns})
    # a record's line number: header is line 1; assumes no line breaks inside quoted cells, else counts records
    frame = frame.with_row_index("source_row", offset=2).with_columns(pl.col("source_row").cast(pl.Int64))
    return _drop_blank_rows(frame)


def _first_bad_line(text: str, delimiter: str) -> int | None:
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        width = None
        for number, row in enumerate(reader, start=1):
            if width is None:
                width = len(row)
            elif row and len(row) != width:
                return number
    except csv.Error:
        return reader.line_num
    return None


def _short(error: Exception) -> str:
    return str(error).strip().splitlines()[0][:200]


def _drop_blank_rows(frame: pl.DataFrame) -> pl.DataFrame:
    values = [c for c in frame.columns if c != "source_row"]
    if not values:
        return frame
    blank = pl.all_horizontal(pl.col(values).is_null() | (pl.col(values).cast(pl.Utf8).str.strip_chars() == ""))
    return frame.filter(~blank)


def open_workbook(path: Path, name: str):
    """An XLSX workbook opened once for reading its sheets (`.sheet_names`). A password-protected workbook, and one
    that would decompress to more than MAX_WORKBOOK_BYTES, are refused before anything is decompressed."""
    import zipfile

    import fastexcel

    with open(path, "rb") as f:
        if f.read(len(OLE_SIGNATURE)) == OLE_SIGNATURE:
            raise SourceError(name, "is password-protected (an encrypted Office file) or an old .xls workbook; "
                                    "expected an XLSX workbook saved without a password")
    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(entry.file_size for entry in archive.infolist())
    except (zipfile.BadZipFile, OSError) as error:
        raise SourceError(name, f"cannot be opened as an XLSX workbook ({_short(error)})") from None
    if unpacked > MAX_WORKBOOK_BYTES:
        raise SourceError(name, f"would decompress to {unpacked / 1024**2:,.0f} MB; expected a workbook of at most "
                                f"{MAX_WORKBOOK_BYTES / 1024**2:,.0f} MB unpacked (is it a zip bomb?)")
    try:
        return fastexcel.read_excel(str(path))
    except Exception as error:  # a corrupt, encrypted or non-XLSX file
        raise SourceError(name, f"cannot be opened as an XLSX workbook ({_short(error)})") from None


def read_sheet(book, name: str, sheet: str | int) -> pl.DataFrame:
    """One sheet (by name or 0-based index) of an open workbook -> text columns + `source_row` (the sheet's row).
    Rows with every cell blank are left out (they are not records)."""
    try:
        table = book.load_sheet(sheet, dtypes="string").to_arrow()
    except Exception as error:
        raise SourceError(name, f"sheet {sheet!r} cannot be read ({_short(error)})") from None
    headers = [str(c).strip() for c in table.column_names]
    columns = table.to_pydict()
    values = list(columns.values())
    keep = [i for i in range(table.num_rows) if any(v[i] is not None and str(v[i]).strip() for v in values)]
    data = {"source_row": [i + 2 for i in keep]}
    for header, column in zip(headers, values):
        if header in data:
            header = f"{header} ({len(data)})"
        data[header] = [column[i] for i in keep]
    return pl.DataFrame(data, schema={h: (pl.Int64 if h == "source_row" else pl.Utf8) for h in data})


def title_key(title: str) -> str:
    """Flattened titles are matched ignoring case and spacing: 'Grant Programme: Title' == 'grant programme:title'.
    The first of a repeated field ('Beneficiary Location:0:Geographic Code') matches the plain title."""
    key = re.sub(r"\s*:\s*", ":", title.strip().lower())
    key = re.sub(r"\s+", " ", key)
    return re.sub(r":0:", ":", key)


def match_titles(frame: pl.DataFrame, titles: dict[str, str], name: str, required: list[str]) -> tuple[pl.DataFrame, list[str]]:
    """Rename columns whose title matches a contract field (field name -> title) to the field's name.
    Returns the frame and the list of publisher columns kept as they are (extras). Raises SourceError naming the
    first missing required column."""
    wanted = {title_key(t): f for f, t in titles.items()}
    renames, extras, seen = {}, [], set()
    for column in frame.columns:
        if column == "source_row":
            continue
        field = wanted.get(title_key(column))
        if field and field not in seen:
            renames[column] = field
            seen.add(field)
        else:
            extras.append(column)
    missing = [f for f in required if f not in seen]
    if missing:
        raise SourceError(
            name,
            f"required column {titles[missing[0]]!r} is missing"
            + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else "")
            + "; found: " + ", ".join(repr(c) for c in frame.columns if c != "source_row")[:300],
            line=1,
            column=titles[missing[0]],
        )
    present = {field: column for column, field in renames.items()}
    out = frame.select(
        "source_row",
        *[pl.col(present[f]).alias(f) if f in present else pl.lit(None, pl.Utf8).alias(f) for f in titles],
        *extras,
    )
    return out, extras


def extras_as_json(frame: pl.DataFrame, extras: list[str]) -> pl.DataFrame:
    """Publisher columns not in the contract are kept in one JSON text column, `extra_fields`."""
    if not extras:
        return frame.with_columns(pl.lit(None, pl.Utf8).alias("extra_fields"))
    packed = pl.struct([pl.col(c).alias(c) for c in extras]).struct.json_encode()
    return frame.with_columns(packed.alias("extra_fields")).drop(extras)

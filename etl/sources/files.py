"""Reading files as sent: encodings, delimiters, header titles, workbooks. Every cell comes back as text.

Each reader returns a polars frame of text columns plus `source_row`: the line (CSV), the sheet row (XLSX) or
the record number (JSON) that the row came from, so every error can name where it was.

An error names the file, where and what was expected. It quotes a value from the file only when the value is short
and plain (`etl.normalise.quoted`), and never for a confidential source (`confidential=True`): a header-less issue log's
first row is a reporter's details. A library's own error text, which can quote the file, is never passed on whole.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from etl.normalise import quotable, quoted

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


@contextmanager
def unforeseen_errors(name: str, expected: str, confidential: bool = False):
    """A reader's error that nobody foresaw refuses its file as a SourceError saying what was expected, with the error's
    kind and (for a public source, when it is plain) its first line: its text may quote the file."""
    try:
        yield
    except SourceError:
        raise
    except Exception as error:
        said = type(error).__name__ if confidential else _short(error)
        raise SourceError(name, f"could not be read ({said}); expected {expected}") from None


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


DELIMITER_WORDS = {",": "commas", ";": "semicolons", "\t": "tabs", "|": "vertical bars"}


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
    except pl.exceptions.ComputeError:  # polars' message quotes the file: ours says where and what was expected
        line, problem = _first_bad_line(text, delimiter)
        raise SourceError(name, problem, line=line) from None
    frame = frame.rename(_stripped(frame.columns))
    # a record's line number: header is line 1; assumes no line breaks inside quoted cells, else counts records
    frame = frame.with_row_index("source_row", offset=2).with_columns(pl.col("source_row").cast(pl.Int64))
    return _drop_blank_rows(frame)


def _first_bad_line(text: str, delimiter: str) -> tuple[int | None, str]:
    """Where a delimited text first breaks (the first line of the record) and what was expected there, in words of
    our own."""
    words = DELIMITER_WORDS[delimiter]
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, strict=True)
    width, start = None, 1
    try:
        for row in reader:
            if width is None:
                width = len(row)
            elif row and len(row) != width:
                return start, (f"has {len(row)} fields where the header row has {width}; expected {width} fields on "
                               f"every line, separated by {words}")
            start = reader.line_num + 1
    except csv.Error as error:  # the csv module's messages are its own words ('unexpected end of data'), never the file's
        return start, (f"cannot be read as text separated by {words} ({str(error)[:100]}); expected every quoted cell "
                       "to be closed")
    return None, (f"cannot be read as text separated by {words}; expected a header row and rows of the same number of "
                  "fields")


def _stripped(columns: list[str]) -> dict[str, str]:
    """Column titles without surrounding spaces; a title that would then repeat another gets its position added."""
    names, seen = {}, set(columns)
    for number, column in enumerate(columns, start=1):
        name = column.strip()
        if name != column and name in seen:
            name = f"{name} ({number})"
        names[column] = name
        seen.add(name)
    return names


def _short(error: Exception) -> str:
    """A library's error in a few words: its first line when it is plain text, else only the kind of error (the text
    of some errors quotes the file)."""
    first = (str(error).strip().splitlines() or [""])[0][:60]
    return first if quotable(first) else type(error).__name__


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
        raise SourceError(name, f"sheet {quoted(sheet) if isinstance(sheet, str) else sheet + 1} cannot be read "
                                f"({_short(error)}); expected a sheet of text and numbers") from None
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


def match_titles(frame: pl.DataFrame, titles: dict[str, str], name: str, required: list[str],
                 confidential: bool = False) -> tuple[pl.DataFrame, list[str]]:
    """Rename columns whose title matches a contract field (field name -> title) to the field's name.
    Returns the frame and the list of publisher columns kept as they are (extras). Raises SourceError naming the
    first missing required column and the titles found (for a `confidential` source, only how many: a file without
    a header row has a record in its place)."""
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
        columns = [c for c in frame.columns if c != "source_row"]
        if confidential:
            raise SourceError(
                name, f"the first row does not hold the expected column titles {', '.join(titles[f] for f in required)} "
                f"(missing: {', '.join(titles[f] for f in missing)}; the row has {len(columns)} cells, not quoted here); "
                "expected a header row", line=1, column=titles[missing[0]])
        raise SourceError(
            name,
            f"required column {titles[missing[0]]!r} is missing"
            + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else "")
            + "; found: " + found_titles(columns),
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


def found_titles(columns: list[str]) -> str:
    """The column titles a file has, as an error lists them: each plain one `quoted`, the others only counted."""
    shown = [quoted(c) for c in columns if quotable(c)]
    hidden = len(columns) - len(shown)
    listed = ""
    for title in shown:  # whole titles, up to about 300 characters
        if len(listed) + len(title) > 300:
            listed += ", …"
            break
        listed += (", " if listed else "") + title
    if hidden:
        listed += f"{', and ' if listed else ''}{hidden} not shown (symbols, or over 60 characters)"
    return listed or "no columns"


def extras_as_json(frame: pl.DataFrame, extras: list[str]) -> pl.DataFrame:
    """Publisher columns not in the contract are kept in one JSON text column, `extra_fields`."""
    if not extras:
        return frame.with_columns(pl.lit(None, pl.Utf8).alias("extra_fields"))
    packed = pl.struct([pl.col(c).alias(c) for c in extras]).struct.json_encode()
    return frame.with_columns(packed.alias("extra_fields")).drop(extras)

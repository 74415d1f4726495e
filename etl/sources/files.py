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
import json
import os
import re
import signal
import stat
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from etl.normalise import READ_PROBLEM, UNCALCULATED, quotable, quoted

# The limits on what a file may be, declared once and checked before the work is done: a file beyond one is refused
# alone, saying which limit and what was expected.
MAX_FILE_BYTES = 1024**3  # a funder's year of grants is a few hundred MB at most (the 10M-award demo's largest: 93 MB)
MAX_FOLDER_FILES = 100_000  # files a build reads from one inbox folder (50,000 small ones take 12 minutes and 868 MB)
MAX_READ_SECONDS = 600  # one file's read: a file on a stalled network share is refused, not waited on for ever
MAX_LINE_BYTES = 1_000_000  # a header line
csv.field_size_limit(MAX_FILE_BYTES)  # a long value is the reader's to judge (normalise.without_long_values), not the csv module's
MAX_WORKBOOK_BYTES = 512 * 1024**2  # what a workbook may decompress to; beyond it (a zip bomb) it is refused unread
MAX_SHEET_CELLS = 20_000_000  # a sheet's furthest row times its furthest column: 200,000 grants of 100 columns
# a 360Giving grant is 4 levels deep. A file too deep for Python's JSON reader (about 1,000 levels) is read with a
# deeper stack, and its grants nested more than MAX_JSON_DEPTH are set aside alone; beyond DEEPEST_JSON, it is refused
MAX_JSON_DEPTH = 32
DEEPEST_JSON = 100_000  # a JSON file nested deeper than this (a file of nothing but brackets) is refused whole
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


# what could act in a page or a terminal (tags, links, LaTeX, control characters), or hide in a name (characters
# that show nothing or turn text round: a zero-width space makes 'grants.csv' a second file that looks the same)
INVISIBLE = "\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb"
MARKUP_IN_NAMES = re.compile(f"[<>\\[\\]`$\\x00-\\x1f\\x7f-\\x9f{INVISIBLE}]")


def file_name(path: Path, folder: str) -> str:
    """An inbox file's name as recorded and shown (folder/name): a name that is not UTF-8 is shown with its bytes
    escaped ('caf\\xe9.csv'), and one holding characters of markup or control (MARKUP_IN_NAMES) with those escaped
    ('\\x3cimg\\x3e.csv'), so it can be written anywhere, a published message included; `admit` refuses such a file."""
    shown = os.fsencode(path.name).decode("utf-8", "backslashreplace")
    return folder + "/" + MARKUP_IN_NAMES.sub(lambda m: "\\x%02x" % ord(m.group()) if ord(m.group()) < 256 else
                                              "\\u%04x" % ord(m.group()), shown)


def within_folder_limit(number: int, count: int, name: str, folder: str) -> None:
    """Refuses the files of a folder after its first MAX_FOLDER_FILES in reading order (`number` counts from 0), so
    a folder of a million files cannot keep a build running for days; the others are read."""
    if number >= MAX_FOLDER_FILES:
        raise SourceError(name, f"was not read: {folder}/ holds {count:,} files, and a build reads the first "
                                f"{MAX_FOLDER_FILES:,} of a folder (by name); expected fewer, larger files (one a "
                                "funder a year, say)")


def admit(path: Path, name: str, suffixes: tuple[str, ...], folder: str) -> tuple[str, tuple]:
    """An inbox file's checksum and its signature (size, modification time, inode: `unchanged` compares them after
    the read), or a SourceError saying why it is not read: not a plain file (a symbolic link, folder, pipe or device,
    which could hang a read), a name that is not UTF-8, a file type its folder does not take, larger than
    MAX_FILE_BYTES, or one the build may not open."""
    info = path.lstat()
    if stat.S_ISLNK(info.st_mode):
        raise SourceError(name, "is a symbolic link; put the file itself in the inbox")
    if stat.S_ISDIR(info.st_mode):
        raise SourceError(name, f"is a folder, and its files were not read; put them directly in {folder}/")
    if not stat.S_ISREG(info.st_mode):
        raise SourceError(name, "is not a file but a pipe, socket or device; expected a file saved in the inbox")
    if name != f"{folder}/{path.name}":
        if MARKUP_IN_NAMES.search(path.name):
            raise SourceError(name, "has a name holding angle or square brackets, a backtick, a dollar sign, or a "
                                    "control or invisible character (shown as \\x or \\u escapes), which a page or a terminal "
                                    "could act on, or which makes it look like another file's name; expected the file renamed with letters, digits, "
                                    "spaces and - _ . ( )")
        raise SourceError(name, "has a name that is not UTF-8 text (shown with its bytes as \\x escapes); "
                                "expected the file renamed with letters, digits and spaces")
    if path.suffix.lower() not in suffixes:
        kind = f"file type {quoted(path.suffix)}" if quotable(path.suffix) else "no file type" if not path.suffix else "an unusual file type"
        raise SourceError(name, f"has {kind}; files in {folder}/ must be one of {', '.join(suffixes)}")
    if info.st_size > MAX_FILE_BYTES:
        raise SourceError(name, f"is {info.st_size / 1024**2:,.0f} MB; expected a file of at most "
                                f"{MAX_FILE_BYTES / 1024**2:,.0f} MB (split a larger one by year)")
    try:
        digest = sha256(path)
    except OSError as error:
        raise SourceError(name, f"cannot be opened ({error.strerror or type(error).__name__}); expected a file the build "
                                "may read") from None
    return digest, signature(path)


def signature(path: Path) -> tuple:
    info = path.stat()
    return info.st_size, info.st_mtime_ns, info.st_ino


def unchanged(path: Path, name: str, before: tuple) -> None:
    """Refuses a file that changed since it was admitted (its checksum would not be of the bytes read)."""
    try:
        now = signature(path)
    except OSError:
        now = None
    if now != before:
        raise SourceError(name, "changed while the build was reading it; expected a file that stays as it is during "
                                "a build (the next build reads it)")


class _OutOfTime(BaseException):
    """Raised by the timer of time_limit: a BaseException, so that no reader's own error handling takes it."""


@contextmanager
def time_limit(name: str, seconds: float | None = None):
    """Refuses a read still going after `seconds` (MAX_READ_SECONDS), with a SourceError saying so. Python delivers
    the timer's signal to the main thread between steps of its own code, and retries a read the signal interrupted
    only after running it; elsewhere than a main thread the read is not limited."""
    seconds = MAX_READ_SECONDS if seconds is None else seconds
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield
        return

    def out_of_time(signum, frame):
        raise _OutOfTime()

    previous = signal.signal(signal.SIGALRM, out_of_time)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    except _OutOfTime:
        raise SourceError(name, f"was still being read after {seconds:,.0f} seconds; expected a file that can be read in "
                                "that time (is it on a network share that has stopped answering?)") from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


class KeyGivenTwice(dict):
    """A JSON object in which a key was given twice (`key`; the object holds the last value): `marked_keys` makes
    these, so a reader can set aside the record holding one, not its whole file."""

    key: str = ""
    made = 0  # how many this process has made: a reader compares the count before and after a parse


def marked_keys(pairs: list[tuple[str, object]]) -> dict:
    """json.loads' object_pairs_hook: an object of the document, as a KeyGivenTwice when a key appears twice in it."""
    found = dict(pairs)
    if len(found) != len(pairs):
        seen: set[str] = set()
        found = KeyGivenTwice(found)
        found.key = next(key for key, _ in pairs if key in seen or seen.add(key))
        KeyGivenTwice.made += 1
    return found


def key_given_twice(value: object) -> str | None:
    """The first key given twice in any object within `value` (KeyGivenTwice), without recursion; else None."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, KeyGivenTwice):
            return item.key
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return None


def deep_json(text: str, hook) -> object:
    """`json.loads` of a document too deep for Python's usual recursion limit (a grant nested a thousand levels, say),
    in a thread of its own with stack enough for DEEPEST_JSON levels; deeper than that raises RecursionError. The
    caller then sets aside, alone, what is deeper than MAX_JSON_DEPTH (`nesting`)."""
    import sys

    result: dict[str, object] = {}

    def parse() -> None:
        try:
            result["document"] = json.loads(text, object_pairs_hook=hook)
        except BaseException as error:  # raised again in the caller's thread
            result["error"] = error

    limit, stack = sys.getrecursionlimit(), threading.stack_size()
    sys.setrecursionlimit(DEEPEST_JSON + 1_000)
    threading.stack_size(DEEPEST_JSON * 2_048)  # the parser's frames: about 1 KB a level, so twice that
    try:
        reader = threading.Thread(target=parse, name="deep-json")
        reader.start()
        reader.join()
    finally:
        threading.stack_size(stack)
        sys.setrecursionlimit(limit)
    if "error" in result:
        raise result["error"]
    return result["document"]


def nesting(value: object) -> int:
    """How many levels of lists and objects `value` holds (a number is 0, [1] is 1), without recursion."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
        else:
            continue
        deepest = max(deepest, depth + 1)
    return deepest


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# What a file is, from its first bytes: a file that is not text is refused with what it is, never with its bytes
SIGNATURES = (
    (b"\x1f\x8b", "is gzip-compressed; expected the file itself (decompress it first)"),
    (b"PK\x03\x04", "is a zip file (an XLSX workbook, or a zip archive); expected text (save a workbook as .xlsx, or "
                    "unzip an archive)"),
    (OLE_SIGNATURE, "is an old .xls workbook or a password-protected Office file; expected text"),
    (b"%PDF", "is a PDF; expected text"),
    (b"BZh", "is bzip2-compressed; expected the file itself (decompress it first)"),
    (b"\xfd7zXZ\x00", "is xz-compressed; expected the file itself (decompress it first)"),
    (b"7z\xbc\xaf\x27\x1c", "is a 7-Zip archive; expected the file itself (extract it first)"),
)


BINARY_NULS = 8  # NUL bytes in a file's first 64 KB beyond which it is binary; fewer are a stray in a cell (its row is set aside)
NUL_IN_ROW = "holds a NUL byte (character 0), which text never holds; expected text"


def not_text(data: bytes, name: str, expected: str) -> None:
    """Refuses bytes that are not text (SIGNATURES, or more than BINARY_NULS NUL bytes, outside UTF-16), saying what
    they are instead."""
    for signature, what in SIGNATURES:
        if data.startswith(signature):
            raise SourceError(name, f"{what.replace('expected text', f'expected {expected}')}")
    if data[:65536].count(b"\x00") > BINARY_NULS and _utf16(data) is None:
        raise SourceError(name, f"holds NUL bytes, so it is not text (a binary file?); expected {expected}")


def _utf16(data: bytes) -> str | None:
    """'utf-16' when the bytes are UTF-16 (a byte-order mark, or every other byte of the start NUL), else None."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    start = data[:4096]
    if len(start) >= 4 and start[1::2].count(0) > 0.9 * len(start[1::2]):
        return "utf-16-le"
    if len(start) >= 4 and start[0::2].count(0) > 0.9 * len(start[0::2]):
        return "utf-16-be"
    return None


# a character of two or more bytes, as only UTF-8 writes it: a lead byte (\xc2-\xf4) and a following byte (\x80-\xbf),
# found by marking each byte as one or the other (a regular expression over a large file takes three times as long)
_UTF8_BYTES = bytes(ord("L") if 0xC2 <= b <= 0xF4 else ord("F") if 0x80 <= b <= 0xBF else ord(".") for b in range(256))


def utf8_sequence(data: bytes) -> bool:
    return b"LF" in data.translate(_UTF8_BYTES)


MIXED_ENCODING = "utf-8 with bytes of another encoding"
NOT_UTF8 = ("holds bytes that are not UTF-8 in a file that is otherwise UTF-8, so its text cannot be read for certain; "
            "expected one encoding for the whole file (save it as UTF-8)")


NOT_CP1252 = ("holds bytes that are neither UTF-8 nor Windows-1252 (is the file in another encoding, such as Mac Roman?), "
              "so its text cannot be read for certain; expected the file saved as UTF-8")


def decode(data: bytes) -> tuple[str, str]:
    """Bytes -> (text, encoding), by content: UTF-8 with or without a byte-order mark, UTF-16 (Excel's "Unicode
    text"), else Windows-1252."""
    body, marked = (data[3:], True) if data.startswith(b"\xef\xbb\xbf") else (data, False)
    wide = None if marked else _utf16(data)
    if wide:
        return data.decode(wide, errors="replace").lstrip("\ufeff"), wide
    try:
        return body.decode("utf-8"), "utf-8-sig" if marked else "utf-8"
    except UnicodeDecodeError:
        if marked or utf8_sequence(body):  # UTF-8 with stray bytes of another encoding: those stay marked (\ufffd)
            return body.decode("utf-8", errors="replace"), MIXED_ENCODING
        return data.decode("cp1252", errors="replace"), "cp1252"


def sniff_delimiter(header_line: str, text: str = "") -> str:
    """The file's delimiter, of comma, semicolon, tab and bar: the one that splits the first lines of `text` into as
    many fields as the header (a title with semicolons in it does not make a comma file a semicolon one), else the
    commonest in the header line outside quoted titles."""
    counts = {d: re.sub(r'"[^"]*"', "", header_line).count(d) for d in (",", ";", "\t", "|")}
    if not max(counts.values()):
        return ","
    sample = text[:65536]
    consistent = []
    for delimiter in (d for d in counts if counts[d]):
        try:
            rows = [row for row, _ in zip(csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter), range(20))]
        except csv.Error:
            continue
        rows = rows[:-1] if len(rows) > 2 and len(sample) == 65536 else rows  # the last may be cut off
        if len(rows) > 1 and all(len(r) == len(rows[0]) for r in rows[1:] if any(c.strip() for c in r)):
            consistent.append(delimiter)
    chosen = consistent or list(counts)
    return max(chosen, key=counts.get)


DELIMITER_WORDS = {",": "commas", ";": "semicolons", "\t": "tabs", "|": "vertical bars"}
EXCEL_SEPARATOR = re.compile(r'"?sep=([,;\t|])"?,*')


def read_csv_text(path: Path, name: str, judge_rows: bool = False) -> pl.DataFrame:
    """A delimited text file -> text columns + `source_row` (the line each record starts on). Encoding, delimiter
    and what the file is are told from its content, not its name. A record with more or fewer fields than the header
    row is, with `judge_rows`, kept as a row of nothing but its `read_problem` (so it is quarantined and the rest of
    the file loads); without, it refuses the file (a lookup, which is read whole or not at all)."""
    data = path.read_bytes()
    body = data.removeprefix(b"\xef\xbb\xbf").removeprefix(b"\xff\xfe").removeprefix(b"\xfe\xff")
    if not body[:65536].strip(b" \t\r\n\x00") and not body.strip(b" \t\r\n\x00"):  # the start alone, as a rule
        raise SourceError(name, "the file is empty; expected a header row and at least one data row", line=1)
    expected = "text separated by commas (CSV)"
    not_text(data, name, expected)
    text, encoding = decode(data)
    lead = len(text) - len(text.lstrip("\r\n"))  # blank lines above the header: passed over, and counted
    if lead:
        skipped, text, encoding = len(LINE_END.findall(text[:lead])), text[lead:], "re-encoded"
    else:
        skipped = 0
    first_line = LINE_END.split(text, 1)[0]
    said = EXCEL_SEPARATOR.fullmatch(first_line)  # Excel's 'sep=;' line above the header names the delimiter
    if said:
        text, skipped, encoding = text[len(first_line):].lstrip("\r\n"), skipped + 1, "re-encoded"
        first_line = LINE_END.split(text, 1)[0]
    if len(first_line) > MAX_LINE_BYTES:
        raise SourceError(name, f"the header line is longer than {MAX_LINE_BYTES:,} characters", line=1 + skipped)
    delimiter = said.group(1) if said else sniff_delimiter(first_line, text)
    records, header = _records(text, delimiter, name)
    records = records.with_columns(pl.col("start") + skipped, pl.int_range(pl.len()).alias("record"))
    kept = records.slice(1).filter(~pl.col("blank"))  # the records under the header holding a value: the rows
    if len(header) > 1 and not header[-1].strip() and kept.height and (kept["width"] == len(header) - 1).all():
        header = header[:-1]  # a delimiter ending the header line alone: no column, not a ragged row under it
    width = len(header)
    ragged = records.filter((pl.col("width") != width) & ~pl.col("blank"))
    if ragged.height and not judge_rows:
        raise SourceError(name, _ragged(ragged["width"][0], width, delimiter), line=ragged["start"][0])
    places = [f"_{c}" for c in range(width)]  # the columns by place until their titles are settled (_titled)
    frame = None
    if not ragged.height:
        try:
            frame = pl.read_csv(data if encoding == "utf-8" else text.encode("utf-8"), separator=delimiter, new_columns=places,
                                infer_schema=False, has_header=True, truncate_ragged_lines=False, raise_if_empty=False)
            frame = _drop_blank_rows(frame)
        except pl.exceptions.PolarsError:  # polars reads lines otherwise (\r alone ends none for it): as the csv module does
            frame = None
    if frame is None or frame.height != kept.height:  # ragged records, or lines polars reads otherwise: row by row
        rows, widths = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)), records["width"].to_list()
        numbers = kept["record"].to_list()
        frame = pl.DataFrame({place: [rows[i][c] if widths[i] == width else None for i in numbers]
                              for c, place in enumerate(places)}, schema={place: pl.Utf8 for place in places})
    problems = {found: _ragged(found, width, delimiter) for found in kept["width"].unique() if found != width}
    frame = frame.with_columns(kept["start"].alias("source_row"),
                               kept["width"].replace_strict(problems, default=None, return_dtype=pl.Utf8).alias(READ_PROBLEM))
    frame = _titled(frame, header, name, judge_rows)
    # rows holding stray bytes of another encoding, or a stray NUL, cannot be read for certain; the others can
    strays = {MIXED_ENCODING: (("\ufffd", NOT_UTF8),), "cp1252": (("\ufffd", NOT_CP1252),)}.get(encoding, ())
    for stray, problem in strays + ((("\x00", NUL_IN_ROW),) if "\x00" in text else ()):
        marked = pl.any_horizontal(pl.col(c).str.contains(stray, literal=True).fill_null(False)
                                   for c in frame.columns if c not in ("source_row", READ_PROBLEM))
        if not judge_rows:
            first = frame.filter(marked)["source_row"]
            raise SourceError(name, problem, line=first[0] if len(first) else None)
        frame = frame.with_columns(pl.coalesce(pl.col(READ_PROBLEM), pl.when(marked).then(pl.lit(problem))).alias(READ_PROBLEM))
    return frame if judge_rows else frame.drop(READ_PROBLEM)


def _titled(frame: pl.DataFrame, header: list[str], name: str, judge_rows: bool) -> pl.DataFrame:
    """The columns `_0`, `_1` ... named by their titles (`header`), spaces taken off; an empty title is named by its
    place ('column 3'). A title that appears more than once is one column: in each row the value its copies hold
    (blank copies are passed over); copies with different values are, with `judge_rows`, the row's `read_problem`,
    and without, refuse the file."""
    titles: dict[str, list[str]] = {}
    for number, title in enumerate(header, start=1):
        titles.setdefault(title.strip() or f"column {number}", []).append(f"_{number - 1}")
    merged, problems = [], []
    for title, places in titles.items():
        if len(places) == 1:
            merged.append(pl.col(places[0]).alias(title))
            continue
        if not judge_rows:
            raise SourceError(name, f"has {len(places)} columns titled {quoted(title)}; expected each title once", line=1)
        given = pl.concat_list(pl.when(pl.col(p).str.strip_chars() != "").then(pl.col(p)) for p in places).list.drop_nulls()
        merged.append(given.list.first().alias(title))  # each copy once in the expressions: linear in the copies
        problems.append(pl.when(given.list.unique().list.len() > 1).then(pl.lit(
            f"column {quoted(title)} appears {len(places)} times, with different values in this row; expected the title once")))
    problem = pl.coalesce(pl.col(READ_PROBLEM), *problems) if problems else pl.col(READ_PROBLEM)
    return frame.select("source_row", *merged, problem.alias(READ_PROBLEM))


RECORDS = {"start": pl.Int64, "width": pl.Int64, "blank": pl.Boolean}


def _records(text: str, delimiter: str, name: str) -> tuple[pl.DataFrame, list[str]]:
    """Each record's first line, number of fields, and whether it is blank (no field with anything in it), as a
    frame (RECORDS), and the header row's titles, read
    with the csv module (which takes any line ending, \\r alone included, and line breaks inside quoted cells). A file
    whose last record runs on over several lines with an odd number of quotes has a quoted cell never closed: it is
    refused, saying where the record starts (the rows inside it cannot be told apart). A file whose every line is a
    whole record is read a line at a time by polars instead (_records_by_line), to the same answer."""
    if (by_line := _records_by_line(text, delimiter)) is not None:
        return by_line
    starts, widths, blank, header = [], [], [], []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    line = 1
    try:
        for row in reader:
            if not starts:
                header = row
            starts.append(line)
            widths.append(len(row))
            blank.append(not any(cell.strip() for cell in row))
            line = reader.line_num + 1
    except csv.Error as error:  # the csv module's own words, never the file's
        raise SourceError(name, f"cannot be read as text separated by {DELIMITER_WORDS[delimiter]} ({str(error)[:100]})",
                          line=line) from None
    if len(widths) > 1 and line - starts[-1] > 1 and _from_line(text, starts[-1]).count(QUOTE) % 2:
        raise SourceError(name, "a quoted cell is never closed, so the rest of the file reads as one cell; expected "
                                "every quoted cell to be closed", line=starts[-1])
    return pl.DataFrame({"start": starts, "width": widths, "blank": blank}, schema=RECORDS), header


LINE_BLOCK_CHARS = 8 * 1024**2  # a file's lines are judged this many characters at a time: memory stays bounded by a block


def _records_by_line(text: str, delimiter: str) -> tuple[pl.DataFrame, list[str]] | None:
    """`_records` for a file in which every line is one whole record, as almost every file is: each line's fields
    plain or quoted whole ("a ""b"", c"), no quoted line break, no \\r alone and no NUL. Its lines are judged by
    polars, a block of LINE_BLOCK_CHARS at a time, rather than by the csv module one at a time (a third of reading a
    large CSV; a 263 MB file judged whole took 1.2 GB more than the csv module). Any other file is None, and is read
    by the csv module."""
    if not text or "\x00" in text or text.count("\r") != text.count("\r\n"):
        return None
    d = re.escape(delimiter)
    quoted_field = '"(?:[^"]|"")*"'
    field = f'(?:{quoted_field}|[^"{d}]*)'
    judged, header, begin = [], None, 0
    while begin < len(text):
        end = text.find("\n", begin + LINE_BLOCK_CHARS)
        end = len(text) if end == -1 else end + 1  # a block ends at the end of a line
        block = text[begin:end]
        begin = end
        lines = pl.Series([block]).str.split("\n").explode()
        if block.endswith("\n"):
            lines = lines.head(-1)  # a block's last line end ends no record after it
        if "\r" in block:
            lines = lines.str.strip_suffix("\r")
        part = pl.DataFrame({"line": lines}).select(
            whole=pl.col("line").str.contains(f"^{field}(?:{d}{field})*$"),
            width=pl.when(pl.col("line") == "").then(0)
            .otherwise(pl.col("line").str.replace_all(quoted_field, "").str.count_matches(delimiter, literal=True) + 1),
            # a line of nothing but spaces, delimiters and quotes may be blank: the csv module says whether it is
            maybe_blank=~pl.col("line").str.contains(f'[^\\s"{d}\\x1c-\\x1f]'))
        if not part["whole"].all():
            return None
        maybe = part["maybe_blank"].arg_true()
        blank = part["maybe_blank"].scatter(maybe, [not any(cell.strip() for row in csv.reader([lines[number]], delimiter=delimiter)
                                                            for cell in row) for number in maybe])
        if header is None:
            header = next(csv.reader([lines[0]], delimiter=delimiter), [])
        judged.append(part.select(pl.col("width").cast(pl.Int64), blank.alias("blank")))
    records = pl.concat(judged).select(pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("start"), "width", "blank")
    return records, header


QUOTE = '"'
LINE_END = re.compile(r"\r\n|\r|\n")


def _from_line(text: str, line: int) -> str:
    """The text from the start of line `line` (1 the first) to its end."""
    position = 0
    for number, end in enumerate(LINE_END.finditer(text), start=2):
        if number > line:
            break
        position = end.end()
    return text[position:]


def _ragged(found: int, width: int, delimiter: str) -> str:
    return (f"the line has {found} fields where the header row has {width}; expected {width} fields separated by "
            f"{DELIMITER_WORDS[delimiter]} (a value with a {DELIMITER_WORDS[delimiter][:-1]} in it goes in quotes)")


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


@dataclass
class SheetLayout:
    """Where a sheet's values start (its reader's table begins at the first row and column holding a value, so a
    table's place is not the sheet's) and its cells holding an Excel error (#N/A, #DIV/0!), which its reader reads as
    empty: they are given back as the text Excel shows, as a CSV saved from Excel holds them."""

    first_row: int = 1
    first_column: int = 1
    errors: dict[tuple[int, int], str] | None = None


@dataclass
class Workbook:
    """An open XLSX workbook: its reader, its sheets' names in order with those hidden (never read unless named),
    and each sheet's layout."""

    reader: object  # fastexcel's
    sheet_names: list[str]
    hidden: set[str]
    layouts: dict[str, SheetLayout]

    def load_sheet(self, sheet: str | int, **options):
        return self.reader.load_sheet(sheet, **options)

    def visible(self) -> list[str]:
        return [s for s in self.sheet_names if s not in self.hidden]

    def first_visible(self, name: str) -> str:
        """The first sheet a person opening the workbook sees (a hidden sheet can hold anything: old grants, lists)."""
        shown = self.visible()
        if not shown:
            raise SourceError(name, "has no visible sheet; expected the grants on the first visible sheet")
        return shown[0]


SHEET_NS = {"main": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
            "rel": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
            "pkg": "http://schemas.openxmlformats.org/package/2006/relationships"}
# cell tags, with or without a namespace prefix (<c> or <x:c>, as some writers put it)
CELL_REFERENCE = re.compile(rb"<(?:\w+:)?c\b[^>]*?\br=\"([A-Z]{1,3})([0-9]{1,7})\"")
# a cell holding a value (not a self-closed, only formatted one): its attributes, then an optional formula, then <v> or <is>
_FORMULA = rb"(?:<(?:\w+:)?f\b[^>]*?(?:/>|>[^<]*</(?:\w+:)?f>))?"
VALUE_CELL = re.compile(rb"<(?:\w+:)?c\b([^>]*?)(?<!/)>" + _FORMULA + rb"<(?:\w+:)?(?:v|is)\b")
ERROR_CELL = re.compile(rb"<(?:\w+:)?c\b([^>]*?\bt=\"e\"[^>]*?)(?<!/)>" + _FORMULA + rb"<(?:\w+:)?v>([^<]{1,20})</")
REFERENCE = re.compile(rb"\br=\"([A-Z]{1,3})([0-9]{1,7})\"")
# a formula saved without its value (by a program that does not calculate): its reader reads it as empty
FORMULA_ONLY = re.compile(rb"<(?:\w+:)?c\b([^>]*?)(?<!/)><(?:\w+:)?f\b[^>]*?(?:/>|>[^<]*</(?:\w+:)?f>)"
                          rb"(?:<(?:\w+:)?v\s*/>|<(?:\w+:)?v></(?:\w+:)?v>)?</(?:\w+:)?c>")


def open_workbook(path: Path, name: str) -> Workbook:
    """An XLSX workbook opened once for reading its sheets. A password-protected workbook, one that would decompress
    to more than MAX_WORKBOOK_BYTES, and one with a sheet whose cells reach beyond MAX_SHEET_CELLS (a stray cell at
    XFD1048576 makes a sheet of 17 billion cells) are refused before a sheet is loaded."""
    import zipfile

    import fastexcel

    with open(path, "rb") as f:
        if f.read(len(OLE_SIGNATURE)) == OLE_SIGNATURE:
            raise SourceError(name, "is password-protected (an encrypted Office file) or an old .xls workbook; "
                                    "expected an XLSX workbook saved without a password")
    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(entry.file_size for entry in archive.infolist())
            if unpacked > MAX_WORKBOOK_BYTES:
                raise SourceError(name, f"would decompress to {unpacked / 1024**2:,.0f} MB; expected a workbook of at most "
                                        f"{MAX_WORKBOOK_BYTES / 1024**2:,.0f} MB unpacked (is it a zip bomb?)")
            sheets = _sheets(archive)
            layouts = {sheet: _check_extent(archive, member, sheet, name) for sheet, (member, _) in sheets.items()}
    except SourceError:
        raise
    except Exception as error:  # not a zip, or not a workbook's parts
        raise SourceError(name, f"cannot be opened as an XLSX workbook ({_short(error)})") from None
    try:
        reader = fastexcel.read_excel(str(path))
    except Exception as error:  # a corrupt, encrypted or non-XLSX file
        raise SourceError(name, f"cannot be opened as an XLSX workbook ({_short(error)})") from None
    return Workbook(reader, list(reader.sheet_names), {s for s, (_, state) in sheets.items() if state != "visible"}, layouts)


def _sheets(archive) -> dict[str, tuple[str | None, str]]:
    """Each sheet's name -> (the part holding its cells, its state: visible, hidden or veryHidden), from the
    workbook's own parts (small XML, read with the standard library, which expands no external entity)."""
    from xml.etree import ElementTree

    names = set(archive.namelist())
    if "xl/workbook.xml" not in names:
        return {}
    book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    targets = {}
    if "xl/_rels/workbook.xml.rels" in names:
        for rel in ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels")).findall("pkg:Relationship", SHEET_NS):
            target = rel.get("Target", "")
            targets[rel.get("Id")] = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    found = {}
    for sheet in book.iterfind("main:sheets/main:sheet", SHEET_NS):
        member = targets.get(sheet.get(f"{{{SHEET_NS['rel']}}}id"))
        found[sheet.get("name", "")] = (member if member in names else None, sheet.get("state", "visible"))
    return found


def _column(letters: bytes) -> int:
    column = 0
    for letter in letters:
        column = column * 26 + letter - 64
    return column


def _check_extent(archive, member: str | None, sheet: str, name: str) -> SheetLayout:
    """Refuses a sheet whose cells reach further than MAX_SHEET_CELLS from A1 (its furthest row by its furthest
    column: what a reader allocates), read from the cells' references a megabyte at a time; on the way, the sheet's
    layout (where its values start, and its error cells)."""
    layout = SheetLayout()
    if member is None:
        return layout
    rows = columns = 0
    first = None  # (row, column) of the first cell holding a value
    scan_columns = has_errors = False
    tail = b""
    with archive.open(member) as part:
        while block := part.read(1 << 20):
            chunk = tail + block
            for letters, number in CELL_REFERENCE.findall(chunk):
                rows, columns = max(rows, int(number)), max(columns, _column(letters))
            if first is None and (found := VALUE_CELL.search(chunk)) and (where := REFERENCE.search(found.group(1))):
                first = (int(where.group(2)), _column(where.group(1)))
                scan_columns = first[1] > 1  # rows come in order, but a later row can start further left
            has_errors = has_errors or b't="e"' in chunk or FORMULA_ONLY.search(chunk) is not None
            tail = chunk[-4096:]
    if rows * columns > MAX_SHEET_CELLS:
        raise SourceError(name, f"sheet {quoted(sheet)} has a cell {columns:,} columns across and {rows:,} rows down, "
                                f"{rows * columns:,} cells from A1; expected at most {MAX_SHEET_CELLS:,} (is there a stray "
                                "value far below or to the right of the data?)")
    if first is None:
        return layout
    layout.first_row, layout.first_column = first
    if scan_columns or has_errors:  # rare: a second pass for the leftmost value and the error cells
        layout.errors = {}
        tail = b""
        with archive.open(member) as part:
            while block := part.read(1 << 20):
                chunk = tail + block
                if scan_columns:
                    for found in VALUE_CELL.finditer(chunk):
                        if where := REFERENCE.search(found.group(1)):
                            layout.first_column = min(layout.first_column, _column(where.group(1)))
                for found in ERROR_CELL.finditer(chunk):
                    if where := REFERENCE.search(found.group(1)):
                        text = found.group(2).decode("ascii", "replace")
                        layout.errors[(int(where.group(2)), _column(where.group(1)))] = text
                for found in FORMULA_ONLY.finditer(chunk):
                    if where := REFERENCE.search(found.group(1)):
                        layout.errors[(int(where.group(2)), _column(where.group(1)))] = UNCALCULATED
                tail = chunk[-4096:]
    return layout


def read_sheet(book: Workbook, name: str, sheet: str, empty: bool = False) -> pl.DataFrame | None:
    """One sheet of an open workbook -> text columns + `source_row` (the sheet's own row number) + `read_problem`
    (_titled: a title twice with different values). The header is the first row holding a value; rows with every cell
    blank are left out (they are not records). A cell holding an Excel error reads as the error's text (#N/A). A sheet
    with no value refuses the file, or with `empty` is None (a blank Sheet2 beside the data)."""
    try:
        table = book.load_sheet(sheet, header_row=None, dtypes="string").to_arrow()
    except Exception as error:
        raise SourceError(name, f"sheet {quoted(sheet)} cannot be read ({_short(error)}); expected a sheet of text and "
                                "numbers") from None
    layout = book.layouts.get(sheet) or SheetLayout()
    values = [table.column(i).to_pylist() for i in range(table.num_columns)]
    for (row, column), text in (layout.errors or {}).items():
        r, c = row - layout.first_row, column - layout.first_column
        if 0 <= c < len(values) and 0 <= r < len(values[c]) and values[c][r] is None:
            values[c][r] = text
    if not values or not values[0]:
        if empty:
            return None
        raise SourceError(name, f"sheet {quoted(sheet)} is empty; expected a header row and rows of data")
    headers = ["" if v[0] is None else str(v[0]) for v in values]
    keep = [i for i in range(1, table.num_rows) if any(v[i] is not None and str(v[i]).strip() for v in values)]
    data = {"source_row": [layout.first_row + i for i in keep]} | {f"_{c}": [column[i] for i in keep] for c, column in enumerate(values)}
    frame = pl.DataFrame(data, schema={h: (pl.Int64 if h == "source_row" else pl.Utf8) for h in data})
    return _titled(frame.with_columns(pl.lit(None, pl.Utf8).alias(READ_PROBLEM)), headers, name, judge_rows=True)


def data_sheet(book: Workbook, name: str, titles: dict[str, str], required: list[str], what: str) -> pl.DataFrame:
    """The one visible sheet holding the required titles, read (`read_sheet`), whatever it is called and wherever it
    is (a notes sheet may come first; blank sheets are passed over). None holding them: the first visible sheet with
    a value, so `match_titles` says what is missing. More than one: the file is refused, naming them, as reading one would leave the others out unsaid."""
    wanted = {title_key(titles[f]) for f in required}
    read = [(sheet, frame) for sheet in book.visible() if (frame := read_sheet(book, name, sheet, empty=True)) is not None]
    holding = [(sheet, frame) for sheet, frame in read if wanted <= {title_key(c) for c in frame.columns}]
    if len(holding) > 1:
        raise SourceError(name, f"has {what} on {len(holding)} visible sheets ({', '.join(quoted(s) for s, _ in holding)}); "
                                f"expected them on one sheet (or each sheet in a file of its own), so none is left out "
                                "or read twice")
    if holding:
        return holding[0][1]
    book.first_visible(name)  # refuses a workbook with no visible sheet
    if not read:
        raise SourceError(name, f"has no value on any visible sheet; expected {what} on one sheet, under a header row")
    return read[0][1]


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
        if column in ("source_row", READ_PROBLEM):
            continue
        field = wanted.get(title_key(column))
        if field and field not in seen:
            renames[column] = field
            seen.add(field)
        else:
            extras.append(column)
    missing = [f for f in required if f not in seen]
    if missing:
        columns = [c for c in frame.columns if c not in ("source_row", READ_PROBLEM)]
        if not seen and not confidential:  # no title known: the first row may be a record (an issue log misfiled here)
            raise SourceError(
                name, f"the first row holds none of the expected column titles ({', '.join(titles[f] for f in required)}); "
                f"it has {len(columns)} cells, not quoted here, as it may be a record rather than a header row; expected "
                "a header row of this folder's titles (is the file in the right folder?)", line=1, column=titles[missing[0]])
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
        pl.col(READ_PROBLEM) if READ_PROBLEM in frame.columns else pl.lit(None, pl.Utf8).alias(READ_PROBLEM),
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

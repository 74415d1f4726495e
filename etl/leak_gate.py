"""The leak gate: before a release is published, every byte of every file in it is searched for the build's own
restricted data, and the release is refused on any hit.

What is searched for (the needles): every event id, issue reference and reporter id of the issue logs read, and
every issue summary (free text), taken from the restricted data and the issue files themselves. A value too short or
too plain to tell apart from ordinary text (an id of fewer than 6 characters or without a digit, a summary of fewer
than 20 characters, a period label such as 2025-26) is not searched for, nor is one that the public sources or the
reference tables also hold as a value (a reporting organisation's org-id that is also a grant recipient's, a body's
name, a district's code): its presence would prove nothing. Each needle is also
searched for as it would be written in JSON and in HTML, and a long text by its first 32 characters.

Where: the bytes of every file under the release folder (databases, Parquet, Data Docs, manifests), and, because
DuckDB and Parquet compress what they store, every text value of every table of the release's DuckDB database and
of its Parquet files, decompressed.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import ahocorasick_rs
import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

SHORTEST_ID = 6
SHORTEST_TEXT = 20
PREFIX = 32  # a long text is also searched for by its first PREFIX characters
CHUNK_BYTES = 32 * 1024**2
GATE_MEMORY = "512MB"  # what DuckDB may hold while the gate reads the release's database
BATCH_ROWS = 100_000  # a table's text values are searched this many rows at a time, so memory stays bounded by a batch
PERIOD_LABEL = re.compile(r"\d{4}-\d{2}(?: Q[1-4])?")  # '2025-26', '2025-26 Q3': every release holds them


@dataclass(frozen=True)
class Hit:
    file: str  # relative to the release folder
    where: str  # "bytes" or the table and column whose values hold it
    needle_kind: str  # what the needle is (event id, issue reference, reporter id, summary), never the needle

    def __str__(self) -> str:
        return f"{self.file} ({self.where}): a restricted {self.needle_kind}"


def needles(values: dict[str, Iterable[str | None]], public: set[str] | None = None) -> dict[str, str]:
    """{needle text: kind} from {kind: values}; `public` holds values the public sources also hold."""
    public = public or set()
    found: dict[str, str] = {}
    for kind, items in values.items():
        text = kind == "summary"
        for value in items:
            if value is None:
                continue
            value = str(value).strip()
            if value in public or PERIOD_LABEL.fullmatch(value):
                continue
            if text:
                if len(value) < SHORTEST_TEXT:
                    continue
                forms = {value, value[:PREFIX]}
            else:
                if len(value) < SHORTEST_ID or not re.search(r"\d", value):
                    continue
                forms = {value}
            for form in list(forms):
                forms |= {json.dumps(form)[1:-1], json.dumps(form, ensure_ascii=False)[1:-1], html.escape(form)}
            for form in forms:
                if len(form) >= SHORTEST_ID:
                    found.setdefault(form, kind)
    return found


@dataclass(frozen=True)
class _Search:
    """Every needle at once (Aho-Corasick over bytes, which runs at several GB a second)."""

    automaton: ahocorasick_rs.BytesAhoCorasick
    kinds: list[str]


def _automaton(found: dict[str, str]) -> _Search | None:
    if not found:
        return None
    return _Search(ahocorasick_rs.BytesAhoCorasick([n.encode("utf-8") for n in found]), list(found.values()))


def _first(search: _Search, data: bytes | memoryview) -> str | None:
    matches = search.automaton.find_matches_as_indexes(memoryview(data).cast("B"))
    return search.kinds[matches[0][0]] if matches else None


def _file_bytes(path: Path, automaton: _Search, overlap: int) -> str | None:
    with open(path, "rb") as f:
        tail = b""
        while block := f.read(CHUNK_BYTES):
            kind = _first(automaton, tail + block)
            if kind:
                return kind
            tail = block[-overlap:] if overlap else b""
    return None


def _is_text(kind: pa.DataType) -> bool:
    return pa.types.is_string(kind) or pa.types.is_large_string(kind)


def _text_bytes(array: pa.Array) -> pa.Buffer | None:
    """The values of an Arrow string array, end to end in one buffer; None when it holds no text."""
    data = array.buffers()[2]
    return data if data is not None and data.size else None


def _values(batches: Iterable[pa.RecordBatch], automaton: _Search) -> tuple[str, str] | None:
    """A hit among a table's text values, read a batch at a time: the values of an Arrow string array lie end to end
    in one buffer. A column of any other type is refused: a text column that is not searched would pass unseen."""
    for batch in batches:
        for name, column in zip(batch.schema.names, batch.columns):
            if not _is_text(column.type):
                raise TypeError(f"the leak gate reads text as Arrow strings; column {name} came as {column.type}")
            if (data := _text_bytes(column)) is not None and (kind := _first(automaton, data)):
                return name, kind
    return None


def _database_values(path: Path, automaton: _Search) -> Iterator[tuple[str, str]]:
    # its own memory limit: a connection left to the default keeps every block it reads, up to most of the machine's memory
    con = duckdb.connect(str(path), read_only=True, config={"memory_limit": GATE_MEMORY})
    try:
        tables = con.execute("select schema_name, table_name from duckdb_tables() where database_name = current_database() "
                             "order by 1, 2").fetchall()
        for schema, table in tables:
            columns = [c for c, t in con.execute(
                "select column_name, data_type from duckdb_columns() where database_name = current_database() "
                "and schema_name = ? and table_name = ?", [schema, table]).fetchall() if t == "VARCHAR"]
            if columns:
                # names come from the database's own catalogue
                batches = con.sql(f'select {", ".join(chr(34) + c + chr(34) for c in columns)} from "{schema}"."{table}"'
                                  ).to_arrow_reader(BATCH_ROWS)
                try:
                    hit = _values(batches, automaton)
                finally:
                    batches.close()  # a hit stops the reading: the rest of the result is let go
                if hit:
                    yield f"{schema}.{table}.{hit[0]}", hit[1]
    finally:
        con.close()


def within(arrays: Iterable[pa.Array], found: dict[str, str]) -> set[str]:
    """The needles of `found` that occur within the text values of `arrays` (Arrow string arrays)."""
    automaton = _automaton(found)
    if automaton is None:
        return set()
    needles, seen = list(found), set()
    for chunk in arrays:
        if (data := _text_bytes(chunk)) is not None:
            seen |= {needles[index] for index, _, _ in automaton.automaton.find_matches_as_indexes(
                memoryview(data).cast("B"), overlapping=True)}
    return seen


def scan(release: Path, found: dict[str, str]) -> list[Hit]:
    """Every place in the release folder that holds a needle (at most one hit per file and table column)."""
    automaton = _automaton(found)
    if automaton is None:
        return []
    overlap = max(len(n.encode("utf-8")) for n in found) - 1
    hits = []
    for path in sorted(p for p in release.rglob("*") if p.is_file()):
        name = str(path.relative_to(release))
        kind = _file_bytes(path, automaton, overlap)
        if kind:
            hits.append(Hit(name, "bytes", kind))
        if path.suffix == ".duckdb":
            hits.extend(Hit(name, where, kind) for where, kind in _database_values(path, automaton))
        elif path.suffix == ".parquet":
            text = [f.name for f in pq.read_schema(path) if _is_text(f.type)]
            hit = _values(pq.ParquetFile(path).iter_batches(BATCH_ROWS, columns=text), automaton) if text else None
            if hit:
                hits.append(Hit(name, hit[0], hit[1]))
    return hits

"""Reference lookups dropped into the inbox folder reference/: district lookups (district -> region, nation), small-area
lookups (LSOA or data zone -> district) and HexJSON layouts, in the column naming their publishers use.

ONS names a column by what it holds and the year of its boundaries: LAD18CD is a 2018 district code, RGN18NM a 2018
region name. Columns are found by that pattern (any vintage, any case); drkane/geo-lookups' la_all_codes.csv uses
the same names without a year (LADCD) and adds LADCD_ACTIVE, an abolished district's successor.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import polars as pl

from data_contracts import load_contract
from etl.normalise import quoted
from etl.sources.source import Lookups
from etl.sources.files import SourceError, decode, found_titles, read_csv_text, sniff_delimiter

CONTRACT = load_contract("reference_lookups")
FIELDS = {d.name: [f.name for f in d.fields] for d in CONTRACT.datasets}
LAYOUTS = CONTRACT.dataset("hex_layout").field("layout").enum

DISTRICT = re.compile(r"^LAD(\d\d)?CD$", re.IGNORECASE)
DISTRICT_ACTIVE = re.compile(r"^LAD(\d\d)?CD_ACTIVE$", re.IGNORECASE)
REGION = re.compile(r"^RGN(\d\d)?CD$", re.IGNORECASE)
NATION = re.compile(r"^CTRY(\d\d)?CD$", re.IGNORECASE)
SMALL_AREA = re.compile(r"^(?:LSOA|DZ)(\d\d)CD$", re.IGNORECASE)
# a header that looks like a small-area lookup, even one the reader will refuse (mySociety's `lsoa`)
SMALL_AREA_LOOSE = re.compile(r"^(LSOA|DZ|DATAZONE)", re.IGNORECASE)
NATION_BY_LETTER = {"E": "E92000001", "W": "W92000004", "S": "S92000003", "N": "N92000002"}

EXPECTED_DISTRICT = "a district code column named like LAD23CD (LADyyCD for any vintage yy, or LADCD)"
EXPECTED_SMALL_AREA = "a small-area code column named like LSOA21CD (LSOA11CD, LSOA21CD, DZ11CD or DZ22CD)"


def _find(columns: list[str], pattern: re.Pattern) -> str | None:
    """The first column whose name matches; a name without a vintage (LADCD) before any with one."""
    matches = [c for c in columns if pattern.match(c)]
    return min(matches, key=lambda c: pattern.match(c).group(1) is not None) if matches else None


def _name_column(columns: list[str], code_column: str | None) -> str | None:
    """LAD18CD -> LAD18NM (its name column), if the file has it."""
    if code_column is None:
        return None
    wanted = code_column[:-2].upper() + "NM"
    return next((c for c in columns if c.upper() == wanted), None)


def _found(columns: list[str]) -> str:
    return found_titles([c for c in columns if c != "source_row"])


def _text(column: str | None, upper: bool = False) -> pl.Expr:
    """A column stripped, blank as null (a null column when the file lacks it)."""
    if column is None:
        return pl.lit(None, pl.Utf8)
    value = pl.col(column).cast(pl.Utf8).str.strip_chars()
    value = value.str.to_uppercase() if upper else value
    return pl.when(value != "").then(value)


def read_district_lookup(path: Path, name: str) -> pl.DataFrame:
    """An ONS-style district lookup (LAD18CD, RGN18CD, CTRY..CD ...) or drkane's la_all_codes.csv -> source_row,
    district_code, district_name, region_code, region_name, nation_code, vintage, current_code."""
    frame = read_csv_text(path, name)
    columns = frame.columns
    district = _find(columns, DISTRICT)
    if district is None:
        raise SourceError(name, f"no district code column: expected {EXPECTED_DISTRICT}; found: {_found(columns)}", line=1)
    region, nation = _find(columns, REGION), _find(columns, NATION)
    year = DISTRICT.match(district).group(1)
    code = _text(district, upper=True)
    from_letter = code.str.slice(0, 1).replace_strict(NATION_BY_LETTER, default=None, return_dtype=pl.Utf8)
    return frame.select(
        "source_row",
        code.alias("district_code"),
        _text(_name_column(columns, district)).alias("district_name"),
        _text(region, upper=True).alias("region_code"),
        _text(_name_column(columns, region)).alias("region_name"),
        pl.coalesce(_text(nation, upper=True), from_letter).alias("nation_code"),
        pl.lit(f"20{year}" if year else None, pl.Utf8).alias("vintage"),
        _text(_find(columns, DISTRICT_ACTIVE), upper=True).alias("current_code"),
    )


def read_small_area_lookup(path: Path, name: str) -> pl.DataFrame:
    """A small-area lookup -> source_row, small_area_code, district_code, register_code. ONS files (LSOA21CD or DZ22CD
    ... -> LAD23CD) give GSS district codes; mySociety's (lsoa -> local-authority-code) gives register codes, which a
    build maps to GSS codes through mySociety's authority register. With two small-area columns the first is read."""
    frame = read_csv_text(path, name)
    columns = frame.columns
    area, district = _find(columns, SMALL_AREA), _find(columns, DISTRICT)
    register = next((c for c in columns if c.lower() == "local-authority-code"), None)
    if area is None and register is not None:
        area = next((c for c in columns if SMALL_AREA_LOOSE.match(c)), None)
    if area is None or (district is None and register is None):
        missing = " and ".join(e for e, c in ((EXPECTED_SMALL_AREA, area), (EXPECTED_DISTRICT, district or register)) if c is None)
        raise SourceError(name, f"not a small-area lookup: expected {missing}; found: {_found(columns)}", line=1)
    return frame.select("source_row", _text(area, upper=True).alias("small_area_code"),
                        _text(district, upper=True).alias("district_code"), _text(register, upper=True).alias("register_code"))


def _columns(path: Path, name: str, wanted: dict[str, str]) -> pl.DataFrame:
    """A CSV's columns by their exact (case-insensitive) names -> our names; SourceError naming the first missing."""
    frame = read_csv_text(path, name)
    by_lower = {c.lower(): c for c in frame.columns}
    missing = [c for c in wanted if c.lower() not in by_lower]
    if missing:
        raise SourceError(name, f"expected a column {missing[0]!r}; found: {_found(frame.columns)}", line=1, column=missing[0])
    return frame.select("source_row", *[_text(by_lower[c.lower()]).alias(ours) for c, ours in wanted.items()])


def read_authority_register(path: Path, name: str) -> pl.DataFrame:
    """mySociety's register of local authorities -> register_code, gss_code, name, former_codes, replaced_by."""
    frame = read_csv_text(path, name)
    by_lower = {c.lower(): c for c in frame.columns}
    for wanted in ("local-authority-code", "gss-code"):
        if wanted not in by_lower:
            raise SourceError(name, f"expected a column {wanted!r}; found: {_found(frame.columns)}", line=1, column=wanted)
    return frame.select(
        "source_row",
        _text(by_lower["local-authority-code"], upper=True).alias("register_code"),
        _text(by_lower["gss-code"], upper=True).alias("gss_code"),
        _text(by_lower.get("official-name")).alias("name"),
        _text(by_lower.get("former-gss-codes"), upper=True).alias("former_codes"),
        _text(by_lower.get("replaced-by"), upper=True).alias("replaced_by"),
    )


def read_authority_names(path: Path, name: str) -> pl.DataFrame:
    """mySociety's names of local authorities as people write them -> name, register_code."""
    return _columns(path, name, {"la-name": "name", "local-authority-code": "register_code"}).with_columns(
        pl.col("register_code").str.to_uppercase())


def read_organisation_areas(path: Path, name: str) -> pl.DataFrame:
    """Council org-ids with the GSS code of the area each governs -> org_id, gss_code, name, active."""
    return _columns(path, name, {"org_id": "org_id", "gss_code": "gss_code", "name": "name", "active": "active"}).with_columns(
        pl.col("gss_code").str.to_uppercase())


AREA_COLUMNS = (re.compile(r"^CAUTH(\d\d)?CD$", re.I), re.compile(r"^UTLA(\d\d)?CD$", re.I), REGION, NATION)


def read_area_codes(path: Path, name: str) -> pl.DataFrame:
    """A code list of combined authorities, upper-tier authorities, regions or nations (its most detailed code
    column is the area) -> area_code, area_name, region_code, nation_code."""
    frame = read_csv_text(path, name)
    columns = frame.columns
    area = next((c for pattern in AREA_COLUMNS if (c := _find(columns, pattern))), None)
    if area is None:
        raise SourceError(name, f"expected an area code column (CAUTHCD, UTLACD, RGNCD or CTRYCD); found: {_found(columns)}", line=1)
    return frame.select(
        "source_row", _text(area, upper=True).alias("area_code"), _text(_name_column(columns, area)).alias("area_name"),
        _text(_find(columns, REGION), upper=True).alias("region_code"), _text(_find(columns, NATION), upper=True).alias("nation_code"),
    )


MAX_HEX_COORDINATE = 10_000  # a map of every district of the UK is about 40 hexes across


def read_hexjson(path: Path, name: str) -> pl.DataFrame:
    """A HexJSON layout ({"layout": "odd-r", "hexes": {"E08000016": {"q": 8, "r": 12, "n": "Barnsley"}, ...}}) ->
    source_row (the hex's place in the file, from 1), gss_code, name, q, r, layout, region."""
    try:
        document = json.loads(decode(path.read_bytes())[0])
    except json.JSONDecodeError as error:
        raise SourceError(name, f"is not valid JSON ({error.msg}, character {error.pos})", line=error.lineno) from None
    except RecursionError:
        raise SourceError(name, "is nested too deep to read (thousands of brackets); expected HexJSON, an object of "
                                "hexes two levels deep") from None
    if not isinstance(document, dict) or not isinstance(document.get("hexes"), dict) or "layout" not in document:
        raise SourceError(name, 'is not HexJSON: expected an object with "layout" and a "hexes" object')
    layout = document["layout"]
    if layout not in LAYOUTS:
        raise SourceError(name, f"has an unknown HexJSON layout {quoted(layout)}; expected one of: {', '.join(LAYOUTS)}")
    if not document["hexes"]:
        raise SourceError(name, 'has no hexes; expected at least one in "hexes"')
    rows = []
    for number, (key, hexagon) in enumerate(document["hexes"].items(), start=1):
        if not isinstance(hexagon, dict):
            raise SourceError(name, f"hex {quoted(key)} (hex {number}) is not an object; expected {{\"q\": ..., \"r\": ...}}")
        for axis in ("q", "r"):
            value = hexagon.get(axis)
            if not isinstance(value, int) or isinstance(value, bool) or abs(value) > MAX_HEX_COORDINATE:
                raise SourceError(name, f"hex {quoted(key)} (hex {number}) has {axis} = {_shown(value)}; expected a whole "
                                        f"number from -{MAX_HEX_COORDINATE:,} to {MAX_HEX_COORDINATE:,}", column=axis)
        rows.append((number, key.strip(), _cell(hexagon.get("n")), hexagon["q"], hexagon["r"], layout,
                     _cell(hexagon.get("region"))))
    schema = {"source_row": pl.Int64, "gss_code": pl.Utf8, "name": pl.Utf8, "q": pl.Int64, "r": pl.Int64,
              "layout": pl.Utf8, "region": pl.Utf8}
    return pl.DataFrame(rows, schema=schema, orient="row")


def _shown(value) -> str:
    """A HexJSON value as an error shows it: a number, true/false or null as it is, text only when `quoted`."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**15:
        return f"a number of about {int(value.bit_length() * 0.30103) + 1} digits"
    return repr(value) if value is None or isinstance(value, (bool, int, float)) else quoted(value)


def _cell(value) -> str | None:
    return None if value is None or str(value).strip() == "" else str(value).strip()


def current_districts(lookup: pl.DataFrame, successors: pl.DataFrame, column: str | None = None) -> pl.DataFrame:
    """Each row's district code mapped to today's through `successors` (former_code, current_code; chains are
    followed: a code merged twice ends at the last successor). Adds `current_code` (starting from the file's own
    current_code where it gives one) and `recoded` (true where it differs from the code). `column` is the code
    column: by default district_code, else gss_code."""
    column = column or ("district_code" if "district_code" in lookup.columns else "gss_code")
    step = dict(successors.select("former_code", "current_code").iter_rows())
    final = {}
    for former in step:
        code, seen = former, {former}
        while step.get(code) is not None and step[code] not in seen:
            code = step[code]
            seen.add(code)
        final[former] = code
    start = pl.col(column)
    if "current_code" in lookup.columns:
        start = pl.coalesce("current_code", column)
    current = start.replace(list(final), list(final.values())) if final else start
    return lookup.with_columns(current.alias("current_code")).with_columns(
        (pl.col("current_code") != pl.col(column)).fill_null(False).alias("recoded")
    )


def classify(path: Path) -> str | None:
    """What a file in reference/ is, from its suffix and header only: 'district_lookup', 'small_area_lookup',
    'hex_layout', or None when it is none of them."""
    suffix = path.suffix.lower()
    try:
        with open(path, "rb") as f:
            head = f.read(65536)
    except OSError:
        return None
    if suffix == ".hexjson":
        return "hex_layout"
    if suffix == ".json":
        return "hex_layout" if b'"hexes"' in head else None
    if suffix not in (".csv", ".txt"):
        return None
    first_line = decode(head)[0].splitlines()[0] if head.strip() else ""
    header = [c.strip() for c in next(csv.reader([first_line], delimiter=sniff_delimiter(first_line)), [])]
    lower = {c.lower() for c in header}
    if {"local-authority-code", "gss-code"} <= lower:
        return "authority_register"
    if any(SMALL_AREA_LOOSE.match(c) for c in header):
        return "small_area_lookup"
    if {"la-name", "local-authority-code"} <= lower:
        return "authority_names"
    if {"org_id", "gss_code"} <= lower:
        return "organisation_areas"
    if any(DISTRICT.match(c) for c in header):
        return "district_lookup"
    if any(pattern.match(c) for pattern in AREA_COLUMNS for c in header):
        return "area_codes"
    return None


# what each kind of lookup answers, by its key: two files giving one key different answers cannot both be right
ANSWERS = {"district_lookup": ("district_code", ("region_code", "nation_code", "current_code")),
           "small_area_lookup": ("small_area_code", ("district_code", "register_code")),
           "area_codes": ("area_code", ("region_code", "nation_code")),
           "authority_register": ("register_code", ("gss_code",)),
           "organisation_areas": ("org_id", ("gss_code",))}


def disagreement(kind: str, earlier: pl.DataFrame, later: pl.DataFrame) -> str | None:
    """Why `later` (one file's lookup) cannot be used beside `earlier` (the files of its kind read before it, with
    their `source_file`): the first key to which they give different answers, naming both files; else None."""
    if kind not in ANSWERS or earlier.is_empty() or later.is_empty():
        return None
    key, answers = ANSWERS[kind]
    answers = [a for a in answers if a in earlier.columns and a in later.columns]
    given = earlier.select(key, *[pl.col(a).alias(f"_earlier_{a}") for a in answers], pl.col("source_file").alias("_earlier_file"))
    both = later.select(key, *answers).join(given.unique(key, keep="first"), on=key, how="inner")
    for answer in answers:
        differ = both.filter(pl.col(answer).is_not_null() & pl.col(f"_earlier_{answer}").is_not_null()
                             & (pl.col(answer) != pl.col(f"_earlier_{answer}")))
        if differ.height:
            row = differ.row(0, named=True)
            return (f"gives {key} {quoted(row[key])} the {answer} {quoted(row[answer])}, where "
                    f"{row['_earlier_file']} gives {quoted(row[f'_earlier_{answer}'])} ({differ.height:,} "
                    f"code{'s' if differ.height > 1 else ''} answered differently in all); "
                    "expected one answer for each code (remove the file that is wrong or out of date)")
    return None


READERS = {"district_lookup": read_district_lookup, "small_area_lookup": read_small_area_lookup,
           "hex_layout": read_hexjson, "authority_register": read_authority_register,
           "authority_names": read_authority_names, "organisation_areas": read_organisation_areas,
           "area_codes": read_area_codes}


LOOKUPS = Lookups("reference", "reference_lookups", "Reference lookups", (".csv", ".txt", ".json", ".hexjson"))

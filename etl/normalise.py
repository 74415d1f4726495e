"""Normalisation as pure polars expressions and functions: text as sent -> typed values in the project's terms.

Each function takes and returns frames or expressions and is tested on tiny frames (reference tables are read from
the project's own files).
"""

from __future__ import annotations

import re

import polars as pl

from etl import reference

TRUE_WORDS = ("yes", "y", "true", "t", "1")
FALSE_WORDS = ("no", "n", "false", "f", "0")


# How a file writes its numbers. A number is digits with a sign, £ or GBP around them, and spaces only between
# groups of three digits; its separators are read by the file's convention (`number_convention`, decided per file
# from all its numbers by the values that can be read only one way):
#   point:         some value only a decimal point reads (12.5 ; 1,234.50 ; 1,234,567), none only a decimal comma.
#                  1,500 is fifteen hundred, 1.500 one and a half.
#   comma-grouped: some value only a decimal comma reads, none only a point, and some value groups thousands with
#                  points (1.234,50 ; 1.234.567). 1.500 is fifteen hundred, 1,500 one and a half.
#   comma:         the same without points for thousands (12,5 ; 1234,56). 1,500 and 1.500 could each be either:
#                  quarantined with both readings.
#   none:          no value settles it. 1,500 is fifteen hundred (the UK way, every UK funder's); 1.500 could be
#                  either: quarantined with both readings.
#   mixed:         values only a point reads and values only a comma reads: a value that is not plain digits, or
#                  the UK way beyond doubt, is quarantined with both readings.
NUMBER_CONVENTION = "number_convention"
DECIMAL_COMMA = ("comma", "comma-grouped")  # the conventions read with decimal commas
MAX_NUMBER = 1e15  # a thousand trillion: a larger amount or count is a broken cell (1e30, a 24-digit number)
PLAIN = r"^-?\d+$"
POINT_DECIMAL = r"^-?\d+\.\d+$"
COMMA_DECIMAL = r"^-?\d+,\d+$"
POINT_GROUPED = r"^-?\d{1,3}(,\d{3})+(\.\d+)?$"
COMMA_GROUPED = r"^-?\d{1,3}(\.\d{3})+(,\d+)?$"
EITHER_COMMA = r"^-?\d{1,3},\d{3}$"  # 1,500: a thousands comma, or a decimal comma
EITHER_POINT = r"^-?\d{1,3}\.\d{3}$"  # 1.500: a decimal point, or a thousands point
POINT_THOUSANDS = r"^-?\d{1,3}(\.\d{3}){2,}(,\d+)?$|^-?\d{1,3}(\.\d{3})+,\d+$"  # 1.234.567 ; 1.234,50
SPACED_GROUPS = r"^-?\d{1,3}( \d{3})+([.,]\d+)?$"  # 1 234 567,89: spaces between groups of three


def number_text(value: pl.Expr) -> pl.Expr:
    """A number's text without one £ or GBP before it (after a minus sign, if any) or after it, and the spaces around
    them, and without spaces between groups of three digits (a thousands separator in some exports). A symbol
    anywhere else stays ('£1000£250', '5000GBP2500' are not numbers), and so do other spaces ('5000 2500' is not one
    number)."""
    text = (value.cast(pl.Utf8).str.replace_all(r"[\u00a0\u202f]", " ").str.strip_chars()
            .str.replace(r"^(-?)\s*(?:£|GBP)\s*", "${1}").str.replace(r"\s*(?:£|GBP)$", "").str.strip_chars())
    return pl.when(text.str.contains(SPACED_GROUPS)).then(text.str.replace_all(" ", "", literal=True)).otherwise(text)


def either(text: pl.Expr) -> pl.Expr:
    return text.str.contains(EITHER_COMMA) | text.str.contains(EITHER_POINT)


def only_point(text: pl.Expr) -> pl.Expr:
    """The text can be read only with a decimal point (and comma thousands)."""
    return (text.str.contains(POINT_DECIMAL) | text.str.contains(POINT_GROUPED)) & ~either(text)


def only_comma(text: pl.Expr) -> pl.Expr:
    """The text can be read only with a decimal comma (and point thousands)."""
    return (text.str.contains(COMMA_DECIMAL) | text.str.contains(COMMA_GROUPED)) & ~either(text)


def _values(parts: list[tuple[pl.DataFrame, list[str]]]) -> pl.DataFrame:
    """Every distinct value of the named columns of each frame, as text in one column `v`: one small expression then
    judges them all (an expression per column cost about 27 ms a workbook, most of a small build's reading)."""
    texts = [frame.get_column(c).cast(pl.Utf8) for frame, columns in parts if frame.height for c in columns]
    values = pl.concat(texts).drop_nulls().unique() if texts else pl.Series([], dtype=pl.Utf8)
    return pl.DataFrame({"v": values})


def number_convention(parts: list[tuple[pl.DataFrame, list[str]]]) -> str:
    """A file's number convention (see above: point, comma-grouped, comma, none or mixed) from the number columns
    of each of its frames."""
    values = _values(parts)
    if not values.height:
        return "none"
    text = pl.col("v")  # each value's number text, made once: within the tests below it was made nine times over
    point, comma, grouped = values.select(number_text(text).alias("v")).select(
        only_point(text).any(), only_comma(text).any().alias("comma"), text.str.contains(POINT_THOUSANDS).any().alias("grouped")).row(0)
    if point and comma:
        return "mixed"
    if comma:
        return "comma-grouped" if grouped else "comma"
    return "point" if point else "none"


READ_PROBLEM = "read_problem"  # why a reader could not read a row as sent (its own words, never the file's)


def as_read(frame: pl.DataFrame) -> pl.DataFrame:
    """`frame` with the columns a reader gives every row: its file's number convention ('point' where no reader
    decided one, as in a frame made in a test), its order of day and month (DATE_ORDER) and its read problem (none)."""
    if NUMBER_CONVENTION not in frame.columns:
        frame = frame.with_columns(pl.lit("point").alias(NUMBER_CONVENTION))
    if DATE_ORDER not in frame.columns:
        frame = frame.with_columns(pl.lit(DAY_FIRST).alias(DATE_ORDER))
    if READ_PROBLEM not in frame.columns:
        frame = frame.with_columns(pl.lit(None, pl.Utf8).alias(READ_PROBLEM))
    return frame


def _point_reading(text: pl.Expr) -> pl.Expr:
    readable = text.str.contains(PLAIN) | text.str.contains(POINT_DECIMAL) | text.str.contains(POINT_GROUPED)
    return pl.when(readable).then(text.str.replace_all(",", "", literal=True).cast(pl.Float64, strict=False))


def _comma_reading(text: pl.Expr) -> pl.Expr:
    readable = text.str.contains(PLAIN) | text.str.contains(COMMA_DECIMAL) | text.str.contains(COMMA_GROUPED)
    return pl.when(readable).then(text.str.replace_all(".", "", literal=True).str.replace(",", ".", literal=True)
                                  .cast(pl.Float64, strict=False))


def amount(column: str, convention: str | None = None) -> pl.Expr:
    """'£1,234.50', '1234.5', ' 1 234 ' -> 1234.5, read by the file's convention (the name of its column; None: as a
    file of decimal points); a value the convention leaves in doubt, text, NaN, infinity, 1e30 or a number beyond
    MAX_NUMBER -> null."""
    text = number_text(pl.col(column))
    rule = pl.col(convention).fill_null("point") if convention else pl.lit("point")
    doubt = (pl.when(rule == "comma").then(either(text))
             .when(rule == "none").then(text.str.contains(EITHER_POINT))
             .when(rule == "mixed").then(either(text))
             .otherwise(False))
    value = pl.when(doubt).then(None).when(rule.is_in(DECIMAL_COMMA)).then(_comma_reading(text)) \
        .otherwise(_point_reading(text))
    return pl.when(value.abs() <= MAX_NUMBER).then(value).alias(column)


def readings(value: pl.Expr) -> pl.Expr:
    """A number's two readings in words, for a value that can be read both ways (with a decimal comma, or with a
    decimal point) when its file's convention does not settle which; else null."""
    text = number_text(value)
    as_comma = _comma_reading(text).cast(pl.Utf8)
    as_point = text.str.replace_all(",", "", literal=True).cast(pl.Float64, strict=False).cast(pl.Utf8)
    return pl.when((only_comma(text) | either(text)) & as_comma.is_not_null() & as_point.is_not_null()).then(pl.format(
        "can be read as {} (with a decimal comma) or {} (with a decimal point), and no other number in the file settles "
        "which", as_comma, as_point))


CLOCK = r"(?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d+)?)?"  # a time of day that exists: 25:61 is none
ZONE = r"(?:Z|[+-](?:0\d|1[0-4]):?[0-5]\d)"  # UTC offsets run from -14:00 to +14:00
ISO_DATE = rf"^\d{{4}}-\d{{2}}-\d{{2}}(?:[T ]{CLOCK}{ZONE}?)?$"
DMY_DATE = r"^\d{1,2}/\d{1,2}/\d{4}$"
# A file's order of day and month in dates written with slashes, decided per file (like its number convention): day
# first, the UK way, unless some date in it can only be read month first ('06/13/2025'); then a date that can be read
# both ways ('06/12/2025', 6 December or 12 June) is in doubt: quarantined (or, in an optional field, left empty) with
# both readings named, never guessed. ISO dates (2025-06-01) are never in doubt.
DATE_ORDER = "date_order"
DAY_FIRST, IN_DOUBT = "day first", "in doubt"
MONTH_FIRST_ONLY = r"^\s*(?:0?[1-9]|1[0-2])/(?:1[3-9]|2\d|3[01])/\d{4}"
BOTH_WAYS = r"^\s*(0?[1-9]|1[0-2])/(0?[1-9]|1[0-2])/(\d{4})(?:\s|$)"


def date_order(parts: list[tuple[pl.DataFrame, list[str]]]) -> str:
    """A file's DATE_ORDER from its date columns of each of its frames."""
    values = _values(parts)
    return IN_DOUBT if values.height and values.select(pl.col("v").str.contains(MONTH_FIRST_ONLY).any()).item() else DAY_FIRST


def _both_ways(column: str) -> pl.Expr:
    """True where the file's dates are in doubt and this one reads both ways (day and month differ, both up to 12)."""
    parts = pl.col(column).cast(pl.Utf8).str.extract_groups(BOTH_WAYS)
    return ((pl.col(DATE_ORDER) == IN_DOUBT) & parts.struct.field("1").is_not_null()
            & (parts.struct.field("1").cast(pl.Int64) != parts.struct.field("2").cast(pl.Int64))).fill_null(False)


def dated(column: str, timestamp_too: bool = False) -> pl.Expr:
    """`date` (or `timestamp`) of a source's column, empty where the file's dates are in doubt and this one reads both
    ways (DATE_ORDER): parse_problems says why."""
    return pl.when(~_both_ways(column)).then(timestamp(column) if timestamp_too else date(column))


def _date_readings(column: str, title: str, value: pl.Expr) -> pl.Expr:
    parts = pl.col(column).cast(pl.Utf8).str.extract_groups(BOTH_WAYS)
    first, second, year = (parts.struct.field(k) for k in ("1", "2", "3"))
    day_first = pl.date(year.cast(pl.Int32), second.cast(pl.Int8), first.cast(pl.Int8)).dt.strftime("%-d %B %Y")
    month_first = pl.date(year.cast(pl.Int32), first.cast(pl.Int8), second.cast(pl.Int8)).dt.strftime("%-d %B %Y")
    return pl.concat_str([pl.lit(f"{title}: "), value, pl.lit(" can be read as "), day_first,
                          pl.lit(" (day first, the UK way) or "), month_first,
                          pl.lit(" (month first, as other dates in the file are written); expected dates written one way "
                                 "(2025-06-01 is never in doubt)")])


def _written_date(column: str) -> pl.Expr:
    """The day as the sender wrote it: ISO ('2025-06-01', or the date part of a date-time) or DD/MM/YYYY."""
    text = pl.col(column).cast(pl.Utf8).str.strip_chars()
    iso = pl.when(text.str.contains(ISO_DATE)).then(text.str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False))
    dmy = pl.when(text.str.contains(DMY_DATE)).then(text.str.to_date("%d/%m/%Y", strict=False))
    return pl.coalesce(iso, dmy)


def date(column: str) -> pl.Expr:
    """ISO dates and datetimes ('2025-06-01', '2025-06-01T09:00:00') and DD/MM/YYYY -> a date: the day as written,
    or, for a date-time with a zone ('2025-03-31T23:30:00-01:00'), the day it was in the UK at that instant (1 April:
    another financial year). The whole text must be the date: '2025-06-01garbage' is not one."""
    zone = _clock(column)[1]
    return pl.coalesce(pl.when(zone.is_not_null()).then(timestamp(column).dt.date()), _written_date(column))


def date_format_used(column: str) -> pl.Expr:
    """'dmy' when the text was a DD/MM/YYYY date (worth reporting as a repair), else null."""
    return pl.when(pl.col(column).cast(pl.Utf8).str.contains(r"^\s*\d{1,2}/\d{1,2}/\d{4}\s*$")).then(pl.lit("dmy"))


def boolean(column: str) -> pl.Expr:
    """Yes/No, Y/N, true/false, 1/0 (any case) -> a boolean; anything else -> null."""
    text = pl.col(column).cast(pl.Utf8).str.strip_chars().str.to_lowercase()
    return pl.when(text.is_in(TRUE_WORDS)).then(True).when(text.is_in(FALSE_WORDS)).then(False).otherwise(None)


def text(column: str) -> pl.Expr:
    """Trimmed text without zero-width characters (an identifier with one would be a second record); empty -> null."""
    value = pl.col(column).cast(pl.Utf8).str.replace_all("[\u200b\u200c\u200d\u2060\ufeff]", "").str.strip_chars()
    return pl.when(value != "").then(value)


def org_id(identifier: str, charity_number: str | None = None, company_number: str | None = None) -> pl.Expr:
    """An org-id.guide identifier: the given one (upper-cased prefix, trimmed), else one made from a charity
    number (E&W 'GB-CHC-', Scottish 'SC...' -> 'GB-SC-', NI 'NIC...'/'1.....' -> 'GB-NIC-'), else from a
    company number ('GB-COH-', leading zeros kept to 8 characters)."""
    given = text(identifier)
    given = pl.when(given.str.contains(r"(?i)^[a-z]{2,4}-[a-z]{2,5}-")).then(
        given.str.extract(r"(?i)^([a-z]{2,4}-[a-z]{2,5})-", 1).str.to_uppercase() + given.str.replace(r"(?i)^[a-z]{2,4}-[a-z]{2,5}", "")
    ).otherwise(given)
    candidates = [given]
    if charity_number:
        charity = text(charity_number).str.replace_all(r"\s", "").str.to_uppercase()
        candidates.append(
            pl.when(charity.str.contains(r"^SC\d{6}$")).then(pl.lit("GB-SC-") + charity)
            .when(charity.str.contains(r"^NIC?\d{5,6}$")).then(pl.lit("GB-NIC-") + charity.str.replace(r"^NIC?", ""))
            .when(charity.str.contains(r"^\d{6,7}$")).then(pl.lit("GB-CHC-") + charity)
        )
    if company_number:
        company = text(company_number).str.replace_all(r"\s", "").str.to_uppercase()
        candidates.append(
            pl.when(company.str.contains(r"^([A-Z]{2}\d{6}|\d{1,8})$")).then(pl.lit("GB-COH-") + company.str.zfill(8))
        )
    return pl.coalesce(candidates)


def _alias_key(name: pl.Expr) -> pl.Expr:
    """A body's name as matched: lower case, '&' as 'and', 'Dept'/'Dept.' as 'department', spacing collapsed."""
    key = name.cast(pl.Utf8).str.to_lowercase().str.replace_all("&", " and ", literal=True)
    return key.str.replace_all(r"\bdept\b\.?", "department").str.replace_all(r"\s+", " ").str.strip_chars()


def body_codes(frame: pl.DataFrame | pl.LazyFrame, column: str, into: str = "body_code") -> pl.DataFrame | pl.LazyFrame:
    """Add `into`: the public body's code for a code, name, org-id or alias in `column` (case, spacing, '&' for
    'and' and 'Dept.' for 'Department' ignored). Unknown names get null: kept and flagged by the caller, never dropped."""
    aliases = reference.body_aliases().select(_alias_key(pl.col("alias")).alias("alias_key"), pl.col("code").alias(into)).unique()
    if isinstance(frame, pl.LazyFrame):
        aliases = aliases.lazy()
    # a file names its funders a few ways: each different name is matched once, then every row joined to it
    names = frame.select(column).unique().filter(pl.col(column).is_not_null())
    matched = names.with_columns(_alias_key(pl.col(column)).alias("_alias_key")) \
        .join(aliases, left_on="_alias_key", right_on="alias_key", how="left").select(column, into)
    return _beside(frame, column, matched)


def size_band(income: str) -> pl.Expr:
    """Annual income (pounds) -> NCVO size band code; null income -> 'unknown'."""
    bands = reference.load("size_bands").filter(pl.col("min_income").is_not_null()).sort("min_income", descending=True)
    expr = pl.when(pl.col(income).is_null()).then(pl.lit("unknown"))
    for code, low in bands.select("code", "min_income").iter_rows():
        expr = expr.when(pl.col(income) >= low).then(pl.lit(code))
    return expr.otherwise(pl.lit("unknown"))


def smaller_organisation(income: str) -> pl.Expr:
    """Income £500,000 and under; null when income is unknown."""
    return pl.when(pl.col(income).is_null()).then(None).otherwise(pl.col(income) <= reference.SMALLER_ORGANISATION_MAX_INCOME)


GSS_CODE = r"^[EWSNK]\d{8}$"


def repair_geocodes(frame: pl.DataFrame | pl.LazyFrame, code: str, code_type: str,
                    small_areas: pl.DataFrame | None = None, districts: pl.DataFrame | None = None,
                    successors: pl.DataFrame | None = None) -> pl.DataFrame | pl.LazyFrame:
    """Beneficiary geocodes -> current district codes, with what was done recorded in `geocode_repair`:
    'swapped' (code and type were the wrong way round), 'small_area' (an LSOA/data zone mapped through the supplied
    lookup), 'former_code' (an old district code mapped to its successor). Adds `district_code` (null when the code
    is missing, unknown or not a district). `districts` (gss_code) and `successors` (former_code, current_code)
    default to the project's reference; a build passes them extended with the lookups in the inbox."""
    if successors is None:
        successors = reference.load("locality_successors")
    if districts is None:
        districts = reference.load("localities").filter(pl.col("level") == "district")
    # the few different (code, type) pairs are repaired once, then every row joined to its pair
    pairs = frame.select(code, code_type).unique()
    repaired = _repair_pairs(pairs, code, code_type, small_areas, districts, successors)
    return _beside(frame, [code, code_type], repaired)


def _beside(frame: pl.DataFrame | pl.LazyFrame, keys: str | list[str], found: pl.DataFrame | pl.LazyFrame):
    """`frame` with the other columns of `found` (one row per key) beside each row: only the keys are joined, so
    the frame's own columns are not copied."""
    keys = [keys] if isinstance(keys, str) else keys
    joined = frame.select(keys).join(found, on=keys, how="left", nulls_equal=True, maintain_order="left").drop(keys)
    return pl.concat([frame, joined], how="horizontal")


def _repair_pairs(frame: pl.DataFrame | pl.LazyFrame, code: str, code_type: str, small_areas: pl.DataFrame | None,
                  districts: pl.DataFrame, successors: pl.DataFrame) -> pl.DataFrame | pl.LazyFrame:
    """`repair_geocodes` on distinct (code, code type) pairs."""
    successors = successors.select("former_code", "current_code").unique("former_code")
    districts = districts.select(pl.col("gss_code").alias("_known")).unique()
    lazy = isinstance(frame, pl.LazyFrame)
    lookup = small_areas if small_areas is not None else pl.DataFrame(schema={"small_area_code": pl.Utf8, "district_code": pl.Utf8})
    lookup = lookup.select(pl.col("small_area_code").alias("_area"), pl.col("district_code").alias("_area_district")).unique("_area")
    if lazy:
        successors, districts, lookup = successors.lazy(), districts.lazy(), lookup.lazy()
    c, t = text(code).str.to_uppercase(), text(code_type)
    swapped = (~c.str.contains(GSS_CODE).fill_null(False)) & t.str.to_uppercase().str.contains(GSS_CODE).fill_null(False)
    out = frame.with_columns(
        pl.when(swapped).then(t.str.to_uppercase()).otherwise(c).alias("_code"),
        pl.when(swapped).then(pl.lit("swapped")).alias("geocode_repair"),
    )
    out = out.join(lookup, left_on="_code", right_on="_area", how="left").with_columns(
        pl.coalesce("_area_district", "_code").alias("_code"),
        pl.when(pl.col("_area_district").is_not_null()).then(pl.lit("small_area")).otherwise("geocode_repair").alias("geocode_repair"),
    )
    out = out.join(successors, left_on="_code", right_on="former_code", how="left").with_columns(
        pl.coalesce("current_code", "_code").alias("_code"),
        pl.when(pl.col("current_code").is_not_null()).then(pl.lit("former_code")).otherwise("geocode_repair").alias("geocode_repair"),
    )
    out = out.join(districts, left_on="_code", right_on="_known", how="left", coalesce=False).with_columns(
        pl.when(pl.col("_known").is_not_null()).then("_code").alias("district_code")
    )
    return out.drop("_code", "_area_district", "current_code", "_known")


def places(context, small_areas: bool = True) -> dict:
    """The geography a build knows (a `Context`: its small-area lookup, districts and successors) as keyword
    arguments for `repair_geocodes`; without a context, the project's reference."""
    if context is None:
        return {}
    return {"small_areas": context.small_areas if small_areas else None, "districts": context.districts,
            "successors": context.successors}


def district_codes(frame: pl.DataFrame, column: str, context=None) -> pl.DataFrame:
    """`repair_geocodes` for a column of district codes with no code type beside it (registers, issue logs)."""
    untyped = frame.with_columns(pl.lit(None, pl.Utf8).alias("_type"))
    return repair_geocodes(untyped, column, "_type", **places(context, small_areas=False)).drop("_type")


LOCAL_TIME_ZONE = "Europe/London"


def _clock(column: str) -> tuple[pl.Expr, pl.Expr, pl.Expr, pl.Expr]:
    """A date-time's parts: the clock time written (ISO), its zone as written or null, the zone's offset in minutes,
    and the other forms read as a UK clock time ('DD/MM/YYYY HH:MM', a date alone). The whole text must be the
    date-time."""
    value = pl.col(column).cast(pl.Utf8).str.strip_chars()
    iso = pl.when(value.str.contains(ISO_DATE)).then(value.str.replace(" ", "T", literal=True))
    zone = iso.str.extract(r"(Z|[+-]\d{2}:?\d{2})$", 1)
    local = iso.str.replace(r"(Z|[+-]\d{2}:?\d{2})$", "").str.replace(r"\.\d+$", "")
    minutes = zone.str.replace("Z", "+00:00", literal=True).str.replace(":", "", literal=True)
    offset = (pl.when(minutes.str.starts_with("-")).then(-1).otherwise(1)
              * (minutes.str.slice(1, 2).cast(pl.Int64, strict=False) * 60 + minutes.str.slice(3, 2).cast(pl.Int64, strict=False)))
    written = pl.coalesce(local.str.to_datetime("%Y-%m-%dT%H:%M:%S", strict=False),
                          local.str.to_datetime("%Y-%m-%dT%H:%M", strict=False))
    other = pl.coalesce(
        pl.when(value.str.contains(r"^\d{1,2}/\d{1,2}/\d{4} \d{1,2}:\d{2}$")).then(value.str.to_datetime("%d/%m/%Y %H:%M", strict=False)),
        _written_date(column).cast(pl.Datetime("us")))
    return written.cast(pl.Datetime("us")), zone, offset, other.cast(pl.Datetime("us"))


def timestamp(column: str) -> pl.Expr:
    """ISO date-times ('2025-06-01T09:30:00', with or without seconds or fractions), 'DD/MM/YYYY HH:MM', or a date,
    as UK local time (what a UK reader's clock showed: it gives the day, and so the period). A time with a zone
    ('Z', '+02:00') is that instant in UK local time. Times are ordered by `instant`, not by this: in the hour UK
    clocks show twice each October, local times do not follow the order things happened in."""
    written, zone, offset, other = _clock(column)
    local = (written - pl.duration(minutes=offset)).dt.replace_time_zone("UTC").dt.convert_time_zone(LOCAL_TIME_ZONE) \
        .dt.replace_time_zone(None)
    return pl.coalesce(pl.when(zone.is_not_null()).then(local).otherwise(written), other).cast(pl.Datetime("us"))


def instant(column: str) -> pl.Expr:
    """The same date-times as `timestamp`, as the instant in UTC, which orders events as they happened. A time
    without a zone is a UK clock time; one that UK clocks show twice (01:00 to 02:00 on the last Sunday of October)
    or skip (01:00 to 02:00 on the last Sunday of March) is no instant, so null: `clock_problem` says why."""
    written, zone, offset, other = _clock(column)
    uk = pl.coalesce(pl.when(zone.is_null()).then(written), other)
    return pl.coalesce(
        pl.when(zone.is_not_null()).then(written - pl.duration(minutes=offset)),
        uk.dt.replace_time_zone(LOCAL_TIME_ZONE, ambiguous="null", non_existent="null").dt.convert_time_zone("UTC")
        .dt.replace_time_zone(None),
    ).cast(pl.Datetime("us"))


def clock_problem(column: str, title: str, quote: bool = True) -> pl.Expr:
    """Why a time read by `timestamp` has no `instant`, naming both readings of one UK clocks show twice, else null.
    Without `quote` (a confidential log) the time itself is not written, only the two readings' zones."""
    local, moment = timestamp(column), instant(column)
    summer = local.dt.replace_time_zone(LOCAL_TIME_ZONE, ambiguous="earliest", non_existent="null")
    twice = summer.is_not_null() & moment.is_null()
    if quote:
        what = pl.format("{} is", local.dt.strftime("%Y-%m-%d %H:%M"))
        readings = pl.format("{} UTC (summer time, +01:00) or {} UTC (+00:00)",
                             summer.dt.convert_time_zone("UTC").dt.strftime("%H:%M"),
                             (summer + pl.duration(hours=1)).dt.convert_time_zone("UTC").dt.strftime("%H:%M"))
    else:
        what, readings = pl.lit("the time is"), pl.lit("summer time (+01:00) or, an hour later, +00:00")
    return (
        pl.when(local.is_null() | moment.is_not_null()).then(pl.lit(None, pl.Utf8))
        .when(twice).then(pl.format("{}: {} a time UK clocks show twice (the hour repeated when they go back in "
                                    "October), so it can be read as {}; expected the time with its zone",
                                    pl.lit(title), what, readings))
        .otherwise(pl.format("{}: {} a time UK clocks skip (the hour lost when they go forward in March); "
                             "expected a time that exists in the UK, or the time with its zone", pl.lit(title), what))
    )


EXPECTED = {"number": "a number", "integer": "a whole number", "date": "a date (YYYY-MM-DD or DD/MM/YYYY)",
            "timestamp": "a date and time", "boolean": "Yes or No"}


def typed(name: str, logical_type: str, convention: str | None = None) -> pl.Expr:
    """The typed value of a contract field from its text (numbers read by the file's `convention`: amount())."""
    if logical_type == "number":
        return amount(name, convention)
    if logical_type == "integer":
        number = amount(name, convention)
        return pl.when(number == number.round(0)).then(number).cast(pl.Int64)
    if logical_type == "date":
        return dated(name)
    if logical_type == "timestamp":
        return dated(name, timestamp_too=True)
    if logical_type == "boolean":
        return boolean(name)
    return text(name)


MAX_TEXT_CHARS = 100_000  # no field of any source is longer; a longer value is a broken or hostile file

# A message may quote a value from a file only when it is short and plain: letters, digits, spaces and £€%,.:/()-,
# and no address ('//', 'www.'). Messages are shown on pages, in the manifest and in HTML; a value quoted in one can
# then make no markup, link, image, colour or formula wherever it is shown.
UNCALCULATED = "#UNCALCULATED"  # how a workbook's formula saved without its value reads (etl/sources/files.py)
EXCEL_ERROR = r"^#(?:NULL!|DIV/0!|VALUE!|REF!|NAME\?|NUM!|N/A|GETTING_DATA|SPILL!|CALC!|FIELD!|BLOCKED!|CONNECT!|UNKNOWN!)$"
QUOTABLE = r"^(?:[^\W_]|[ £€%,.:/()-]){1,60}$"
NOT_QUOTED = "the value (not shown: it holds symbols or is over 60 characters)"


def with_commas(number: pl.Expr) -> pl.Expr:
    """A whole number as UK readers write it ('150,000'); null stays null. For the few values a message quotes: it
    runs Python for each value that is not null."""
    return number.map_elements(lambda value: f"{value:,}", return_dtype=pl.Utf8)


def without_long_values(frame: pl.DataFrame, titles: dict[str, str]) -> pl.DataFrame:
    """A reader's frame with every text value over MAX_TEXT_CHARS emptied, and its row's READ_PROBLEM (when it has
    none yet) naming the first such field (`titles`: field -> title) and its length: the row is quarantined, and no
    value that large goes further than the reader (a 200 MB description would exhaust the database's memory)."""
    schema = frame.schema
    columns = [c for c in titles if schema.get(c) == pl.Utf8]
    if not columns or not frame.height or frame.estimated_size() <= MAX_TEXT_CHARS:
        return frame  # its buffers hold every value's bytes: a small frame (a return's sheet) holds no long value
    longest = frame.select(pl.max_horizontal(pl.col(c).str.len_bytes().max() for c in columns)).item()
    if longest is None or longest <= MAX_TEXT_CHARS:
        return frame  # no value has more bytes, so none has more characters: the usual case
    problem = _first(_too_long({c: titles[c] for c in columns}))
    return as_read(frame).with_columns(pl.coalesce(pl.col(READ_PROBLEM), problem).alias(READ_PROBLEM)).with_columns(
        pl.when(pl.col(c).str.len_chars() <= MAX_TEXT_CHARS).then(pl.col(c)).alias(c) for c in columns)


def quotable(value) -> bool:
    """True when a message may quote `value` (QUOTABLE, and no address)."""
    text = str(value)
    return bool(re.fullmatch(QUOTABLE, text)) and "//" not in text and "www." not in text.lower()


def quoted(value) -> str:
    """A value from a (public) file as a message quotes it: 'value' when it is `quotable`, else NOT_QUOTED."""
    return f"'{value}'" if quotable(value) else NOT_QUOTED


def quoted_expr(value: pl.Expr) -> pl.Expr:
    """`quoted` as a polars expression."""
    address = value.str.contains("//", literal=True) | value.str.to_lowercase().str.contains("www.", literal=True)
    plain = value.str.contains(QUOTABLE) & ~address
    return pl.when(plain).then(pl.format("'{}'", value)).otherwise(pl.lit(NOT_QUOTED))


RULE_WORDS = {  # a contract's rules in words (data_contracts/to_expectations.py: RULES), as messages say them
    "exists": "column missing",
    "required": "missing (required)",
    "unique": "duplicate value (must be unique)",
    "enum": "not an allowed value",
    "pattern": "does not match the expected pattern",
    "range": "out of range",
}


def rule_words(rule: str, value_set=None, regex=None, min_value=None, max_value=None) -> str:
    """A contract's rule in words, with what was expected: 'out of range (expected 0 to 1000000000)'."""
    words = RULE_WORDS.get(rule, rule)
    if rule == "range":
        expected = (f"{min_value} to {max_value}" if min_value is not None and max_value is not None
                    else f"at least {min_value}" if min_value is not None else f"at most {max_value}")
        return f"{words} (expected {expected})"
    if rule == "enum":
        return f"{words} (expected one of: {', '.join(map(str, value_set or []))})"
    if rule == "pattern":
        return f"{words} {regex}"
    return words


def outside_contract(fields, quote: bool = True) -> list[tuple[str, pl.Expr]]:
    """For each optional field with an allowed list, pattern or range in its contract: (its name, why its typed value
    is outside them, as a message naming the field's title, the value (`quoted`, unless not `quote`) and the rule;
    null when it is within). A required field's are left to the contract's checks in Great Expectations, which
    quarantine the row; an optional field's value outside them is emptied and noted in the row's repairs instead."""
    out = []
    for f in fields:
        if f.required or f.confidential or (f.enum is None and f.pattern is None and f.minimum is None and f.maximum is None):
            continue
        value = pl.col(f.name)
        shown = quoted_expr(value.cast(pl.Utf8)) if quote else pl.lit("the value")
        why = None
        checks = []
        if f.enum is not None:
            checks.append((~value.is_in(list(f.enum)), rule_words("enum", value_set=f.enum)))
        if f.pattern is not None:
            checks.append((~value.cast(pl.Utf8).str.contains(f.pattern), rule_words("pattern", regex=f.pattern)))
        if f.minimum is not None or f.maximum is not None:
            low = value < f.minimum if f.minimum is not None else pl.lit(False)
            high = value > f.maximum if f.maximum is not None else pl.lit(False)
            checks.append((low | high, rule_words("range", min_value=f.minimum, max_value=f.maximum)))
        for failed, words in checks:
            message = pl.concat_str([pl.lit(f"{f.title}: "), shown, pl.lit(f" {words}")])  # a pattern's braces stay as written
            why = pl.when(value.is_not_null() & failed).then(message) if why is None else why.when(value.is_not_null() & failed).then(message)
        out.append((f.name, why.otherwise(None)))
    return out


OUTSIDE_CONTRACT = "_outside_contract"  # a column of notes: optional values outside their contract, emptied


def empty_outside_contract(frame: pl.DataFrame, fields, quote: bool = True) -> pl.DataFrame:
    """`frame` with each optional field's value outside its contract emptied (`outside_contract`), and a column
    OUTSIDE_CONTRACT of notes for the row's repairs ('Amount Disbursed: '-250.0' out of range (expected 0 to …): left
    empty'), null where there is none."""
    found = outside_contract(fields, quote)
    if not found:
        return frame.with_columns(pl.lit(None, pl.Utf8).alias(OUTSIDE_CONTRACT))
    frame = frame.with_columns(*[why.alias(f"_outside_{name}") for name, why in found])
    notes = pl.concat_str([pl.format("{}: left empty", pl.col(f"_outside_{name}")) for name, _ in found], separator="; ",
                          ignore_nulls=True)
    return frame.with_columns(
        *[pl.when(pl.col(f"_outside_{name}").is_null()).then(pl.col(name)).alias(name) for name, _ in found],
        notes.replace("", None).alias(OUTSIDE_CONTRACT),
    ).drop([f"_outside_{name}" for name, _ in found])


def _too_long(titles: dict[str, str]) -> list[tuple[pl.Expr, pl.Expr]]:
    """(when, message) for each column's text far too long (`titles`: column -> title); a message is made only where
    it is (else from null)."""
    checks = []
    for name, title in titles.items():
        length = pl.col(name).cast(pl.Utf8).str.len_chars()
        too_long = length > MAX_TEXT_CHARS
        checks.append((too_long, pl.format(f"{title}: {{}} characters; expected at most {MAX_TEXT_CHARS:,}",
                                           with_commas(pl.when(too_long).then(length)))))
    return checks


def _row_checks(fields, read: bool) -> list[tuple[pl.Expr, pl.Expr]]:
    """The checks of a row before its fields' types: its READ_PROBLEM (with `read`), then each text far too long."""
    checks = [(pl.col(READ_PROBLEM).is_not_null(), pl.col(READ_PROBLEM))] if read else []
    return checks + _too_long({f.name: f.title for f in fields})


def _unreadable(f, quote: bool, convention: str | None) -> tuple[pl.Expr, pl.Expr] | None:
    """(when, message) for a field present but not readable as its type; None for a field of text."""
    if f.logical_type not in EXPECTED:
        return None
    raw = pl.col(f.name).cast(pl.Utf8).str.strip_chars()
    bad = raw.is_not_null() & (raw != "") & typed(f.name, f.logical_type, convention).is_null()
    value = quoted_expr(raw) if quote else pl.lit("the value")
    message = (pl.when(raw == UNCALCULATED)
               .then(pl.lit(f"{f.title}: the cell holds a formula saved without its value (the program that wrote the "
                            f"workbook did not calculate it); expected {EXPECTED[f.logical_type]}"))
               .when(raw.str.contains(EXCEL_ERROR))
               .then(pl.format(f"{f.title}: the cell holds Excel's error {{}} (a formula that failed); expected "
                               f"{EXPECTED[f.logical_type]}", raw))
               .otherwise(pl.format(f"{f.title}: {{}} is not {EXPECTED[f.logical_type]}", value)))
    if f.logical_type in ("date", "timestamp"):
        message = pl.when(_both_ways(f.name)).then(_date_readings(f.name, f.title, value)).otherwise(message)
    if f.logical_type in ("number", "integer"):
        message = pl.when(readings(raw).is_not_null()).then(pl.format(
            f"{f.title}: {{}} {{}}; expected a number with a decimal point, as the file's other numbers are written",
            value, readings(raw))).otherwise(message)
    return bad, message


def _first(checks: list[tuple[pl.Expr, pl.Expr]]) -> pl.Expr:
    if not checks:
        return pl.lit(None, pl.Utf8)
    problem = pl.when(checks[0][0]).then(checks[0][1])
    for when, message in checks[1:]:
        problem = problem.when(when).then(message)
    return problem.otherwise(None)


def parse_problems(fields, quote: bool = True, convention: str | None = None, read: bool = False) -> pl.Expr:
    """With `read`, the row's READ_PROBLEM when its reader could not read it; else the first field whose text is far
    too long, or present but cannot be read as its type (numbers by the file's `convention`), as a quarantine reason
    naming the field's title, the value (`quoted`; never with `quote` False, for a confidential source) or its
    length, what was expected, and for a number that can be read two ways both readings; null when every value
    parsed. Missing values are left to the contract's `required` checks. `with_parse_problems` gives the same
    column for a frame, faster."""
    checks = _row_checks(fields, read) + [check for f in fields if (check := _unreadable(f, quote, convention))]
    return _first(checks)


def once_per_value(frame: pl.DataFrame, **columns: pl.Expr) -> pl.DataFrame:
    """`frame` with each of `columns` (its name: an expression) worked out once for each distinct combination of the
    columns the expression reads (a field, and its file's conventions), then joined back to every row: values repeat
    (200,000 grants hold about 26,000 amounts and 2,000 award dates), and reading a number's or a date's text takes a
    dozen regular expressions."""
    for name, expression in columns.items():
        reads = list(dict.fromkeys(expression.meta.root_names()))
        if name in frame.columns or name in reads:
            raise ValueError(f"once_per_value: {name!r} would replace a column; give the result a name of its own")
        values = frame.select(reads).unique().with_columns(expression.alias(name))
        frame = frame.join(values, on=reads, how="left", nulls_equal=True, maintain_order="left")
    return frame


def with_parse_problems(frame: pl.DataFrame, alias: str, fields, quote: bool = True, convention: str | None = None,
                        read: bool = False) -> pl.DataFrame:
    """`frame` (as_read) with a column `alias`: parse_problems(fields, quote, convention, read), each field's type
    worked out once_per_value, not for every row: polars works out every branch of a when/then, messages included,
    for every row it is given (doing so took half of normalising the grants)."""
    frame = as_read(frame)
    checks = _row_checks(fields, read)
    unreadable = {f"_unreadable_{number}": _first([check]) for number, f in enumerate(fields)
                  if (check := _unreadable(f, quote, convention))}
    frame = once_per_value(frame, **unreadable)
    checks += [(pl.col(name).is_not_null(), pl.col(name)) for name in unreadable]
    return frame.with_columns(_first(checks).alias(alias)).drop(list(unreadable))

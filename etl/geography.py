"""The geography stage: the lookups dropped into reference/ (district and small-area lookups, code lists, council
registers, hex layouts) read and checked against each other, and the reference tables of places they give."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import polars as pl

from data_contracts import load_contract
from etl import periods, reference
from etl.build_result import BuildResult, FileResult
from etl.frames import create_table
from etl.inbox import inbox_files
from etl.sources import LOOKUPS, Context, lookups
from etl.sources.files import (SourceError, admit, file_name, time_limit, unchanged, unforeseen_errors,
                               within_folder_limit)


def read_lookups(inbox: Path, result: BuildResult) -> dict[str, pl.DataFrame]:
    """Lookups in reference/ (district and small-area lookups, code lists, mySociety's register and names, council
    org-ids, HexJSON layouts), each file recorded with its rows or the reason it was rejected."""
    found: dict[str, list[pl.DataFrame]] = {}
    records: dict[str, FileResult] = {}
    paths = inbox_files(inbox, LOOKUPS.folder)
    for number, path in enumerate(paths):
        name = file_name(path, LOOKUPS.folder)
        record = records[name] = FileResult(path=name, source=LOOKUPS.folder)
        result.files.append(record)
        try:
            within_folder_limit(number, len(paths), name, LOOKUPS.folder)
            record.sha256, before = admit(path, name, LOOKUPS.suffixes, LOOKUPS.folder)
            with time_limit(name), unforeseen_errors(name, "a lookup of this build's kinds, in its publisher's layout"):
                kind = lookups.classify(path)
                if kind is None:
                    raise SourceError(name, "is not a lookup this build reads: expected a district lookup (LAD23CD, RGN23CD ...), "
                                      "a small-area lookup (LSOA21CD, LAD23CD), a code list (RGNCD, CAUTHCD ...), mySociety's "
                                      "register or names of local authorities, council org-ids with GSS codes, or a HexJSON layout")
                frame = lookups.READERS[kind](path, name)
            unchanged(path, name, before)
        except SourceError as error:
            record.rejected = str(error)
            continue
        frame = frame.with_columns(pl.lit(name).alias("source_file"))
        earlier = pl.concat(found.get(kind, []), how="diagonal_relaxed") if found.get(kind) else pl.DataFrame()
        if disagreeing := lookups.disagreement(kind, earlier, frame):  # read in order: the later file is refused, alone
            record.rejected = f"{name}: {disagreeing}"
            continue
        record.rows_read = record.rows_loaded = frame.height
        found.setdefault(kind, []).append(frame)
    tables = {kind: pl.concat(frames, how="diagonal_relaxed") for kind, frames in found.items()}
    areas = tables.get("small_area_lookup")
    if areas is not None and "authority_register" not in tables:
        # register codes mean nothing without the register: such files are rejected, whole
        needs = areas.filter(pl.col("district_code").is_null() & pl.col("register_code").is_not_null())["source_file"].unique()
        for name in needs:
            records[name].rejected = (f"{name}: gives mySociety register codes (local-authority-code), not GSS district codes; "
                                      "expected mySociety's register (uk_local_authorities_current.csv) beside it in reference/, "
                                      "or an ONS lookup with LSOA21CD and LAD23CD")
            records[name].rows_loaded = 0
        tables["small_area_lookup"] = areas.filter(~pl.col("source_file").is_in(needs.to_list()))
    return tables


def _register_gss(register: pl.DataFrame) -> pl.DataFrame:
    """mySociety register code -> the GSS code of the authority now (following `replaced_by` for abolished ones)."""
    codes = register.select("register_code", "gss_code", "replaced_by").unique("register_code")
    step = codes.join(codes.select(pl.col("register_code").alias("replaced_by"), pl.col("gss_code").alias("_next"),
                                   pl.col("replaced_by").alias("_then")), on="replaced_by", how="left")
    step = step.join(codes.select(pl.col("register_code").alias("_then"), pl.col("gss_code").alias("_last")), on="_then", how="left")
    return step.select("register_code", pl.coalesce("_last", "_next", "gss_code").alias("current_gss"), "gss_code")


def _with_successors(successors: pl.DataFrame, moved: pl.DataFrame) -> pl.DataFrame:
    """Add (former_code, current_code, note) rows to the successors; a code already mapped keeps its first mapping."""
    added = moved.select("former_code", "current_code", pl.lit(None, pl.Date).alias("changed_on"), "note")
    return pl.concat([successors, added], how="vertical_relaxed").unique("former_code", keep="first", maintain_order=True)


def places(found: dict[str, pl.DataFrame]) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame | None, pl.DataFrame | None]:
    """The localities and successors of the reference, extended with the districts and successors of any lookups;
    the small-area lookup and hex layout, if supplied."""
    localities = reference.load("localities")
    successors = reference.load("locality_successors")
    register = found.get("authority_register")
    resolved = _register_gss(register) if register is not None else None
    if register is not None:
        former = register.select(pl.col("former_codes").str.split(",").alias("former_code"), pl.col("gss_code").alias("current_code")) \
            .explode("former_code").with_columns(pl.col("former_code").str.strip_chars()).drop_nulls()
        ended = resolved.filter(pl.col("current_gss") != pl.col("gss_code")).select(
            pl.col("gss_code").alias("former_code"), pl.col("current_gss").alias("current_code"))
        moved = pl.concat([former, ended]).filter(pl.col("former_code") != pl.col("current_code"))
        successors = _with_successors(successors, moved.with_columns(pl.lit("from mySociety's register").alias("note")))
    districts = found.get("district_lookup")
    if districts is not None:
        moved = districts.filter(pl.col("current_code").is_not_null() & (pl.col("current_code") != pl.col("district_code")))
        successors = _with_successors(successors, moved.select(
            pl.col("district_code").alias("former_code"), "current_code", pl.format("from {}", "source_file").alias("note")))
        current = (
            districts.filter(pl.col("current_code").is_null() | (pl.col("current_code") == pl.col("district_code")))
            .filter(~pl.col("district_code").is_in(successors["former_code"].to_list()))
            .sort("vintage", descending=True, nulls_last=True).unique("district_code", keep="first")
            .join(localities.select(pl.col("gss_code").alias("district_code")), on="district_code", how="anti")
        )
        localities = pl.concat([localities, current.select(
            pl.col("district_code").alias("gss_code"), pl.coalesce("district_name", "district_code").alias("name"),
            pl.lit("district").alias("level"), pl.lit(None, pl.Utf8).alias("district_type"),
            pl.when(pl.col("region_code").str.starts_with("E12")).then("region_code").alias("region_code"), "nation_code",
            pl.lit(None, pl.Int64).alias("population"), pl.lit(None, pl.Int32).alias("tile_col"),
            pl.lit(None, pl.Int32).alias("tile_row"))], how="diagonal_relaxed")
    small_areas = found.get("small_area_lookup")
    if small_areas is not None:
        if resolved is not None:
            small_areas = small_areas.join(resolved.select("register_code", "current_gss"), on="register_code", how="left") \
                .with_columns(pl.coalesce("district_code", "current_gss").alias("district_code"))
        small_areas = small_areas.select("small_area_code", "district_code").drop_nulls().unique("small_area_code", keep="last")
    hexes = found.get("hex_layout")
    if hexes is not None:
        hexes = lookups.current_districts(hexes, successors, "gss_code")
    return localities, successors, small_areas, hexes


def lookup_tables(found: dict[str, pl.DataFrame], successors: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """Lookups published as reference tables for analysts: code lists, council org-ids, names of authorities."""
    contract = load_contract("reference_lookups")
    tables = {}
    for kind in ("area_codes", "organisation_areas", "authority_names"):
        fields = [f.name for f in contract.dataset(kind).fields]
        frame = found.get(kind, pl.DataFrame(schema={f: pl.Utf8 for f in fields}))
        tables[kind] = frame.select(fields).unique(keep="first", maintain_order=True)
    register = found.get("authority_register")
    if register is not None:
        current = _register_gss(register).join(successors.select(pl.col("former_code").alias("current_gss"), "current_code"),
                                               on="current_gss", how="left")
        tables["authority_names"] = tables["authority_names"].join(
            current.select("register_code", pl.coalesce("current_code", "current_gss").alias("gss_code")), on="register_code", how="left")
    else:
        tables["authority_names"] = tables["authority_names"].with_columns(pl.lit(None, pl.Utf8).alias("gss_code"))
    return tables


def reference_tables(con: duckdb.DuckDBPyConnection, as_of: dt.date, localities: pl.DataFrame,
                      successors: pl.DataFrame, hexes: pl.DataFrame | None, supplied: dict[str, pl.DataFrame]) -> None:
    tables = ({name: reference.load(name) for name in reference.TABLES}
              | {"localities": localities, "locality_successors": successors} | supplied)
    for name, frame in tables.items():
        create_table(con, f"reference.{name}", frame)  # table names are our own constants
    create_table(con, "reference.periods", periods.calendar(as_of))
    layout = hexes if hexes is not None else pl.DataFrame(schema={"gss_code": pl.Utf8, "name": pl.Utf8, "q": pl.Int64, "r": pl.Int64,
                                                                   "layout": pl.Utf8, "current_code": pl.Utf8})
    layout = layout.select(pl.coalesce("current_code", "gss_code").alias("gss_code"), "name", "q", "r", "layout")
    create_table(con, "reference.hex_layout", layout)


def reading_context(con: duckdb.DuckDBPyConnection, inbox: Path, result: BuildResult, as_of: dt.date) -> Context:
    """The inbox's lookups read, the reference tables of places written to `con`, and what normalising needs of
    them (etl.sources.Context)."""
    found = read_lookups(inbox, result)
    localities, successors, small_areas, hexes = places(found)
    reference_tables(con, as_of, localities, successors, hexes, lookup_tables(found, successors))
    return Context(as_of=as_of, small_areas=small_areas, successors=successors,
                   districts=localities.filter(pl.col("level") == "district"))

"""Reference lookups from reference/: district lookups (ONS naming of any vintage, drkane's la_all_codes.csv), small-area
lookups, HexJSON layouts, mapping old district codes to current ones, and telling the three apart."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from etl import reference
from etl.sources.files import SourceError
from etl.sources.lookups import (
    FIELDS,
    classify,
    current_districts,
    read_district_lookup,
    read_hexjson,
    read_small_area_lookup,
)

REALDATA = Path(__file__).resolve().parents[1].parent / "shared" / "realdata"
GEO = REALDATA / "geo"
ONS_2018 = GEO / "ons_lad_to_region_dec2018_england_LAD18_RGN18.csv"
DRKANE = GEO / "drkane_la_all_codes.csv"
HEXJSON = GEO / "odileeds_uk-local-authority-districts-2023.hexjson"
MYSOCIETY_LSOA = GEO / "mysociety_lookup_lsoa_to_registry.csv"

SUCCESSORS = pl.DataFrame({"former_code": ["E08000016", "E08000019"], "current_code": ["E08000038", "E08000039"]})


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    return path


def hexjson(tmp_path: Path, document, name: str = "layout.hexjson") -> Path:
    return write(tmp_path, name, json.dumps(document) if not isinstance(document, str) else document)


def rejection(reader, path: Path, name: str) -> str:
    with pytest.raises(SourceError) as caught:
        reader(path, name)
    message = str(caught.value)
    assert message.startswith(f"{name}: "), message  # names the file
    return message


# --- district lookups ---------------------------------------------------------------------------------------------


def test_ons_district_lookup_reads_to_canonical_columns(tmp_path):
    path = write(tmp_path, "lad18_rgn18.csv", "LAD18CD,LAD18NM,RGN18CD,RGN18NM,FID\n"
                                              "E08000016,Barnsley,E12000003,Yorkshire and The Humber,1\n"
                                              " e09000001 ,City of London,E12000007,London,2\n")
    frame = read_district_lookup(path, "reference/lad18_rgn18.csv")
    assert frame.columns == ["source_row", *FIELDS["district_lookup"]]
    assert frame.to_dicts() == [
        {"source_row": 2, "district_code": "E08000016", "district_name": "Barnsley", "region_code": "E12000003",
         "region_name": "Yorkshire and The Humber", "nation_code": "E92000001", "vintage": "2018", "current_code": None},
        {"source_row": 3, "district_code": "E09000001", "district_name": "City of London", "region_code": "E12000007",
         "region_name": "London", "nation_code": "E92000001", "vintage": "2018", "current_code": None},
    ]


@pytest.mark.parametrize(("header", "vintage"), [
    ("LAD18CD,LAD18NM", "2018"),
    ("LAD23CD,LAD23NM", "2023"),
    ("LAD24CD,LAD24NM", "2024"),
    ("lad21cd,lad21nm", "2021"),  # ONS open geography downloads are sometimes lower case
    ("LADCD,LADNM", None),  # no year in the name: unknown
])
def test_vintage_comes_from_the_district_columns_name(tmp_path, header, vintage):
    frame = read_district_lookup(write(tmp_path, "lookup.csv", f"{header}\nW06000015,Cardiff\n"), "lookup.csv")
    assert frame.row(0, named=True) | {"source_row": None} == {
        "source_row": None, "district_code": "W06000015", "district_name": "Cardiff", "region_code": None,
        "region_name": None, "nation_code": "W92000004", "vintage": vintage, "current_code": None}


def test_nation_from_the_first_letter_when_the_file_has_no_nation(tmp_path):
    path = write(tmp_path, "lookup.csv", "LAD23CD\nE06000001\nW06000015\nS12000036\nN09000003\nK02000001\n")
    frame = read_district_lookup(path, "lookup.csv")
    assert frame["nation_code"].to_list() == ["E92000001", "W92000004", "S92000003", "N92000002", None]


def test_nation_column_used_and_blank_region_is_null(tmp_path):
    path = write(tmp_path, "lookup.csv", "\ufeffLAD23CD;LAD23NM;RGN23CD;RGN23NM;CTRY23CD;CTRY23NM\n"
                                         "W06000015;Cardiff;;;W92000004;Wales\n"
                                         "E06000001;Hartlepool;E12000001;North East;;\n")
    frame = read_district_lookup(path, "lookup.csv")
    assert frame.select("district_code", "region_code", "region_name", "nation_code").rows() == [
        ("W06000015", None, None, "W92000004"),
        ("E06000001", "E12000001", "North East", "E92000001"),  # blank nation cell: from the letter
    ]


def test_drkane_style_reads_ladcd_and_its_successor(tmp_path):
    # la_all_codes.csv has LADCD (any date), LADCD_ACTIVE (its successor) and LAD20CD (its 2020 code): LADCD is read
    path = write(tmp_path, "la_all_codes.csv",
                 "LADCD,LADNM,LADCD_ACTIVE,LADNM_ACTIVE,UTLACD,RGNCD,RGNNM,CTRYCD,CTRYNM,Current,LAD20CD,LAD20NM\n"
                 "E07000004,Aylesbury Vale,E06000060,Buckinghamshire,E06000060,E12000008,South East,E92000001,England,FALSE,E06000060,Buckinghamshire\n"
                 "E08000038,Barnsley,E08000038,Barnsley,E08000038,E12000003,Yorkshire and The Humber,E92000001,England,TRUE,E08000016,Barnsley\n"
                 "S12000046,Glasgow City,S12000049,Glasgow City,S12000049,,,S92000003,Scotland,FALSE,S12000049,Glasgow City\n")
    frame = read_district_lookup(path, "la_all_codes.csv")
    assert frame.select("district_code", "district_name", "region_code", "nation_code", "vintage", "current_code").rows() == [
        ("E07000004", "Aylesbury Vale", "E12000008", "E92000001", None, "E06000060"),
        ("E08000038", "Barnsley", "E12000003", "E92000001", None, "E08000038"),
        ("S12000046", "Glasgow City", None, "S92000003", None, "S12000049"),
    ]


@pytest.mark.parametrize("header", ["UTLACD,UTLANM", "gss-code,nice-name", "LAD23NM,RGN23CD"])
def test_a_district_lookup_without_a_district_code_column_is_rejected(tmp_path, header):
    path = write(tmp_path, "upper_tier.csv", f"{header}\nE10000002,Bucks\n")
    message = rejection(read_district_lookup, path, "reference/upper_tier.csv")
    assert "line 1" in message and "no district code column" in message
    assert "LAD23CD (LADyyCD for any vintage yy, or LADCD)" in message
    assert repr(header.split(",")[0]) in message  # says what it found


def test_an_empty_lookup_is_rejected(tmp_path):
    message = rejection(read_district_lookup, write(tmp_path, "empty.csv", ""), "reference/empty.csv")
    assert "empty" in message


# --- small-area lookups -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("header", "row", "expected"), [
    ("LSOA21CD,LSOA21NM,LAD23CD,LAD23NM", "E01000001,City of London 001A,E09000001,City of London",
     ("E01000001", "E09000001")),
    ("LSOA11CD,MSOA11CD,LAD17CD", "W01000001,W02000001,W06000001", ("W01000001", "W06000001")),
    ("DZ22CD,DZ22NM,LAD24CD", "S01013482,Culter - 01,S12000033", ("S01013482", "S12000033")),
    ("dz11cd,lad19cd", "s01006506, s12000033 ", ("S01006506", "S12000033")),
])
def test_small_area_lookup_of_any_vintage(tmp_path, header, row, expected):
    frame = read_small_area_lookup(write(tmp_path, "lsoa.csv", f"{header}\n{row}\n"), "lsoa.csv")
    assert frame.columns == ["source_row", *FIELDS["small_area_lookup"]]
    assert frame.row(0) == (2, *expected, None)  # no register code in an ONS lookup


def test_mysociety_lsoa_lookup_gives_register_codes_for_the_build_to_map(tmp_path):
    # mySociety maps small areas to its own register codes (ANN, BIR ...); a build maps them through its register
    path = write(tmp_path, "lookup_lsoa_to_registry.csv", "lsoa,local-authority-code\nE01000001,LND\n95AA01S1,ANN\n")
    frame = read_small_area_lookup(path, "reference/lookup_lsoa_to_registry.csv")
    assert frame.select("small_area_code", "district_code", "register_code").rows() == [
        ("E01000001", None, "LND"), ("95AA01S1", None, "ANN")]


def test_small_area_lookup_without_a_district_column_is_rejected(tmp_path):
    path = write(tmp_path, "lsoa_names.csv", "LSOA21CD,LSOA21NM\nE01000001,City of London 001A\n")
    message = rejection(read_small_area_lookup, path, "reference/lsoa_names.csv")
    assert "expected a district code column named like LAD23CD" in message
    assert "small-area code column" not in message  # it has one


# --- HexJSON ------------------------------------------------------------------------------------------------------

HEXES = {"layout": "odd-r", "hexes": {
    "E08000016": {"n": "Barnsley", "q": 8, "r": 12, "region": "E12000003", "colour": "#F9BC26"},
    "W06000015": {"n": "Cardiff", "q": -1, "r": 4},
}}


def test_hexjson_reads_hexes_in_file_order(tmp_path):
    frame = read_hexjson(hexjson(tmp_path, HEXES), "reference/layout.hexjson")
    assert frame.columns == ["source_row", *FIELDS["hex_layout"]]
    assert frame.rows() == [(1, "E08000016", "Barnsley", 8, 12, "odd-r", "E12000003"),
                            (2, "W06000015", "Cardiff", -1, 4, "odd-r", None)]
    assert frame.schema["q"] == pl.Int64 and frame.schema["r"] == pl.Int64


@pytest.mark.parametrize(("document", "expected"), [
    ("{not json", "is not valid JSON"),
    ({"grants": []}, 'is not HexJSON: expected an object with "layout" and a "hexes" object'),
    ([1, 2], 'is not HexJSON'),
    ({"layout": "odd-r", "hexes": []}, 'is not HexJSON'),
    ({"hexes": {"A": {"q": 0, "r": 0}}}, 'is not HexJSON'),
    ({"layout": "odd-x", "hexes": {"A": {"q": 0, "r": 0}}}, "unknown HexJSON layout 'odd-x'; expected one of: odd-r, even-r, odd-q, even-q"),
    ({"layout": "odd-r", "hexes": {}}, "has no hexes"),
])
def test_json_that_is_not_hexjson_is_rejected(tmp_path, document, expected):
    message = rejection(read_hexjson, hexjson(tmp_path, document), "reference/map.hexjson")
    assert expected in message


@pytest.mark.parametrize(("hexagon", "expected"), [
    ({"n": "Barnsley", "q": 1.5, "r": 2}, "has q = 1.5; expected a whole number from -10,000 to 10,000"),
    ({"n": "Barnsley", "q": "3", "r": 2}, "has q = '3'; expected a whole number from -10,000 to 10,000"),
    ({"n": "Barnsley", "q": 3}, "has r = None; expected a whole number from -10,000 to 10,000"),
    ({"n": "Barnsley", "q": True, "r": 2}, "has q = True; expected a whole number from -10,000 to 10,000"),
    ({"n": "Barnsley", "q": 10**23, "r": 2}, "has q = a number of about 24 digits; expected a whole number from -10,000 to 10,000"),
    ({"n": "Barnsley", "q": 3, "r": -10_001}, "has r = -10001; expected a whole number from -10,000 to 10,000"),
    ([3, 2], "is not an object"),
])
def test_a_hex_without_integer_q_and_r_is_rejected_naming_it(tmp_path, hexagon, expected):
    document = {"layout": "even-q", "hexes": {"W06000015": {"q": 0, "r": 0}, "E08000016": hexagon}}
    message = rejection(read_hexjson, hexjson(tmp_path, document), "reference/map.hexjson")
    assert "hex 'E08000016' (hex 2)" in message and expected in message


# --- current districts --------------------------------------------------------------------------------------------


def test_current_districts_recodes_old_codes_and_says_so():
    lookup = pl.DataFrame({"district_code": ["E08000016", "E08000038", "E08000019", None]})
    out = current_districts(lookup, SUCCESSORS)
    assert out.rows() == [("E08000016", "E08000038", True), ("E08000038", "E08000038", False),
                          ("E08000019", "E08000039", True), (None, None, False)]


def test_current_districts_follows_chains_and_keeps_the_files_own_successor():
    successors = pl.DataFrame({"former_code": ["E07000190", "E07000246"], "current_code": ["E07000246", "E06000066"]})
    lookup = pl.DataFrame({"district_code": ["E07000190", "E07000048", "E06000001"],
                           "current_code": [None, "E06000058", "E06000001"]})
    out = current_districts(lookup, successors)
    assert out.rows() == [("E07000190", "E06000066", True), ("E07000048", "E06000058", True),
                          ("E06000001", "E06000001", False)]


def test_current_districts_on_a_hex_layout_uses_gss_code_and_leaves_the_input_alone(tmp_path):
    layout = read_hexjson(hexjson(tmp_path, HEXES), "layout.hexjson")
    out = current_districts(layout, SUCCESSORS)
    assert out.select("gss_code", "current_code", "recoded").rows() == [("E08000016", "E08000038", True),
                                                                       ("W06000015", "W06000015", False)]
    assert "current_code" not in layout.columns
    empty = pl.DataFrame(schema={"former_code": pl.Utf8, "current_code": pl.Utf8})
    assert not current_districts(layout, empty)["recoded"].any()


# --- classify -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "text", "kind"), [
    ("lad18_rgn18.csv", "LAD18CD,LAD18NM,RGN18CD,RGN18NM\nE08000016,Barnsley,E12000003,Y\n", "district_lookup"),
    ("la_all_codes.csv", "\ufeffLADCD,LADNM,LADCD_ACTIVE\nE08000016,Barnsley,E08000038\n", "district_lookup"),
    ("lsoa21_lad23.csv", "LSOA21CD;LAD23CD\nE01000001;E09000001\n", "small_area_lookup"),
    ("dz.CSV", "DZ22CD,LAD24CD\nS01013482,S12000033\n", "small_area_lookup"),
    ("mysociety.csv", "lsoa,local-authority-code\nE01000001,LND\n", "small_area_lookup"),  # its reader says why not
    ("districts.hexjson", "{}", "hex_layout"),
    ("districts.json", '{"layout": "odd-r", "hexes": {}}', "hex_layout"),
    ("grants.json", '{"grants": []}', None),
    ("utla.csv", "UTLACD,UTLANM\nE10000002,Bucks\n", "area_codes"),
    ("register.csv", "local-authority-code,official-name,gss-code\nBIR,Birmingham City Council,E08000025\n", "authority_register"),
    ("names.csv", "la-name,local-authority-code\nBrum,BIR\n", "authority_names"),
    ("orgids.csv", "org_id,name,gss_code,active\nGB-LAE-BIR,Birmingham,E08000025,TRUE\n", "organisation_areas"),
    ("notes.txt", "some notes\n", None),
    ("empty.csv", "", None),
    ("lookup.xlsx", "PK\x03\x04", None),
])
def test_classify_from_suffix_and_header(tmp_path, name, text, kind):
    assert classify(write(tmp_path, name, text)) == kind


# --- real files ---------------------------------------------------------------------------------------------------


def real(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"{path} is absent")
    return path


def successors() -> pl.DataFrame:
    return reference.load("locality_successors")


def english_districts() -> pl.DataFrame:
    localities = reference.load("localities")
    return localities.filter((pl.col("level") == "district") & (pl.col("nation_code") == "E92000001"))


@pytest.mark.realdata
def test_real_ons_2018_lookup():
    path = real(ONS_2018)
    assert classify(path) == "district_lookup"
    frame = read_district_lookup(path, f"reference/{path.name}")
    assert frame.height == 326 and frame["district_code"].n_unique() == 326
    assert set(frame["vintage"]) == {"2018"} and set(frame["nation_code"]) == {"E92000001"}
    assert frame["region_code"].null_count() == 0 and frame["region_name"].null_count() == 0
    assert frame["region_code"].n_unique() == 9
    assert frame["source_row"].to_list() == list(range(2, 328))
    recoded = current_districts(frame, successors()).filter("recoded")
    assert recoded.height == 32  # every successor of the project's list whose former code existed in 2018


@pytest.mark.realdata
def test_real_drkane_lookup_maps_abolished_districts_to_successors():
    path = real(DRKANE)
    assert classify(path) == "district_lookup"
    frame = read_district_lookup(path, f"reference/{path.name}")
    assert frame.height == 415 and frame["district_code"].n_unique() == 415
    assert frame["vintage"].null_count() == 415 and frame["current_code"].null_count() == 0
    abolished = frame.filter(pl.col("current_code") != pl.col("district_code"))
    assert abolished.height == 54 and frame["current_code"].n_unique() == 361
    pairs = dict(abolished.select("district_code", "current_code").iter_rows())
    assert pairs["E07000004"] == "E06000060" and pairs["E08000016"] == "E08000038" and pairs["S12000046"] == "S12000049"
    # the project's successors agree with drkane's for every former code it lists
    assert all(pairs[former] == current for former, current in successors().select("former_code", "current_code").iter_rows())
    assert frame.filter(pl.col("nation_code") != "E92000001")["region_code"].null_count() == 69
    assert current_districts(frame, successors())["recoded"].sum() == 54


@pytest.mark.realdata
@pytest.mark.parametrize("file", [ONS_2018, DRKANE], ids=lambda p: p.name)
def test_every_english_locality_is_in_the_real_lookups_with_its_region(file):
    frame = current_districts(read_district_lookup(real(file), file.name), successors())
    regions = frame.group_by("current_code").agg(pl.col("region_code").unique())
    found = english_districts().join(regions, left_on="gss_code", right_on="current_code", how="left")
    missing = found.filter(pl.col("region_code_right").is_null())["gss_code"].to_list()
    assert not missing, f"not in {file.name}: {missing}"
    for code, ours, theirs in found.select("gss_code", "region_code", "region_code_right").iter_rows():
        assert theirs == [ours], (code, ours, theirs)


@pytest.mark.realdata
def test_real_hexjson_and_its_two_old_codes():
    path = real(HEXJSON)
    assert classify(path) == "hex_layout"
    frame = read_hexjson(path, f"reference/{path.name}")
    assert frame.height == 361 and frame["gss_code"].n_unique() == 361
    assert set(frame["layout"]) == {"odd-r"} and frame["region"].null_count() == 0
    out = current_districts(frame, successors())
    assert out.filter("recoded").select("name", "gss_code", "current_code").rows() == [
        ("Barnsley", "E08000016", "E08000038"), ("Sheffield", "E08000019", "E08000039")]
    localities = reference.load("localities").filter(pl.col("level") == "district")["gss_code"]
    assert set(localities) <= set(out["current_code"])  # every district of ours has a hex


@pytest.mark.realdata
def test_real_mysociety_lsoa_lookup_reads_register_codes():
    path = real(MYSOCIETY_LSOA)
    assert classify(path) == "small_area_lookup"
    frame = read_small_area_lookup(path, f"reference/{path.name}")
    assert frame.height == 42_619
    assert frame["district_code"].null_count() == frame.height and frame["register_code"].null_count() == 0
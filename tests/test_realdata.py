"""The real files in ../shared/realdata load (360Giving grants from two funders, ONS and other geography lookups,
a HexJSON layout). Skipped when ../shared is absent. The files are copied into a temporary inbox, never into the
repository."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from etl.build import build
from tests.conftest import query

REALDATA = Path(__file__).resolve().parents[1].parent / "shared" / "realdata"
pytestmark = [pytest.mark.realdata, pytest.mark.skipif(not REALDATA.is_dir(), reason=f"{REALDATA} is absent")]

GRANTS = ("abct_a001p00000zgyHZAAY.json", "alwf_a003W000001B7PzQAK.json")
SPREADSHEETS = ("abct_a001p00000zgyHZAAY_original.xlsx", "alwf_a003W000001B7PzQAK_original.xlsx")
LOOKUPS = {  # every geography file, with the rows each loads
    "drkane_cauth_all_codes.csv": 10, "drkane_ctry_all_codes.csv": 4, "drkane_la_all_codes.csv": 415,
    "drkane_la_orgid_to_gss.csv": 459, "drkane_rgn_all_codes.csv": 9, "drkane_utla_all_codes.csv": 218,
    "mysociety_lookup_lsoa_to_registry.csv": 42_619, "mysociety_lookup_name_to_registry.csv": 1_774,
    "mysociety_uk_local_authorities_current.csv": 470, "odileeds_uk-local-authority-districts-2023.hexjson": 361,
    "ons_lad_to_region_dec2018_england_LAD18_RGN18.csv": 326,
}


@pytest.fixture(scope="module")
def real_build(tmp_path_factory):
    inbox = tmp_path_factory.mktemp("real") / "inbox"
    (inbox / "funding").mkdir(parents=True)
    (inbox / "reference").mkdir()
    for name in GRANTS + SPREADSHEETS:
        shutil.copy(REALDATA / "360giving" / name, inbox / "funding" / name)
    for name in LOOKUPS:
        shutil.copy(REALDATA / "geo" / name, inbox / "reference" / name)
    warehouse = tmp_path_factory.mktemp("real-warehouse")
    result = build(inbox, warehouse, as_of=dt.date(2026, 11, 25))
    return result, warehouse / "current" / "covenant.duckdb"


def test_every_real_grant_is_loaded_or_quarantined_and_the_spreadsheets_supersede_the_json(real_build):
    result, _ = real_build
    files = {f.path: f for f in result.files}
    for name, grants in zip(GRANTS + SPREADSHEETS, (783, 475, 783, 475)):
        record = files[f"funding/{name}"]
        assert record.rejected is None
        assert record.rows_read == grants
        assert record.rows_read == record.rows_loaded + record.rows_quarantined
    # the same grants in JSON and in the funder's own spreadsheet: the later file (the spreadsheet) wins
    assert files[f"funding/{GRANTS[0]}"].rows_quarantined == 783
    assert files[f"funding/{SPREADSHEETS[0]}"].rows_loaded == 783
    assert files[f"funding/{SPREADSHEETS[1]}"].rows_loaded == 475


def test_real_grants_keep_their_values_and_extra_columns(real_build):
    _, database = real_build
    (total, awards, with_duration, with_extras) = query(database, """
        select sum(amount_awarded)::bigint, count(*), count(duration_months), count(extra_fields)
        from staging.grants where source_file like 'funding/alwf%'""")[0]
    assert awards == 475
    assert total == 21_757_793
    assert with_duration == 468  # 7 grants state no duration
    assert with_extras == 475  # the publisher's own columns ('Amount Applied For', 'Data Source' ...) are kept


def test_every_geography_lookup_loads(real_build):
    result, database = real_build
    files = {f.path: f for f in result.files}
    assert {name: (files[f"reference/{name}"].rejected, files[f"reference/{name}"].rows_loaded) for name in LOOKUPS} == {
        name: (None, rows) for name, rows in LOOKUPS.items()}
    districts = query(database, "select count(*) from reference.localities where level = 'district'")[0][0]
    assert districts == 361  # the project's 94 and every other current district the lookups name
    assert query(database, "select count(*) from reference.organisation_areas")[0][0] == 459
    assert query(database, "select gss_code from reference.authority_names where name = 'Barnsley'") == [("E08000038",)]


@pytest.mark.build
def test_mysociety_small_areas_need_the_register_beside_them(tmp_path):
    inbox = tmp_path / "inbox"
    (inbox / "reference").mkdir(parents=True)
    shutil.copy(REALDATA / "geo" / "mysociety_lookup_lsoa_to_registry.csv", inbox / "reference")
    result = build(inbox, tmp_path / "warehouse", as_of=dt.date(2026, 11, 25))
    (record,) = result.files
    assert record.rows_loaded == 0
    assert record.rejected.startswith("reference/mysociety_lookup_lsoa_to_registry.csv: gives mySociety register codes")


def test_the_hex_layout_is_recoded_to_current_districts(real_build):
    _, database = real_build
    hexes = dict(query(database, "select gss_code, name from reference.hex_layout"))
    assert len(hexes) == 361
    assert hexes["E08000038"] == "Barnsley" and hexes["E08000039"] == "Sheffield"
    assert "E08000016" not in hexes and "E08000019" not in hexes


def test_a_london_grant_gets_its_district_and_region_from_the_lookups(real_build):
    _, database = real_build
    rows = query(database, """
        select distinct district_code, region_code from marts.awards where beneficiary_geocode = 'E09000001'""")
    assert rows == [("E09000001", "E12000007")]

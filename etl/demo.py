"""A demo inbox: realistic, deterministic for a seed, in the formats real senders use.

Writes, under the inbox folder:
- funding/      one 360Giving file per funder per financial year: JSON, CSV (flattened titles) or XLSX;
- organisations/register.csv   the recipients, with income (so size bands follow);
- returns/      one XLSX workbook per public body per quarter, in the template generated from the returns contract;
- issues/       issue event logs as CSV, one per financial year;
- reference/    a small-area (LSOA) to district lookup in ONS column naming, for the beneficiary codes that use it.

Patterns: 2024-25 is the baseline; after the Covenant (2025-26 Q2) some bodies improve (longer awards, more paid in
advance, fewer advocacy clauses, consultations of 12 weeks, faster resolution) and some lag; smaller organisations
get smaller and shorter awards. A configurable share of records carries the defects real files have.

Realism: amounts, funders and recipients follow published UK proportions (the constants under "proportions like
real UK data", each with its source or marked as an assumption); postcodes and small-area codes have real formats,
the small areas numbered where no real one is; tests/test_demo_realism.py holds the demo to those bounds.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import multiprocessing
import os
import shutil
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from data_contracts import load_contract
from etl import periods, reference
from etl.settings import DEFAULT_DEMO_AWARDS
from etl.sources import INBOX_FOLDERS
from etl.xlsx import write_workbook

Progress = Callable[[str, int], None]

START = periods.quarter_bounds(periods.baseline_start_year(), 1)[0]  # the first day of the baseline year
TRAITS = ("improver", "steady", "laggard")
SIZE_CODES = ("micro", "small", "medium", "large", "major", "super_major")
SIZE_LIMITS = np.array([10_000, 100_000, 1_000_000, 10_000_000, 100_000_000])
GEOCODE_TYPES = {"E06": "UA", "W06": "UA", "E07": "NMD", "E08": "MD", "E09": "LONB", "S12": "CA", "N09": "LGD"}
DURATIONS = np.array([3, 6, 12, 18, 24, 36, 48, 60])
CAUSES = ("Community", "Youth", "Food", "Carers", "Arts", "Heritage", "Sports", "Advice", "Refugee", "Mental Health",
          "Older People's", "Families", "Housing", "Environmental", "Disability", "Women's", "Music", "Recovery",
          "Faith", "Learning")
FORMS = ("Trust", "Network", "Project", "Association", "Foundation", "Centre", "Partnership", "Collective",
         "Alliance", "Forum", "Hub", "Group")
PROGRAMME_THEMES = ("Community Resilience", "Youth Investment", "Local Heritage", "Cost of Living Support",
                    "Tackling Loneliness", "Arts Everywhere", "Active Communities", "Green Neighbourhoods",
                    "Advice Services", "Recovery Support", "Digital Inclusion", "Safer Streets")
ISSUE_CATEGORIES = {
    "consultation": "participation",
    "exclusion from design": "participation",
    "funding practice": "partnership",
    "late payment": "partnership",
    "advocacy restriction": "recognition",
    "reprisal or self-censorship": "recognition",
    "information withheld": "transparency",
    "other": None,
}
FUNDING_COLUMNS = [f for f in load_contract("funding").dataset("grants").fields]
PRACTICE_FIELDS = ("paid_in_advance", "full_cost_recovery", "advocacy_restriction_clause")
# Within each group of funders below, how many awards a body of each type makes, relative to the others (an
# assumption; each body's share also varies at random).
BODY_TYPE_WEIGHT = {
    "ministerial_department": 4.0,
    "non_ministerial_department": 0.6,
    "executive_agency": 1.0,
    "non_departmental_public_body": 4.0,
    "local_authority": 1.0,
    "combined_authority": 2.0,
    "integrated_care_board": 1.2,
    "police_and_crime_commissioner": 0.8,
}

# --- proportions like real UK data ---------------------------------------------------------------------------------
# The demo's awards are a sample: their total grows with --awards. The figures below fix their shape.

# Funders' shares of grant value. UKGrantmaking 2024 (360Giving), 2022-23: central government £3.03bn to the
# voluntary and community sector, National Lottery distributors £2.36bn (civilsociety.co.uk, 25 June 2024), local
# authorities and devolved governments "over £1 billion" (ukgrantmaking.org/report/2024/the-grantmaking-picture).
FUNDER_VALUE_SHARE = {"central": 0.47, "lottery": 0.37, "local": 0.16}
# Size of a group's awards to the same recipient, relative to the lottery's. An assumption (no published figure):
# councils' and other local bodies' community grant schemes make small awards; departments' programmes larger ones.
FUNDER_AWARD_SIZE = {"central": 1.5, "lottery": 1.0, "local": 0.5}
LOTTERY_DISTRIBUTORS = ("NLCF", "NLHF", "ACE", "SPORTENG")  # they distribute National Lottery money (with grant-in-aid)
LOCAL_BODY_TYPES = ("local_authority", "combined_authority", "integrated_care_board", "police_and_crime_commissioner")
# Bodies whose remit is not grant-making to civil society in UK places: they make no awards in the demo.
NOT_LOCAL_GRANT_MAKERS = {
    "overseas work, trade or export finance: their grants, where they make any, fund work abroad or firms":
        ("FCDO", "BRITCOUNCIL", "UKEF", "DBT"),
    "tax, public finance and regulation: they collect, supervise or license, and make no community grants":
        ("HMT", "HMRC", "CMA", "OFGEM", "OFQUAL", "OFSTED", "FSA", "TPR", "MHRA", "CQC", "HSE", "CCEW"),
    "prosecution, courts, legal services and compensation: they pay individuals or buy services by contract":
        ("AGO", "OAGS", "CPS", "SFO", "GLD", "HMCTS", "OPG", "CICA", "LAA", "PAROLE", "IOPC"),
    "registers, licensing, inspection and the government's own estate and buying":
        ("CH", "INSS", "DVLA", "DVSA", "GPA", "CCS", "PINS", "STA", "DBS", "OLHC", "OLHL"),
}
NOT_LOCAL = frozenset(code for codes in NOT_LOCAL_GRANT_MAKERS.values() for code in codes)

# Organisations by income band (micro .. super-major), share by number. NCVO UK Civil Society Almanac 2014
# (2011/12): micro 51.1%, small 32.8%, medium 13.2%, large 2.6%, major and super-major 0.3%; the super-majors are
# 42 of about 166,000 (NCVO Almanac 2017), 0.025%.
REGISTER_SIZE_SHARES = (0.511, 0.328, 0.132, 0.026, 0.00275, 0.00025)
INCOME_RANGE = (1_000, 1_000_000_000)  # the smallest and largest incomes drawn (NCVO 2024: micro median £3,400)
# Larger organisations win more awards: an organisation's chance goes with income ** RECIPIENT_INCOME_POWER, set
# (with the award sizes below) so that about a fifth of award value goes to organisations with incomes under £1m, as
# NCVO found of government grants to charities ("about a fifth", NCVO Almanac 2017 data, blogs.ncvo.org.uk
# 2017-10-03); the demo's share at DEMO_SIZES stays within GRANT_VALUE_SHARE_UNDER_1M.
RECIPIENT_INCOME_POWER = 0.45
GRANT_VALUE_SHARE_UNDER_1M = (0.15, 0.30)
# An award is a share of its recipient's income that falls as income grows: AWARD_SCALE * income ** AWARD_INCOME_POWER,
# times the funder's award size and a log-normal spread. The median award comes to about £1,300 to a micro group (a
# large part of its year), £4,400 to a small charity, £14,000 to a medium one, £46,000 to a large one and £480,000
# to a super-major, £10,000 over all, with a long right tail (a mean near £45,000). Grants of £300 to £20,000 are
# National Lottery Awards for All's range (tnlcommunityfund.org.uk, 2023); 360Giving found a median Covid grant of
# about £5,000 for up to six months and £10,000 for about a year (covidresearch.threesixtygiving.org).
AWARD_SCALE = 25.0
AWARD_INCOME_POWER = 0.5
AWARD_SPREAD = 0.8  # sigma of the log-normal spread of an award around its median
# Where an award's work happens: in its recipient's own district for most awards to small organisations ("nearly
# 80%" of micro and small charities work at a local level: NCVO Almanac 2017 and 2018, quoted by 360Giving,
# 22 June 2018), less often the larger the organisation (the larger ones work nationally: NCVO Almanac 2023); the
# shares for medium to super-major organisations are assumptions. By band, micro .. super-major.
HOME_DISTRICT_SHARE = (0.85, 0.85, 0.7, 0.5, 0.3, 0.2)
# An organisation's awards in a financial year come to no more than its latest income, but for this share of
# organisation-years. An assumption, not a published rate: a capital grant (a building, a minibus) or an
# organisation that has grown since its last accounts.
GRANTS_ABOVE_INCOME_RATE = 0.03
# Grant value a head of population a year. Public funders give civil society about £6.4bn a year across the UK
# (UKGrantmaking 2024, above: £3.03bn + £2.36bn + £1bn) among 68.3 million people (ONS, mid-2023): about £94 a head.
# The demo's awards stay under that at the sizes the project builds (20,000, the default, to 100,000 for
# `make serve`), and above GRANTS_PER_HEAD_MIN (a choice, not a source: a demo with pounds a head, not pence).
GRANTS_PER_HEAD_MAX = 94.0
GRANTS_PER_HEAD_MIN = 2.0
DEMO_SIZES = (DEFAULT_DEMO_AWARDS, 100_000)  # the default --awards, and the Makefile's AWARDS (`make serve`)

# Real postcode districts (outward codes) in each demo district, for the organisations' postcodes; the inward code
# (sector and unit) is drawn at random, so a postcode has the real format and area but need not exist.
OUTWARD_CODES = {
    # North East
    "E06000002": ("TS1", "TS3", "TS5"), "E06000047": ("DH1", "DH7", "DL14"), "E06000057": ("NE46", "NE61", "NE66"),
    "E08000021": ("NE1", "NE4", "NE6"), "E08000024": ("SR1", "SR2", "SR4"), "E08000037": ("NE8", "NE9", "NE10"),
    # North West
    "E06000009": ("FY1", "FY2", "FY3"), "E06000049": ("CW1", "CW12", "SK11"), "E06000063": ("CA1", "CA14", "CA28"),
    "E06000064": ("LA9", "LA14", "CA11"), "E07000121": ("LA1", "LA3", "LA4"), "E07000123": ("PR1", "PR2"),
    "E08000001": ("BL1", "BL2", "BL3"), "E08000003": ("M1", "M13", "M14"), "E08000006": ("M5", "M6", "M7"),
    "E08000010": ("WN1", "WN2", "WN5"), "E08000012": ("L1", "L4", "L8"),
    # Yorkshire and the Humber
    "E06000010": ("HU1", "HU3", "HU5"), "E06000014": ("YO1", "YO10", "YO24"), "E06000065": ("HG1", "YO11", "DL7"),
    "E08000017": ("DN1", "DN2", "DN4"), "E08000032": ("BD1", "BD3", "BD8"), "E08000035": ("LS1", "LS6", "LS9"),
    "E08000038": ("S70", "S71", "S75"), "E08000039": ("S1", "S2", "S10"),
    # East Midlands
    "E06000015": ("DE1", "DE22", "DE23"), "E06000016": ("LE1", "LE2", "LE3"), "E06000018": ("NG1", "NG5", "NG7"),
    "E06000061": ("NN8", "NN15", "NN17"), "E06000062": ("NN1", "NN2", "NN11"), "E07000138": ("LN1", "LN2", "LN5"),
    "E07000170": ("NG15", "NG17"),
    # West Midlands
    "E06000019": ("HR1", "HR2", "HR4"), "E06000021": ("ST1", "ST4", "ST6"), "E06000051": ("SY1", "SY3", "SY11"),
    "E07000222": ("CV31", "CV32", "CV34"), "E08000025": ("B5", "B11", "B23"), "E08000026": ("CV1", "CV2", "CV6"),
    "E08000028": ("B66", "B69", "B70"), "E08000031": ("WV1", "WV2", "WV10"),
    # East of England
    "E06000031": ("PE1", "PE2", "PE4"), "E06000032": ("LU1", "LU2", "LU4"), "E06000033": ("SS0", "SS1", "SS2"),
    "E07000008": ("CB1", "CB2", "CB4"), "E07000071": ("CO1", "CO2", "CO4"), "E07000148": ("NR1", "NR2", "NR3"),
    "E07000202": ("IP1", "IP3", "IP4"),
    # London
    "E09000003": ("EN5", "N3", "NW4"), "E09000005": ("HA9", "NW10"), "E09000007": ("NW1", "NW3", "NW5"),
    "E09000008": ("CR0", "CR2", "CR7"), "E09000012": ("E5", "E8", "N16"), "E09000019": ("N1", "N7", "N19"),
    "E09000022": ("SE11", "SW2", "SW9"), "E09000025": ("E6", "E13", "E15"), "E09000028": ("SE1", "SE15", "SE17"),
    "E09000030": ("E1", "E3", "E14"), "E09000033": ("NW8", "SW1P", "W2"),
    # South East
    "E06000035": ("ME1", "ME4", "ME7"), "E06000038": ("RG1", "RG2", "RG30"), "E06000042": ("MK6", "MK9", "MK13"),
    "E06000043": ("BN1", "BN2", "BN3"), "E06000044": ("PO1", "PO4", "PO5"), "E06000045": ("SO14", "SO15", "SO17"),
    "E06000046": ("PO30", "PO33", "PO36"), "E06000060": ("HP11", "HP19", "HP20"), "E07000106": ("CT1", "CT2", "CT5"),
    "E07000178": ("OX1", "OX3", "OX4"), "E07000209": ("GU1", "GU2", "GU4"),
    # South West
    "E06000022": ("BA1", "BA2"), "E06000023": ("BS1", "BS3", "BS5"), "E06000026": ("PL1", "PL4", "PL5"),
    "E06000030": ("SN1", "SN2", "SN25"), "E06000052": ("PL31", "TR1", "TR18"), "E06000058": ("BH1", "BH15", "BH23"),
    "E06000066": ("BA20", "TA1", "TA6"), "E07000041": ("EX1", "EX2", "EX4"),
    # Wales
    "W06000002": ("LL53", "LL55", "LL57"), "W06000006": ("LL11", "LL12", "LL13"), "W06000011": ("SA1", "SA2", "SA5"),
    "W06000015": ("CF10", "CF11", "CF24"), "W06000016": ("CF37", "CF40", "CF44"), "W06000022": ("NP19", "NP20"),
    # Scotland
    "S12000017": ("IV1", "IV2", "PH33"), "S12000033": ("AB10", "AB11", "AB24"), "S12000036": ("EH1", "EH6", "EH11"),
    "S12000042": ("DD1", "DD3", "DD4"), "S12000047": ("KY1", "KY12", "KY16"), "S12000049": ("G1", "G31", "G42"),
    # Northern Ireland
    "N09000002": ("BT32", "BT61", "BT66"), "N09000003": ("BT1", "BT7", "BT12"), "N09000005": ("BT47", "BT48", "BT82"),
    "N09000007": ("BT27", "BT28"), "N09000010": ("BT30", "BT34", "BT35"),
}
POSTCODE = r"^[A-Z]{1,2}[0-9][A-Z0-9]? [0-9][A-Z]{2}$"  # the format of a UK postcode
INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"  # the letters an inward code uses (never C, I, K, M, O or V)

# Small areas: LSOAs (England and Wales) of about PEOPLE_PER_SMALL_AREA residents each (Census 2021: 59.6 million
# people in 35,672 LSOAs), numbered from FIRST_DEMO_SMALL_AREA, above the last real LSOA 2021 code (about E01035700 and
# W01002040), so that a demo code can never be a real area's.
PEOPLE_PER_SMALL_AREA = 1_670
FIRST_DEMO_SMALL_AREA = 40_000
LAST_REAL_SMALL_AREA = {"E01": 35_700, "W01": 2_040}

# Engagement meetings. The sector asked for departmental action plans "with a set number of engagement meetings"
# (NCVO and ACEVO's report on the Covenant's engagement exercise), so a return made once a body has adopted its plan
# commits to meetings, but for NO_MEETINGS_AFTER_PLAN_RATE of them; before its plan, a body commits to some in
# MEETINGS_BEFORE_PLAN_RATE of its returns (engagement it already runs). Both are assumptions: no returns exist yet.
NO_MEETINGS_AFTER_PLAN_RATE = 0.05
MEETINGS_BEFORE_PLAN_RATE = 0.5
# When a return says it was sent (assumptions: no record of the timeliness of Covenant returns exists yet). It gives
# no date in RETURN_UNDATED_RATE of returns; otherwise it is sent a log-normal number of days after its quarter ends
# (median RETURN_MEDIAN_DAYS), and late, 1 to RETURN_LATE_DAYS_MAX days after it was due, in RETURN_LATE_RATE of them
# by the body's trait (periods.RETURN_DUE_DAYS is the deadline).
RETURN_UNDATED_RATE = 0.08
RETURN_MEDIAN_DAYS = 16
RETURN_LATE_RATE = {"improver": 0.06, "steady": 0.15, "laggard": 0.35}
RETURN_LATE_DAYS_MAX = 90

# Issue timelines (assumptions: the mechanism is new and no log of it is published). Acknowledged after a log-normal
# number of hours with this median; a resolved issue is closed the same day (CLOSED_SAME_DAY_RATE), 1 to
# CLOSING_DAYS_MAX days later, or not yet (NOT_CLOSED_RATE).
ACKNOWLEDGED_MEDIAN_HOURS = 30
CLOSED_SAME_DAY_RATE = 0.25
NOT_CLOSED_RATE = 0.08
CLOSING_DAYS_MAX = 30


@dataclass(frozen=True)
class DemoSettings:
    awards: int = 20_000
    seed: int = 2025
    as_of: dt.date = field(default_factory=dt.date.today)
    defect_rate: float = 0.01


@dataclass
class DemoSummary:
    files: dict[str, int] = field(default_factory=dict)  # inbox folder -> files written
    rows: dict[str, int] = field(default_factory=dict)  # inbox folder -> rows written
    defects: dict[str, int] = field(default_factory=dict)  # defect -> records affected

    def add(self, folder: str, rows: int, files: int = 1) -> None:
        self.files[folder] = self.files.get(folder, 0) + files
        self.rows[folder] = self.rows.get(folder, 0) + rows

    def defect(self, name: str, count: int) -> None:
        if count:
            self.defects[name] = self.defects.get(name, 0) + int(count)


def _rng(seed: int, *parts: object) -> np.random.Generator:
    """An independent, reproducible stream for one part of the world."""
    digest = hashlib.sha256(("/".join(map(str, (seed, *parts)))).encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))


def _covenant_ramp(days: np.ndarray) -> np.ndarray:
    """0 before the Covenant, rising to 1 eighteen months after it."""
    since = (days - (periods.COVENANT_PUBLISHED - START).days) / 540.0
    return np.clip(since, 0.0, 1.0)


# --- the world: bodies, places, organisations -------------------------------------------------------------------


def _bodies(settings: DemoSettings) -> pl.DataFrame:
    bodies = reference.load("public_bodies")
    rng = _rng(settings.seed, "bodies")
    n = bodies.height
    trait = rng.choice(len(TRAITS), size=n, p=[0.45, 0.35, 0.20])
    weight = np.array([BODY_TYPE_WEIGHT[t] for t in bodies["body_type"]]) * rng.lognormal(0.0, 0.8, n)
    weight = np.where(bodies["code"].is_in(NOT_LOCAL).to_numpy(), 0.0, weight)
    group = np.array(_funder_groups(bodies))
    award_size = np.array([FUNDER_AWARD_SIZE[g] for g in group])
    # each group's awards, at its award size, come to its share of the value
    for name, share in FUNDER_VALUE_SHARE.items():
        weight[group == name] *= share / FUNDER_AWARD_SIZE[name] / weight[group == name].sum()
    return bodies.with_columns(
        pl.Series("trait", [TRAITS[i] for i in trait]),
        pl.Series("funding_weight", weight),
        pl.Series("award_size", award_size),
        pl.Series("publishes_practice", rng.random(n) < 0.7),
        pl.Series("format", rng.choice(["json", "csv", "xlsx"], size=n, p=[0.35, 0.5, 0.15])),
        pl.Series("adopts_quarter", np.where(trait == 0, rng.integers(5, 8, n), np.where(trait == 1, rng.integers(7, 10, n), rng.integers(9, 14, n)))),
    )


def _funder_groups(bodies: pl.DataFrame) -> list[str]:
    """Each body's group of funders (FUNDER_VALUE_SHARE): lottery, local or central."""
    return ["lottery" if code in LOTTERY_DISTRIBUTORS else "local" if body_type in LOCAL_BODY_TYPES else "central"
            for code, body_type in bodies.select("code", "body_type").iter_rows()]


def _districts() -> pl.DataFrame:
    places = reference.load("localities").filter(pl.col("level") == "district")
    return places.select("gss_code", "name", "nation_code", "population").with_columns(
        (pl.col("population") / pl.col("population").sum()).alias("weight"),
        pl.col("gss_code").str.slice(0, 3).replace_strict(GEOCODE_TYPES, default="LAD").alias("geocode_type"),
    )


def _organisations(settings: DemoSettings, districts: pl.DataFrame) -> pl.DataFrame:
    n = int(min(max(300, settings.awards // 4), 400_000))
    rng = _rng(settings.seed, "organisations")
    district = rng.choice(districts.height, size=n, p=districts["weight"].to_numpy())
    nation = districts["nation_code"].to_numpy()[district]
    place = districts["name"].to_numpy()[district]
    # income: a band in the proportions of UK voluntary organisations, then evenly spread (in log) within the band
    counts = np.floor(np.array(REGISTER_SIZE_SHARES) * n).astype(int)
    counts[0] += n - counts.sum()  # what rounding leaves goes to the micro band
    band = rng.permutation(np.repeat(np.arange(len(SIZE_CODES)), counts))
    edges = np.log(np.concatenate([[INCOME_RANGE[0]], SIZE_LIMITS, [INCOME_RANGE[1]]]))
    income = np.round(np.exp(rng.uniform(edges[band], edges[band + 1])), 0)
    unknown_income = rng.random(n) < 0.08
    kind = rng.choice(5, size=n, p=[0.52, 0.20, 0.10, 0.10, 0.08])  # charity, charitable company, CIO, CIC, group
    number = 200_000 + rng.choice(1_000_000, size=n, replace=False)
    company = rng.choice(15_000_000, size=n, replace=False)
    company_number = np.char.zfill(company.astype(str), 8)
    charity_number = number.astype(str)
    scottish = nation == "S92000003"
    northern_irish = nation == "N92000002"
    org_id = np.where(
        kind == 3,
        np.char.add("GB-COH-", company_number),
        np.where(
            kind == 4,
            np.char.add("360G-CG-", np.char.zfill(np.arange(n).astype(str), 6)),
            np.where(
                scottish,
                np.char.add("GB-SC-SC", np.char.zfill((number - 200_000).astype(str), 6)),
                np.where(northern_irish, np.char.add("GB-NIC-", (number - 100_000).astype(str)),
                         np.char.add("GB-CHC-", charity_number)),
            ),
        ),
    )
    organisation_type = np.array(["charity", "charitable_company", "cio", "community_interest_company", "community_group"])[kind]
    names = (
        pl.DataFrame(
            {
                "place": place,
                "cause": np.array(CAUSES)[rng.integers(0, len(CAUSES), n)],
                "form": np.array(FORMS)[rng.integers(0, len(FORMS), n)],
            }
        )
        .select(pl.format("{} {} {}", "place", "cause", "form").alias("name"))
        .with_columns(pl.int_range(pl.len()).over("name").alias("k"))
        .select(pl.when(pl.col("k") == 0).then("name").otherwise(pl.format("{} ({})", "name", pl.col("k") + 1)))
        .to_series()
    )
    areas = [OUTWARD_CODES[code] for code in districts["gss_code"]]
    outward = np.array([areas[d][k % len(areas[d])] for d, k in zip(district, rng.integers(0, 6, n))])
    letters = np.array(list(INWARD_LETTERS))
    inward = np.char.add(np.char.add(rng.integers(0, 10, n).astype(str), letters[rng.integers(0, 20, n)]), letters[rng.integers(0, 20, n)])
    period_end = np.array([dt.date(2024, 3, 31), dt.date(2025, 3, 31), dt.date(2025, 12, 31)], dtype="datetime64[D]")[
        rng.integers(0, 3, n)
    ]
    registered = np.isin(kind, [0, 1, 2]) & ~scottish & ~northern_irish
    return pl.DataFrame(
        {
            "org_id": org_id,
            "name": names,
            "charity_number": charity_number,
            "company_number": company_number,
            "organisation_type": organisation_type,
            "latest_income": income,
            "income_period_end": period_end,
            "postcode": np.char.add(np.char.add(outward, " "), inward),
            "local_authority_code": districts["gss_code"].to_numpy()[district],
            "district_index": district,
            "_registered": registered,
            "_company": np.isin(kind, [1, 3]),
            "_unknown_income": unknown_income,
        }
    ).with_columns(
        pl.when("_registered").then("charity_number").alias("charity_number"),
        pl.when("_company").then("company_number").alias("company_number"),
        pl.when(~pl.col("_unknown_income")).then("latest_income").alias("latest_income"),
        pl.col("income_period_end").cast(pl.Date),
    ).drop("_registered", "_company", "_unknown_income")


# --- funding ------------------------------------------------------------------------------------------------------


def _awards(settings: DemoSettings, bodies: pl.DataFrame, districts: pl.DataFrame, orgs: pl.DataFrame) -> pl.DataFrame:
    """All awards as one frame of canonical columns (before formatting into files)."""
    n = settings.awards
    rng = _rng(settings.seed, "awards")
    days_total = (settings.as_of - START).days + 1
    # award dates: more awards later (growth) and bunched at year end (March)
    day = rng.integers(0, days_total, n)
    award_date = np.datetime64(START) + day.astype("timedelta64[D]")
    ramp = _covenant_ramp(day)
    funder = rng.choice(bodies.height, size=n, p=(w := bodies["funding_weight"].to_numpy()) / w.sum())
    trait = bodies["trait"].to_numpy()[funder]
    improver = trait == "improver"
    laggard = trait == "laggard"
    # recipients: larger organisations win more awards
    income = orgs["latest_income"].fill_null(30_000).to_numpy()
    org_weight = income**RECIPIENT_INCOME_POWER
    recipient = rng.choice(orgs.height, size=n, p=org_weight / org_weight.sum())
    band = np.searchsorted(SIZE_LIMITS, income[recipient], side="right")  # 0 micro .. 5 super-major
    smaller = income[recipient] <= reference.SMALLER_ORGANISATION_MAX_INCOME
    # amounts: a share of the recipient's income, the smaller the larger it is (capped per year below)
    amount = (AWARD_SCALE * income[recipient] ** AWARD_INCOME_POWER * bodies["award_size"].to_numpy()[funder]
              * rng.lognormal(0, AWARD_SPREAD, n))
    # length: smaller organisations get shorter awards; improvers lengthen them after the Covenant
    long_chance = np.array([0.10, 0.20, 0.35, 0.50, 0.60, 0.60])[band] + np.where(improver, 0.35, 0.0) * ramp
    long_chance -= np.where(laggard, 0.05, 0.0)
    is_long = rng.random(n) < long_chance
    duration = np.where(
        is_long, rng.choice(DURATIONS[4:], size=n, p=[0.5, 0.35, 0.1, 0.05]), rng.choice(DURATIONS[:4], size=n, p=[0.1, 0.2, 0.55, 0.15])
    )
    start_date = award_date + rng.integers(7, 90, n).astype("timedelta64[D]")
    end_date = (start_date.astype("datetime64[M]") + duration.astype("timedelta64[M]")).astype("datetime64[D]") - 1
    paid_in_advance = rng.random(n) < (0.45 + np.where(improver, 0.3, 0.0) * ramp - np.where(laggard, 0.1, 0.0))
    full_cost = rng.random(n) < (0.30 + 0.1 * ~smaller + np.where(improver, 0.3, 0.0) * ramp)
    advocacy = rng.random(n) < (0.14 - np.where(improver, 0.11, 0.0) * ramp + np.where(laggard, 0.04, 0.0))
    # beneficiary location: where the recipient is, for most awards to small organisations and fewer to large ones
    home = orgs["district_index"].to_numpy()[recipient]
    elsewhere = rng.choice(districts.height, size=n, p=districts["weight"].to_numpy())
    district = np.where(rng.random(n) < np.array(HOME_DISTRICT_SHARE)[band], home, elsewhere)
    programme = rng.integers(0, 4, n)
    funder_codes = bodies["code"].to_numpy()[funder]
    frame = pl.DataFrame(
        {
            "funder_index": funder,
            "funder_code": funder_codes,
            "award_date": award_date,
            "amount_awarded": amount,
            "duration_months": duration,
            "planned_start_date": start_date,
            "planned_end_date": end_date,
            "recipient_index": recipient,
            "recipient_income": income[recipient],
            "district_index": district,
            "programme_index": programme,
            "paid_in_advance": paid_in_advance,
            "full_cost_recovery": full_cost,
            "advocacy_restriction_clause": advocacy,
        }
    ).with_columns(pl.col("award_date", "planned_start_date", "planned_end_date").cast(pl.Date))
    frame = frame.sort("funder_code", "award_date", "recipient_index").with_columns(
        pl.format("360G-{}-{}", pl.col("funder_code").str.replace_all("-", ""), pl.int_range(1, pl.len() + 1).over("funder_code").cast(pl.Utf8).str.zfill(7)).alias("grant_id"),
        periods.financial_year_expr("award_date").alias("financial_year"),
    )
    return _within_income(frame, settings)


def _within_income(frame: pl.DataFrame, settings: DemoSettings) -> pl.DataFrame:
    """Awards scaled down so that an organisation's awards in a financial year come to no more than its income,
    but for a few organisation-years (GRANTS_ABOVE_INCOME_RATE); amounts in whole tens of pounds, £100 at least."""
    years = frame.select("recipient_index", "financial_year").unique().sort("recipient_index", "financial_year")
    years = years.with_columns(pl.Series("above_income", _rng(settings.seed, "above-income").random(years.height) < GRANTS_ABOVE_INCOME_RATE))
    year_total = pl.col("amount_awarded").sum().over("recipient_index", "financial_year")
    income = pl.col("recipient_income")
    scale = pl.when(pl.col("above_income") | (year_total <= income)).then(1.0).otherwise(income / year_total)
    return (
        frame.join(years, on=["recipient_index", "financial_year"], how="left", maintain_order="left")
        .with_columns(((pl.col("amount_awarded") * scale / 10).floor() * 10).clip(lower_bound=100).alias("amount_awarded"))
        .drop("above_income", "recipient_income")
    )


def _award_records(frame: pl.DataFrame, bodies: pl.DataFrame, districts: pl.DataFrame, orgs: pl.DataFrame,
                   settings: DemoSettings) -> pl.DataFrame:
    """Canonical award columns with names, ids and codes filled in (still clean)."""
    body = bodies.select(
        pl.int_range(pl.len()).alias("funder_index"),
        pl.col("name").alias("funding_org_name"),
        pl.coalesce("org_id", pl.format("360G-{}", "code")).alias("funding_org_id"),
        "publishes_practice",
        "format",
    )
    org = orgs.select(
        pl.int_range(pl.len()).alias("recipient_index"),
        pl.col("org_id").alias("recipient_org_id"),
        pl.col("name").alias("recipient_name"),
        pl.col("charity_number").alias("recipient_charity_number"),
        pl.col("company_number").alias("recipient_company_number"),
        pl.col("postcode").alias("recipient_postcode"),
    )
    place = districts.select(
        pl.int_range(pl.len()).alias("district_index"),
        pl.col("gss_code").alias("beneficiary_geocode"),
        pl.col("geocode_type").alias("beneficiary_geocode_type"),
        pl.col("name").alias("beneficiary_location_name"),
    )
    return (
        frame.join(body, on="funder_index", how="left")
        .join(org, on="recipient_index", how="left")
        .join(place, on="district_index", how="left")
        .with_columns(
            pl.lit("GBP").alias("currency"),
            ((pl.col("funder_index") * 7 + pl.col("programme_index")) % len(PROGRAMME_THEMES)).alias("theme_index"),
        )
        .with_columns(
            pl.col("theme_index").replace_strict(dict(enumerate(PROGRAMME_THEMES)), return_dtype=pl.Utf8).alias("programme_title"),
            pl.format("{}-P{}", pl.col("funder_code").str.replace_all("-", ""), pl.col("programme_index") + 1).alias("programme_code"),
        )
        .with_columns(
            pl.format("{} grant to {}", "programme_title", "recipient_name").alias("title"),
            pl.format("Funding under the {} programme for work in {}.", "programme_title", "beneficiary_location_name").alias("description"),
            pl.lit(None, pl.Utf8).alias("funding_org_department"),
            pl.lit(None, pl.Float64).alias("amount_disbursed"),
            pl.lit(settings.as_of).alias("date_modified"),
        )
    )


def _apply_funding_defects(records: pl.DataFrame, settings: DemoSettings, summary: DemoSummary,
                           lsoa: pl.DataFrame) -> pl.DataFrame:
    """Mark records with the defects real 360Giving files have. Returns the records with a `defect` column."""
    rate = settings.defect_rate
    rng = _rng(settings.seed, "funding-defects")
    n = records.height
    draw = rng.random(n)
    kinds = np.array(
        ["", "dmy_date", "pound_amount", "swapped_geocode", "small_area_code", "missing_amount", "negative_amount",
         "zero_amount", "funder_alias", "unknown_funder", "duplicate_identifier", "charity_number_only",
         "formula_in_title", "missing_location", "future_award_date"],
        dtype=object,
    )
    weights = np.array([0, 16, 16, 6, 10, 3, 2, 3, 8, 3, 4, 8, 3, 12, 3], dtype=float)
    kind = np.where(draw < rate, rng.choice(len(kinds), size=n, p=weights / weights.sum()), 0)
    records = records.with_columns(pl.Series("defect", kinds[kind]).replace("", None))
    # old district codes: Barnsley and Sheffield awards keep the pre-2024 code in some files regardless of rate
    successors = reference.load("locality_successors")
    old_codes = dict(zip(successors["current_code"], successors["former_code"]))
    barnsley_sheffield = [c for c in ("E08000038", "E08000039") if c in old_codes]
    old_code = pl.col("beneficiary_geocode").is_in(barnsley_sheffield) & (pl.col("award_date") < dt.date(2024, 10, 1))
    records = records.with_columns(
        pl.when(old_code).then(pl.col("beneficiary_geocode").replace(old_codes)).otherwise("beneficiary_geocode").alias("beneficiary_geocode")
    )
    summary.defect("former_district_code", records.filter(old_code).height)
    for name, count in records.group_by("defect").len().drop_nulls().sort("defect").iter_rows():
        summary.defect(name, count)
    lsoa_by_district = lsoa.group_by("LAD23CD").agg(pl.col("LSOA21CD").first())
    records = records.join(lsoa_by_district, left_on="beneficiary_geocode", right_on="LAD23CD", how="left")
    d = pl.col("defect")
    return records.with_columns(
        pl.when(d == "swapped_geocode").then("beneficiary_geocode_type")
        .when((d == "small_area_code") & pl.col("LSOA21CD").is_not_null()).then("LSOA21CD")
        .when(d == "missing_location").then(None)
        .otherwise("beneficiary_geocode").alias("beneficiary_geocode"),
        pl.when(d == "swapped_geocode").then("beneficiary_geocode")
        .when((d == "small_area_code") & pl.col("LSOA21CD").is_not_null()).then(pl.lit("LSOA"))
        .when(d == "missing_location").then(None)
        .otherwise("beneficiary_geocode_type").alias("beneficiary_geocode_type"),
        pl.when(d == "missing_location").then(None).otherwise("beneficiary_location_name").alias("beneficiary_location_name"),
        pl.when(d == "missing_amount").then(None).when(d == "negative_amount").then(-pl.col("amount_awarded"))
        .when(d == "zero_amount").then(0.0).otherwise("amount_awarded").alias("amount_awarded"),
        pl.when(d == "funder_alias").then(pl.col("funding_org_name").str.replace(" and ", " & ").str.replace("Department", "Dept.", literal=True).str.to_uppercase())
        .when(d == "unknown_funder").then(pl.format("{} (Regional Office)", "funding_org_name"))
        .otherwise("funding_org_name").alias("funding_org_name"),
        pl.when(d == "unknown_funder").then(pl.format("360G-{}-REGIONAL", pl.col("funder_code").str.replace_all("-", "")))
        .otherwise("funding_org_id").alias("funding_org_id"),
        pl.when((d == "charity_number_only") & pl.col("recipient_charity_number").is_not_null()).then(None)
        .otherwise("recipient_org_id").alias("recipient_org_id"),
        pl.when(d == "formula_in_title").then(pl.format('=HYPERLINK("http://example.invalid","{}")', "recipient_name"))
        .otherwise("title").alias("title"),
        pl.when(d == "future_award_date").then(pl.lit(settings.as_of + dt.timedelta(days=400)))
        .otherwise("award_date").alias("award_date"),
    ).drop("LSOA21CD")


FLAT_TITLES = {f.name: f.title for f in FUNDING_COLUMNS}


def _flat(records: pl.DataFrame, with_practice: bool, text_defects: bool) -> pl.DataFrame:
    """Canonical records -> a frame headed by 360Giving flattened titles, every cell text, as in CSV and XLSX."""
    d = pl.col("defect")
    columns = []
    for f in FUNDING_COLUMNS:
        if f.name in PRACTICE_FIELDS and not with_practice:
            continue
        col = pl.col(f.name)
        if f.logical_type == "date":
            text = col.dt.strftime("%Y-%m-%d")
            if text_defects and f.name == "award_date":
                text = pl.when(d == "dmy_date").then(col.dt.strftime("%d/%m/%Y")).otherwise(text)
        elif f.logical_type == "boolean":
            text = pl.when(col).then(pl.lit("Yes")).otherwise(pl.lit("No"))
        elif f.name == "amount_awarded":
            text = col.round(2).cast(pl.Utf8).str.replace(r"\.0$", "")
            if text_defects:
                pounds = pl.format("£{}.00", col.cast(pl.Int64).cast(pl.Utf8).str.reverse().str.replace_all(r"(\d{3})", "$1,").str.reverse().str.strip_chars_start(","))
                text = pl.when(d == "pound_amount").then(pounds).otherwise(text)
        else:
            text = col.cast(pl.Utf8)
        columns.append(text.alias(f.title))
    return records.select(columns)


def _json_grants(records: pl.DataFrame, with_practice: bool) -> pl.DataFrame:
    """Canonical records -> nested 360Giving grant objects (a struct per row)."""
    def one(**fields: pl.Expr) -> pl.Expr:
        return pl.concat_list(pl.struct(**fields))

    grant = {
        "id": pl.col("grant_id"),
        "title": pl.col("title"),
        "description": pl.col("description"),
        "currency": pl.col("currency"),
        "amountAwarded": pl.col("amount_awarded"),
        "awardDate": pl.col("award_date").dt.strftime("%Y-%m-%dT00:00:00+00:00"),
        "plannedDates": one(startDate=pl.col("planned_start_date").dt.strftime("%Y-%m-%d"),
                            endDate=pl.col("planned_end_date").dt.strftime("%Y-%m-%d"),
                            duration=pl.col("duration_months")),
        "recipientOrganization": one(id=pl.col("recipient_org_id"), name=pl.col("recipient_name"),
                                     charityNumber=pl.col("recipient_charity_number"),
                                     companyNumber=pl.col("recipient_company_number"),
                                     postalCode=pl.col("recipient_postcode")),
        "fundingOrganization": one(id=pl.col("funding_org_id"), name=pl.col("funding_org_name")),
        "grantProgramme": one(code=pl.col("programme_code"), title=pl.col("programme_title")),
        "beneficiaryLocation": pl.when(pl.col("beneficiary_geocode").is_not_null()).then(
            one(name=pl.col("beneficiary_location_name"), geoCode=pl.col("beneficiary_geocode"),
                geoCodeType=pl.col("beneficiary_geocode_type"))),
        "dateModified": pl.col("date_modified").dt.strftime("%Y-%m-%dT00:00:00+00:00"),
    }
    if with_practice:
        grant |= {"paidInAdvance": pl.col("paid_in_advance"), "fullCostRecovery": pl.col("full_cost_recovery"),
                  "advocacyRestrictionClause": pl.col("advocacy_restriction_clause")}
    return records.select(**grant)


def _funding_files(settings: DemoSettings, records: pl.DataFrame) -> dict[tuple[str, str], tuple[pl.DataFrame, str, str | None]]:
    """One file per funder per financial year: (records, format, encoding)."""
    # duplicates: a record repeated in the same file, as a publisher's export sometimes does
    dupes = records.filter(pl.col("defect") == "duplicate_identifier")
    records = pl.concat([records, dupes]).sort("funder_code", "financial_year", "grant_id")
    xlsx_cap = 1_000  # spreadsheets come from small publishers; bigger files are sent as CSV
    groups = records.partition_by(["funder_code", "financial_year"], as_dict=True, maintain_order=True)
    files = {}
    for key, group in groups.items():
        fmt = group["format"][0]
        files[key] = (group, "csv" if fmt == "xlsx" and group.height > xlsx_cap else fmt, None)
    # two CSV files get the encoding defects: Windows-1252, and UTF-8 with a byte-order mark
    csv_keys = [k for k, (_, fmt, _) in files.items() if fmt == "csv"]
    if settings.defect_rate > 0 and len(csv_keys) >= 2:
        for key, encoding in zip(csv_keys[:2], ("cp1252", "utf-8-sig")):
            files[key] = (files[key][0], "csv", encoding)
    return files


def _write_funding_file(folder: Path, key: tuple[str, str], group: pl.DataFrame, fmt: str, encoding: str | None,
                        created: dt.datetime | None = None) -> int:
    code, fy = key
    with_practice = bool(group["publishes_practice"][0])
    stem = f"{code.lower()}_grants_{fy}"
    if fmt == "json":
        body = _json_grants(group, with_practice)
        with open(folder / f"{stem}.json", "wb") as out:
            out.write(b'{"grants": ')
            body.write_json(out)
            out.write(b"}\n")
    elif fmt == "csv":
        flat = _flat(group, with_practice, text_defects=True)
        if encoding:
            (folder / f"{stem}.csv").write_bytes(flat.write_csv().encode(encoding, errors="replace"))
        else:
            flat.write_csv(folder / f"{stem}.csv")
    else:
        flat = _flat(group, with_practice, text_defects=False)
        write_workbook(folder / f"{stem}.xlsx", [(f"Grants {fy}", flat.columns, flat.iter_rows())], created=created)
    return group.height


# --- returns ------------------------------------------------------------------------------------------------------


def _quarters(as_of: dt.date) -> list[tuple[str, int, dt.date, dt.date]]:
    """Quarters that have ended by `as_of` (a return is made after its quarter ends)."""
    cal = periods.calendar(as_of)
    return [(r["financial_year"], r["quarter"], r["first_day"], r["last_day"]) for r in cal.iter_rows(named=True) if r["last_day"] < as_of]


def _yes_no(flag: bool) -> str:
    return "Yes" if flag else "No"


def _submitted_on(settings: DemoSettings, body: dict, fy: str, q: int, last: dt.date) -> dt.date | None:
    """When a body says it sent its return for a quarter that ended on `last` (None: it does not say); never after
    the day the demo runs to. A stream of its own, so other figures are unchanged."""
    rng = _rng(settings.seed, "submitted_on", body["code"], fy, q)
    if rng.random() < RETURN_UNDATED_RATE:
        return None
    if rng.random() < RETURN_LATE_RATE[body["trait"]]:
        days = periods.RETURN_DUE_DAYS + int(rng.integers(1, RETURN_LATE_DAYS_MAX + 1))
    else:
        days = int(min(periods.RETURN_DUE_DAYS, max(1, rng.lognormal(np.log(RETURN_MEDIAN_DAYS), 0.5))))
    return min(last + dt.timedelta(days=days), settings.as_of)


def _grants_awarded_value(settings: DemoSettings, body: dict, fy: str, q: int, published: float, after: bool,
                          improver: bool, laggard: bool) -> float | None:
    """What a body says it awarded in grants in a quarter: more than it published in 360Giving form, less so for
    improvers after the Covenant; sometimes not stated. A stream of its own, so other figures are unchanged."""
    rng = _rng(settings.seed, "grants_awarded_value", body["code"], fy, q)
    if rng.random() < 0.1:
        return None
    if body["code"] in NOT_LOCAL:
        return 0.0  # it makes no awards to civil society in UK places
    coverage = 0.9 if improver and after else 0.5 if laggard else 0.75
    coverage = min(1.0, coverage + rng.normal(0, 0.05))
    return round(published / coverage, -2) if published else float(rng.choice([0, 25000, 120000]))


def _return_workbooks(settings: DemoSettings, body: dict, org_ids: np.ndarray, org_names: np.ndarray,
                      published: dict[tuple[str, str, int], float]):
    """Yield (file name, sheets) for each quarter that one body made a return for; `published` is the value of
    the body's awards in its 360Giving files by (body, financial year, quarter)."""
    contract = load_contract("returns")
    titles = {d.name: [f.title for f in d.fields] for d in contract.datasets}
    sheet_names = {d.name: d.physical_name for d in contract.datasets}
    quarters = _quarters(settings.as_of)
    alias = (body["aliases"] or "").split("|")[0] or body["name"]
    rng = _rng(settings.seed, "returns", body["code"])
    improver, laggard = body["trait"] == "improver", body["trait"] == "laggard"
    central = body["body_type"] in ("ministerial_department", "non_ministerial_department",
                                     "executive_agency", "non_departmental_public_body")
    if not central and rng.random() < 0.35:
        return  # not every local body reports
    commitments: list[list] = []
    for qi, (fy, q, first, last) in enumerate(quarters):
        adopted = qi >= body["adopts_quarter"]
        if rng.random() < (0.04 if improver else 0.12 if laggard else 0.07):
            continue  # a missed return
        n_commit = int(rng.integers(4, 13)) if adopted else 0
        while len(commitments) < n_commit:
            principle = ("recognition", "partnership", "participation", "transparency")[len(commitments) % 4]
            due = last + dt.timedelta(days=int(rng.integers(60, 540)))
            commitments.append([f"{body['code']}-C{len(commitments) + 1:02d}", principle,
                                f"Commitment {len(commitments) + 1} under {principle}", "not started", due])
        for c in commitments:
            if c[3] in ("met", "missed"):
                continue
            if last >= c[4]:
                c[3] = "met" if rng.random() < (0.8 if improver else 0.45 if laggard else 0.65) else "missed"
            else:
                c[3] = rng.choice(["on track", "at risk", "not started"], p=[0.7, 0.2, 0.1] if not laggard else [0.4, 0.4, 0.2])
        # engagement meetings: an adopted plan sets a number (rarely none); some bodies commit to meetings before one
        commits = rng.random() >= NO_MEETINGS_AFTER_PLAN_RATE if adopted else rng.random() < MEETINGS_BEFORE_PLAN_RATE
        committed = int(rng.integers(2, 13)) if commits else 0
        held_rate = 0.9 if improver else 0.5 if laggard else 0.75
        held = int(rng.binomial(committed, held_rate) + rng.integers(0, 2)) if committed else int(rng.integers(0, 3))
        rejected = int(rng.integers(0, 120)) if central else int(rng.integers(0, 40))
        feedback_rate = 0.3 + (0.5 if improver else 0.1 if laggard else 0.3) * (1 if adopted else 0.3)
        foi = int(rng.integers(0, 30))
        after = qi >= 5  # the Covenant was published in 2025-26 Q2, the sixth quarter
        summary_row = [
            alias if rng.random() < 0.3 else body["code"], fy, q,
            _yes_no(adopted), f"https://www.gov.uk/government/publications/{body['code'].lower()}-covenant-action-plan" if adopted else None,
            _yes_no(adopted or (improver and qi >= 4)), _yes_no(adopted or qi >= 5),
            committed, held, rejected, int(rng.binomial(rejected, min(feedback_rate, 0.98))), foi,
            int(rng.binomial(foi, 0.85 if not laggard else 0.6)),
            _grants_awarded_value(settings, body, fy, q, published.get((body["code"], fy, q), 0.0), after, improver, laggard),
            _submitted_on(settings, body, fy, q, last),
        ]
        consultations = []
        for k in range(int(rng.integers(0, 4 if central else 2))):
            opened = first + dt.timedelta(days=int(rng.integers(0, 80)))
            short_chance = 0.4 if not after else (0.12 if improver else 0.4 if laggard else 0.25)
            weeks = int(rng.integers(4, 12)) if rng.random() < short_chance else int(rng.integers(12, 17))
            closed = opened + dt.timedelta(weeks=weeks)
            reason = "Urgent change required by legislation" if weeks < 12 and rng.random() < 0.3 else None
            responded = closed + dt.timedelta(days=int(rng.integers(30, 200)))
            consultations.append([
                f"{body['code']}-{fy}-Q{q}-CON{k + 1}", f"Consultation on {PROGRAMME_THEMES[int(rng.integers(0, len(PROGRAMME_THEMES)))].lower()}",
                opened, closed, reason, _yes_no(rng.random() < (0.6 if improver and after else 0.3)),
                responded if responded <= settings.as_of and rng.random() < 0.75 else None,
            ])
        endings = []
        for k in range(int(rng.integers(0, 5))):
            ended = first + dt.timedelta(days=int(rng.integers(0, 90)))
            good = rng.random() < (0.85 if improver and after else 0.5 if laggard else 0.65)
            notice = ended - dt.timedelta(days=int(rng.integers(92, 200) if good else rng.integers(5, 85)))
            endings.append([f"{body['code']}-{fy}-Q{q}-END{k + 1}", str(org_ids[rng.integers(0, len(org_ids))]), ended,
                            notice if rng.random() < 0.92 else None, _yes_no(rng.random() < (0.9 if improver and after else 0.55))])
        policies = []
        for k in range(int(rng.integers(1, 5))):
            kind = rng.choice(["policy", "legislation", "guidance", "design project"], p=[0.4, 0.1, 0.3, 0.2])
            agreements = int(rng.integers(0, 30))
            clause_rate = 0.15 if not after else (0.03 if improver else 0.15 if laggard else 0.08)
            policies.append([f"{body['code']}-{fy}-Q{q}-POL{k + 1}", f"{kind.title()} on {PROGRAMME_THEMES[int(rng.integers(0, len(PROGRAMME_THEMES)))].lower()}",
                             kind, _yes_no(rng.random() < (0.85 if improver and after else 0.35 if laggard else 0.55)),
                             _yes_no(rng.random() < (0.6 if improver and after else 0.25)) if kind == "design project" else None,
                             agreements, int(rng.binomial(agreements, clause_rate))])
        engagement = []
        for m in range(held):
            when = first + dt.timedelta(days=int(rng.integers(0, 90)))
            mtype = rng.choice(["roundtable", "advisory group", "workshop", "bilateral", "forum"])
            for o in rng.integers(0, len(org_ids), int(rng.integers(2, 9))):
                engagement.append([when, mtype, str(org_ids[o]), str(org_names[o])])
        sheets = [
            ("return_summary", [summary_row]),
            ("return_commitments", [list(c) for c in commitments]),
            ("return_consultations", consultations),
            ("return_funding_endings", endings),
            ("return_policies", policies),
            ("return_engagement", engagement),
        ]
        yield (f"{body['code'].lower()}_return_{fy}_Q{q}.xlsx",
               [(sheet_names[name], titles[name], rows) for name, rows in sheets])


# --- issues -------------------------------------------------------------------------------------------------------


def _hours(hours: float) -> np.timedelta64:
    return np.timedelta64(int(hours * 3600), "s")


def _closing(rng: np.random.Generator, resolved: np.datetime64) -> np.datetime64 | None:
    """When a resolved issue is closed: the same day, some days later, or not yet (None)."""
    draw = rng.random()
    if draw < NOT_CLOSED_RATE:
        return None
    if draw < NOT_CLOSED_RATE + CLOSED_SAME_DAY_RATE:
        return resolved + _hours(rng.uniform(0, 6))
    return resolved + np.timedelta64(int(rng.integers(1, CLOSING_DAYS_MAX + 1)), "D")


def _issue_events(settings: DemoSettings, bodies: pl.DataFrame, districts: pl.DataFrame, summary: DemoSummary) -> pl.DataFrame:
    n = max(60, settings.awards // 40)
    rng = _rng(settings.seed, "issues")
    days_total = (settings.as_of - START).days
    # more issues are raised once the mechanism is known (after the Covenant)
    day = np.sort(np.concatenate([rng.integers(0, days_total, n // 3),
                                  rng.integers((periods.COVENANT_PUBLISHED - START).days, days_total, n - n // 3)]))
    weight = np.array([{"ministerial_department": 3, "local_authority": 2, "non_departmental_public_body": 1.5}.get(t, 1.0)
                       for t in bodies["body_type"]])
    body = rng.choice(bodies.height, size=n, p=weight / weight.sum())
    trait = bodies["trait"].to_numpy()[body]
    categories = list(ISSUE_CATEGORIES)
    category = rng.choice(len(categories), size=n, p=[0.2, 0.08, 0.2, 0.15, 0.08, 0.05, 0.12, 0.12])
    principle = np.array([ISSUE_CATEGORIES[c] or ("recognition", "partnership", "participation", "transparency")[i % 4]
                          for i, c in enumerate(np.array(categories)[category])], dtype=object)
    size = rng.choice(SIZE_CODES + ("unknown",), size=n, p=[0.22, 0.33, 0.25, 0.1, 0.03, 0.01, 0.06])
    district = rng.choice(districts.height, size=n, p=districts["weight"].to_numpy())
    # median days to resolve differs by body: improvers faster after the Covenant
    after = _covenant_ramp(day)
    median = np.where(trait == "improver", 45 - 25 * after, np.where(trait == "laggard", 75 + 10 * after, 50 - 10 * after))
    resolve_days = np.maximum(1, rng.lognormal(np.log(median), 0.7)).astype(int)
    raised = np.datetime64(dt.datetime.combine(START, dt.time(9))) + day.astype("timedelta64[D]") + rng.integers(0, 9 * 3600, n).astype("timedelta64[s]")
    outcome = rng.choice(3, size=n, p=[0.9, 0.06, 0.04])  # resolved, withdrawn, reopened-then-resolved
    reporter = np.char.add("REP-", np.char.zfill(rng.integers(0, max(40, n // 3), n).astype(str), 6))
    alias = {r["code"]: [r["code"], r["name"], *((r["aliases"] or "").split("|") if r["aliases"] else [])]
             for r in bodies.iter_rows(named=True)}
    codes = bodies["code"].to_numpy()
    as_of = np.datetime64(dt.datetime.combine(settings.as_of, dt.time(0)))
    rows = []
    for i in range(n):
        ref = f"ISS-{i + 1:07d}"
        names = alias[codes[body[i]]]
        body_text = names[int(rng.integers(0, len(names)))]
        base = {"issue_ref": ref, "body": body_text, "principle": principle[i], "category": categories[category[i]],
                "reporter_size_band": size[i], "reporter_district": districts["gss_code"][int(district[i])],
                "reporter_id": reporter[i]}
        events = [("raised", raised[i], f"Concern raised about {categories[category[i]]} by an organisation")]
        t = raised[i]
        end = t + np.timedelta64(int(resolve_days[i]), "D")
        decided = t + np.timedelta64(int(rng.integers(2, 30)), "D") if outcome[i] == 1 else end  # withdrawn or resolved
        # acknowledgement and escalation come before the issue is decided, or not at all
        if rng.random() < 0.9 and (acknowledged := t + _hours(rng.lognormal(np.log(ACKNOWLEDGED_MEDIAN_HOURS), 1.0))) < decided:
            events.append(("acknowledged", acknowledged, None))
        if rng.random() < 0.15 and (escalated := t + np.timedelta64(int(rng.integers(10, 40)), "D")) < decided:
            events.append(("escalated", escalated, None))
        if outcome[i] == 1:
            events.append(("withdrawn", decided, None))
        else:
            events.append(("resolved", end, None))
            closed = _closing(rng, end)
            events += [("closed", closed, None)] if closed is not None else []
            if outcome[i] == 2:  # reopened once closed (or resolved), then resolved and perhaps closed again
                back = (end if closed is None else closed) + np.timedelta64(int(rng.integers(10, 40)), "D")
                again = back + np.timedelta64(int(rng.integers(5, 60)), "D")
                events += [("reopened", back, "Issue reopened"), ("resolved", again, None)]
                closed = _closing(rng, again)
                events += [("closed", closed, None)] if closed is not None else []
        for k, (kind, when, text) in enumerate(sorted(events, key=lambda e: e[1])):
            if when <= as_of:
                rows.append(base | {"event_id": f"{ref}-E{k + 1}", "event_type": kind, "occurred_at": when.astype("datetime64[us]").item(), "summary": text})
    events_frame = pl.DataFrame(rows).with_columns(pl.col("occurred_at").cast(pl.Datetime("us")))
    # defects: an event out of order (resolved stamped before raised), an unknown body, a blank principle
    drng = _rng(settings.seed, "issue-defects")
    draw = drng.random(events_frame.height)
    rate = settings.defect_rate
    resolved = pl.col("event_type") == "resolved"
    events_frame = events_frame.with_columns(pl.Series("draw", draw)).with_columns(
        pl.when(resolved & (pl.col("draw") < rate)).then(pl.col("occurred_at") - pl.duration(days=400)).otherwise("occurred_at").alias("occurred_at"),
        pl.when((pl.col("draw") > 1 - rate / 2)).then(pl.lit("Department of Unknown Affairs")).otherwise("body").alias("body"),
    )
    summary.defect("resolved_before_raised", events_frame.filter(resolved & (pl.col("draw") < rate)).height)
    summary.defect("unknown_body_in_issue", events_frame.filter(pl.col("draw") > 1 - rate / 2).height)
    columns = [f.name for f in load_contract("issue_events").dataset("issue_events").fields]
    return events_frame.with_columns(periods.financial_year_expr("occurred_at").alias("financial_year")).select(*columns, "financial_year").sort("occurred_at", "event_id")


# --- reference: a small-area lookup -------------------------------------------------------------------------------


def _lsoa_lookup(settings: DemoSettings, districts: pl.DataFrame) -> pl.DataFrame:
    """Synthetic small areas for English and Welsh districts, one per PEOPLE_PER_SMALL_AREA residents, in real LSOA
    format but numbered above the real codes; ONS column names, and names as ONS gives them (district, MSOA number,
    letter)."""
    rows = []
    number = {"E01": FIRST_DEMO_SMALL_AREA, "W01": FIRST_DEMO_SMALL_AREA}
    for d in districts.filter(pl.col("nation_code").is_in(["E92000001", "W92000004"])).iter_rows(named=True):
        prefix = "E01" if d["gss_code"].startswith("E") else "W01"
        for k in range(round(d["population"] / PEOPLE_PER_SMALL_AREA)):
            rows.append({"LSOA21CD": f"{prefix}{number[prefix]:06d}", "LSOA21NM": f"{d['name']} {k // 5 + 1:03d}{'ABCDE'[k % 5]}",
                         "LAD23CD": d["gss_code"], "LAD23NM": d["name"]})
            number[prefix] += 1
    return pl.DataFrame(rows)


# --- the whole inbox ----------------------------------------------------------------------------------------------


# What every worker process needs, set once per worker by `_start_worker`.
_SHARED: dict = {}


def _start_worker(shared: dict) -> None:
    _SHARED.update(shared)


def _created(settings: DemoSettings) -> dt.datetime:
    """The creation time written into demo workbooks: fixed by the settings, so the same seed gives the same bytes."""
    return dt.datetime.combine(settings.as_of, dt.time(0))


def _write_job(job: tuple) -> tuple[str, int, int]:
    """One file-writing job: -> (inbox folder, files written, rows written)."""
    inbox, settings = _SHARED["inbox"], _SHARED["settings"]
    if job[0] == "funding":
        _, key, group, fmt, encoding = job
        return "funding", 1, _write_funding_file(inbox / "funding", key, group, fmt, encoding, _created(settings))
    body = _SHARED["bodies"].row(job[1], named=True)
    files = rows = 0
    for name, sheets in _return_workbooks(settings, body, _SHARED["org_ids"], _SHARED["org_names"], _SHARED["published"]):
        write_workbook(inbox / "returns" / name, sheets, constant_memory=False, created=_created(settings))
        files, rows = files + 1, rows + sum(len(r) for _, _, r in sheets)
    return "returns", files, rows


def _run_jobs(jobs: list[tuple], shared: dict, workers: int, summary: DemoSummary, progress: Progress | None) -> None:
    """Run jobs in worker processes (started fresh: forking a process that has used polars' threads can hang)."""
    def done(result: tuple[str, int, int]) -> None:
        folder, files, rows = result
        summary.add(folder, rows, files)
        if progress:
            progress(folder, rows if folder == "funding" else files)

    if workers <= 1:
        _start_worker(shared)
        try:
            for job in jobs:
                done(_write_job(job))
        finally:
            _SHARED.clear()
        return
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_start_worker, initargs=(shared,)) as pool:
        for result in pool.map(_write_job, jobs, chunksize=2):
            done(result)


def write_demo_inbox(inbox: Path, settings: DemoSettings, progress: Progress | None = None,
                     workers: int | None = None) -> DemoSummary:
    """Write a demo inbox, replacing the generated files of an earlier demo in the same folders.
    The files are the same for the same settings whatever the number of workers."""
    summary = DemoSummary()
    folders = INBOX_FOLDERS
    theirs = [p for f in folders if (inbox / f).is_dir() for p in (inbox / f).iterdir()]
    if theirs and not (inbox / "demo.json").is_file():
        raise FileExistsError(f"{inbox} already holds files not written by the demo generator (e.g. {theirs[0]}); "
                              "choose another inbox or empty it")
    for folder in folders:
        shutil.rmtree(inbox / folder, ignore_errors=True)
        (inbox / folder).mkdir(parents=True, exist_ok=True)
    bodies = _bodies(settings)
    districts = _districts()
    orgs = _organisations(settings, districts)
    lsoa = _lsoa_lookup(settings, districts)
    lsoa.write_csv(inbox / "reference" / "lsoa21_to_lad23_demo.csv")
    summary.add("reference", lsoa.height)

    register = orgs.drop("district_index")
    register.write_csv(inbox / "organisations" / "register.csv")
    summary.add("organisations", register.height)
    if progress:
        progress("organisations", register.height)

    awards = _awards(settings, bodies, districts, orgs)
    records = _award_records(awards, bodies, districts, orgs, settings)
    records = _apply_funding_defects(records, settings, summary, lsoa)
    funding = _funding_files(settings, records)
    published = {(code, fy, q): total for code, fy, q, total in records.filter(pl.col("amount_awarded") > 0).group_by(
        pl.col("funder_code"), periods.financial_year_expr("award_date").alias("fy"),
        periods.financial_quarter_expr("award_date").alias("q"),
    ).agg(pl.col("amount_awarded").sum()).iter_rows()}
    for _, fmt, encoding in funding.values():
        if encoding:
            summary.defect("windows_1252_file" if encoding == "cp1252" else "utf8_bom_file", 1)
    del awards, records

    events = _issue_events(settings, bodies, districts, summary)
    for (fy,), group in events.partition_by("financial_year", as_dict=True, maintain_order=True).items():
        group.drop("financial_year").write_csv(inbox / "issues" / f"issue_events_{fy}.csv", datetime_format="%Y-%m-%dT%H:%M:%S")
        summary.add("issues", group.height)
    if progress:
        progress("issues", events.height)

    shared = dict(inbox=inbox, settings=settings, bodies=bodies,
                  org_ids=orgs["org_id"].to_numpy(), org_names=orgs["name"].to_numpy(), published=published)
    # the slow, pure-Python workbooks first, so the pool's two processes finish together
    jobs = [("returns", i) for i in range(bodies.height)]
    jobs += [("funding", key, group, fmt, encoding) for key, (group, fmt, encoding) in funding.items()]
    _run_jobs(jobs, shared, workers or min(2, os.cpu_count() or 1), summary, progress)
    (inbox / "demo.json").write_text(json.dumps(
        {"seed": settings.seed, "awards": settings.awards, "as_of": settings.as_of.isoformat(),
         "defect_rate": settings.defect_rate, "files": summary.files, "rows": summary.rows, "defects": summary.defects},
        indent=2) + "\n")
    return summary

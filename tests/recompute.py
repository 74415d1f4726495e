"""An independent recomputation of every published indicator whose sources are funding and/or returns (not issues),
from the raw inbox files, for tests/test_recomputation.py.

Independent of the build: the inbox's files are read here with plain json, csv and fastexcel (polars) code, each
row is judged against its data contract (data_contracts/*.yaml: required fields, formats, ranges) by the rules
written below, and each indicator is computed from its written definition (the `definition` of its declaration in
warehouse/indicators/). Nothing here calls the warehouse SQL, the indicators' formulas, the build (etl/build.py and its stages),
etl/normalise.py or the readers in etl/sources/, nor looks at what the build quarantined. The only product code used
is data: the reference tables the project ships (etl/reference, read through its module) and the field titles of
the data contracts (data_contracts, read through its loader).

How cells are made (the published cell semantics, warehouse/engine/figures.sql): every financial year and every
quarter that holds a record is a window; flows add up over a window's quarters; a stock (what a body or a place has
at a quarter's end) counts only in its latest quarter in the window; a record with no code in a breakdown falls in
that breakdown's "not known" cell (breakdown_code null); `lacking` counts the records that lack what the indicator
needs. Each indicator function below returns records in the columns of `RECORD`; `cells` adds them up.

Two definitions as corrected in #20 (the build had them otherwise before):
- meetings_held_against_committed: 100 × Σ meetings held ÷ Σ meetings committed over the returns chosen; a return
  with 0 committed still adds its meetings held; a return is lacking only where a field is empty.
- organisations_engaged_smaller_share: lacking is the number of different organisations of unknown income.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from zoneinfo import ZoneInfo

import fastexcel
import polars as pl

from data_contracts import load_contract
from etl import reference

UK = ZoneInfo("Europe/London")
SMALLER_MAX = 500_000  # "annual income £500,000 and under"
GSS = re.compile(r"^[EWSN]\d{8}$")
INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)

# the breakdown keys of the published cells, and the record column each is read from
BREAKDOWN_KEYS = ("public_body", "body_type", "district", "combined_authority", "region", "nation", "size_band",
                  "smaller_organisation", "principle")
RECORD = {
    "financial_year": pl.Utf8, "quarter": pl.Int64,
    **{key: pl.Utf8 for key in BREAKDOWN_KEYS},
    "numerator": pl.Float64, "denominator": pl.Float64, "lacking": pl.Boolean, "subject": pl.Utf8, "stock_of": pl.Utf8,
}
CELL_KEYS = ("indicator_id", "period_level", "financial_year", "quarter", "breakdown", "breakdown_code")
CELL = {"indicator_id": pl.Utf8, "period_level": pl.Utf8, "financial_year": pl.Utf8, "quarter": pl.Int64,
        "breakdown": pl.Utf8, "breakdown_code": pl.Utf8, "value": pl.Float64, "numerator": pl.Float64,
        "denominator": pl.Float64, "lacking": pl.Int64}


# --- reading values -----------------------------------------------------------------------------------------------


def text(value) -> str | None:
    """A cell as text: invisible characters taken out, surrounding space trimmed, empty as None."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    value = unicodedata.normalize("NFC", str(value)).translate(INVISIBLE).strip()
    return value or None


class Unreadable(ValueError):
    """A value that cannot be read as its field's type."""


NUMBER = re.compile(r"-?\d+(\.\d+)?")
THOUSANDS = re.compile(r"-?\d{1,3}(,\d{3})+(\.\d+)?")
SPACED = re.compile(r"-?\d{1,3}( \d{3})+(\.\d+)?")


def number(value) -> float | None:
    """A number as written in the UK: 1234.5, 1,234.50, £1,234.00, 1234 GBP. NaN, infinity and exponents are not."""
    if isinstance(value, bool):
        raise Unreadable(value)
    if isinstance(value, (int, float)):
        if value != value or value in (float("inf"), float("-inf")):
            raise Unreadable(value)
        return float(value)
    t = text(value)
    if t is None:
        return None
    t = t.replace("\u00a0", " ")
    for mark in ("£", "GBP"):
        if t.startswith(mark):
            t = t[len(mark):].strip()
        elif t.endswith(mark):
            t = t[:-len(mark)].strip()
    if NUMBER.fullmatch(t):
        return float(t)
    if THOUSANDS.fullmatch(t):
        return float(t.replace(",", ""))
    if SPACED.fullmatch(t):
        return float(t.replace(" ", ""))
    raise Unreadable(value)


def boolean(value) -> bool | None:
    if isinstance(value, bool):
        return value
    t = text(value)
    if t is None:
        return None
    t = t.lower()
    if t in ("yes", "y", "true", "1"):
        return True
    if t in ("no", "n", "false", "0"):
        return False
    raise Unreadable(value)


ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
ISO_TIME = re.compile(r"(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?")
SLASHED = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")


def date(value, month_first: bool = False) -> dt.date | None:
    """A date: 2025-06-01; 2025-06-01T00:00:00+01:00 (an instant: its day in UK time); 01/06/2025 (day first, the UK
    way, unless the file writes its dates month first)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    t = text(value)
    if t is None:
        return None
    try:
        if m := ISO_DATE.fullmatch(t):
            return dt.date(int(m[1]), int(m[2]), int(m[3]))
        if m := ISO_TIME.fullmatch(t):
            instant = dt.datetime.fromisoformat(t.replace("Z", "+00:00"))
            if instant.tzinfo is not None:
                return instant.astimezone(UK).date()
            return instant.date()
        if m := SLASHED.fullmatch(t):
            first, second, year = int(m[1]), int(m[2]), int(m[3])
            return dt.date(year, first, second) if month_first else dt.date(year, second, first)
    except ValueError as error:
        raise Unreadable(value) from error
    raise Unreadable(value)


def month_first_file(values: list) -> bool:
    """A file writes its slashed dates month first only when one of them can only be read that way (13/.. cannot)."""
    for value in values:
        t = text(value) if isinstance(value, str) else None
        if t and (m := SLASHED.fullmatch(t)) and int(m[2]) > 12 >= int(m[1]):
            return True
    return False


def ambiguous(value, month_first: bool) -> bool:
    """A slashed date that reads both ways in a file of month-first dates is not read (both readings are possible)."""
    t = text(value) if isinstance(value, str) else None
    return bool(month_first and t and (m := SLASHED.fullmatch(t)) and int(m[1]) <= 12 and int(m[2]) <= 12
                and m[1] != m[2])


def natural_key(path: Path) -> list:
    """Files in order of their names without the file type, ignoring case, numbers by value."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", path.stem.lower())]


def decoded(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252")


def csv_rows(path: Path) -> list[dict]:
    content = decoded(path.read_bytes())
    first = content.splitlines()[0] if content else ""
    delimiter = max((",", ";", "\t", "|"), key=first.count)
    return list(csv.DictReader(io.StringIO(content, newline=""), delimiter=delimiter))


def sheet(reader: fastexcel.ExcelReader, name: str) -> list[dict]:
    """A worksheet's rows by title, every cell as text."""
    frame = reader.load_sheet_by_name(name, dtypes="string").to_polars()
    return frame.to_dicts()


# --- the reference data -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reference:
    """The shipped reference tables (data), and the inbox's small-area lookups."""

    inbox: Path

    @cached_property
    def bodies(self) -> pl.DataFrame:
        return reference.load("public_bodies")

    @cached_property
    def body_type(self) -> dict[str, str]:
        return dict(zip(self.bodies["code"], self.bodies["body_type"]))

    @cached_property
    def body_by_name(self) -> dict[str, str]:
        """A body's code, name and aliases (case ignored) -> its code."""
        names = {}
        for row in self.bodies.iter_rows(named=True):
            for name in [row["code"], row["name"], *(row["aliases"] or "").split("|")]:
                if name and name.strip():
                    names.setdefault(name.strip().lower(), row["code"])
        return names

    @cached_property
    def body_by_org_id(self) -> dict[str, str]:
        """A funder's org-id -> its code: the org-id the reference gives, or 360G-<code> for a body without one."""
        ids = {f"360g-{code.lower()}": code for code in self.bodies["code"]}
        ids |= {org.lower(): code for code, org in zip(self.bodies["code"], self.bodies["org_id"]) if org}
        return ids

    def funder(self, org_id: str | None, name: str | None) -> str | None:
        return self.body_by_org_id.get((org_id or "").lower()) or self.body_by_name.get((name or "").lower())

    def body(self, written: str | None) -> str | None:
        return self.body_by_name.get((written or "").lower()) or self.body_by_org_id.get((written or "").lower())

    @cached_property
    def districts(self) -> pl.DataFrame:
        return (reference.load("localities").filter(pl.col("level") == "district")
                .select(pl.col("gss_code").alias("district"), pl.col("region_code").alias("region"),
                        pl.col("nation_code").alias("nation"), pl.col("combined_authority_code").alias("combined_authority"),
                        "population"))

    @cached_property
    def district_codes(self) -> set[str]:
        return set(self.districts["district"])

    @cached_property
    def successor(self) -> dict[str, str]:
        successors = reference.load("locality_successors")
        return dict(zip(successors["former_code"], successors["current_code"]))

    def current(self, code: str | None) -> str | None:
        seen = set()
        while code in self.successor and code not in seen:
            seen.add(code)
            code = self.successor[code]
        return code

    @cached_property
    def small_areas(self) -> dict[str, str]:
        """Small-area code -> district code, from the inbox's lookups (LSOAyyCD or DZyyCD beside LADyyCD)."""
        areas = {}
        for path in sorted((self.inbox / "reference").glob("*.csv"), key=natural_key):
            rows = csv_rows(path)
            if not rows:
                continue
            area = next((c for c in rows[0] if re.fullmatch(r"(LSOA|DZ)\d{2}CD", c or "")), None)
            district = next((c for c in rows[0] if re.fullmatch(r"LAD(\d{2})?CD", c or "")), None)
            if area and district:
                areas |= {text(r[area]).upper(): text(r[district]).upper() for r in rows if text(r[area]) and text(r[district])}
        return areas

    def district(self, geocode: str | None, geocode_type: str | None) -> str | None:
        """The current district of the place that benefits: a district code (a former one mapped to its successor),
        or a small area's district; a code and type given the wrong way round are read the right way."""
        code, kind = (geocode or "").upper(), (geocode_type or "").upper()
        if not GSS.match(code) and GSS.match(kind):
            code = kind
        if code in self.small_areas:
            code = self.small_areas[code]
        code = self.current(code)
        return code if code in self.district_codes else None


def size_band(income: float | None) -> str:
    """NCVO size band by annual income, lower bound inclusive; unknown where no income is known."""
    if income is None:
        return "unknown"
    for limit, band in ((10_000, "micro"), (100_000, "small"), (1_000_000, "medium"), (10_000_000, "large"),
                        (100_000_000, "major")):
        if income < limit:
            return band
    return "super_major"


def financial_year(day: dt.date) -> tuple[str, int]:
    start = day.year if day.month >= 4 else day.year - 1
    return f"{start}-{(start + 1) % 100:02d}", (day.month - 4) % 12 // 3 + 1


# --- the inbox ----------------------------------------------------------------------------------------------------


def titles(contract: str, dataset: str) -> dict[str, str]:
    """A dataset's field name -> its title (the column heading the files use)."""
    return {f.name: f.title for f in load_contract(contract).dataset(dataset).fields}


GRANT_JSON = {  # field -> where it sits in 360Giving JSON (the first of a repeated object)
    "grant_id": ("id",), "currency": ("currency",), "amount_awarded": ("amountAwarded",), "award_date": ("awardDate",),
    "planned_start_date": ("plannedDates", "startDate"), "planned_end_date": ("plannedDates", "endDate"),
    "duration_months": ("plannedDates", "duration"), "recipient_org_id": ("recipientOrganization", "id"),
    "recipient_name": ("recipientOrganization", "name"), "recipient_charity_number": ("recipientOrganization", "charityNumber"),
    "recipient_company_number": ("recipientOrganization", "companyNumber"),
    "funding_org_id": ("fundingOrganization", "id"), "funding_org_name": ("fundingOrganization", "name"),
    "programme_code": ("grantProgramme", "code"), "programme_title": ("grantProgramme", "title"),
    "beneficiary_geocode": ("beneficiaryLocation", "geoCode"), "beneficiary_geocode_type": ("beneficiaryLocation", "geoCodeType"),
    "paid_in_advance": ("paidInAdvance",), "full_cost_recovery": ("fullCostRecovery",),
    "advocacy_restriction_clause": ("advocacyRestrictionClause",),
}


def _json_value(grant: dict, path: tuple[str, ...]):
    value = grant.get(path[0])
    if len(path) == 1:
        return value
    if isinstance(value, list):
        value = value[0] if value else None
    return value.get(path[1]) if isinstance(value, dict) else None


def _raw_grants(inbox: Path) -> list[tuple[str, list[dict]]]:
    """Each funding file (in order of names) with its rows, by field name, as written."""
    by_title = {title: name for name, title in titles("funding", "grants").items()}
    files = []
    for path in sorted((p for p in (inbox / "funding").iterdir() if p.is_file()), key=natural_key):
        suffix = path.suffix.lower()
        if suffix == ".json":
            grants = json.loads(path.read_bytes().decode("utf-8-sig"))["grants"]
            rows = [{field: _json_value(g, where) for field, where in GRANT_JSON.items()} for g in grants]
        elif suffix == ".csv":
            rows = [{by_title[t]: v for t, v in row.items() if t in by_title} for row in csv_rows(path)]
        elif suffix in (".xlsx", ".xlsm"):
            reader = fastexcel.read_excel(path)
            found = []
            for name in reader.sheet_names:
                sheet_rows = sheet(reader, name)
                if sheet_rows and "Identifier" in sheet_rows[0]:
                    found.append(sheet_rows)
            assert len(found) == 1, f"{path.name}: expected one sheet of grants, found {len(found)}"
            rows = [{by_title[t]: v for t, v in row.items() if t in by_title} for row in found[0]]
        else:
            continue
        files.append((f"funding/{path.name}", rows))
    return files


def read_grants(inbox: Path, ref: Reference, as_of: dt.date, organisations: pl.DataFrame) -> pl.DataFrame:
    """Every award that counts, one row each, with its body, place, recipient's size and practice.

    A row counts when every field the contract requires is there and readable: an identifier, a currency of three
    capital letters, an amount awarded from 0 to 1,000,000,000, an award date from 2000-01-01 and not after the data's
    date (`as_of`), the recipient's org-id (or one made from its charity number, GB-CHC-, or company number, GB-COH-)
    and name, the funder's org-id and name. An identifier given twice in one file counts once (the first); given in
    two files, the later file's award counts. An optional field that cannot be read, or is out of its range, is
    taken as not given."""
    kept: dict[str, dict] = {}
    for source_file, rows in _raw_grants(inbox):
        month_first = month_first_file([r.get("award_date") for r in rows])
        seen: set[str] = set()
        for line, row in enumerate(rows, start=1):
            grant = _grant(row, month_first, as_of)
            if grant is None or grant["grant_id"] in seen:
                continue
            seen.add(grant["grant_id"])
            kept.pop(grant["grant_id"], None)
            kept[grant["grant_id"]] = grant | {"source_file": source_file, "source_row": line}
    awards = pl.DataFrame(list(kept.values()), schema={
        "grant_id": pl.Utf8, "currency": pl.Utf8, "amount": pl.Float64, "award_date": pl.Date, "duration": pl.Float64,
        "recipient_org_id": pl.Utf8, "funding_org_id": pl.Utf8, "funding_org_name": pl.Utf8, "programme": pl.Utf8,
        "geocode": pl.Utf8, "geocode_type": pl.Utf8, "paid_in_advance": pl.Boolean, "full_cost_recovery": pl.Boolean,
        "advocacy_clause": pl.Boolean, "source_file": pl.Utf8, "source_row": pl.Int64})
    fy_q = [financial_year(d) for d in awards["award_date"]]
    bodies = [ref.funder(i, n) for i, n in zip(awards["funding_org_id"], awards["funding_org_name"])]
    districts = [ref.district(c, t) for c, t in zip(awards["geocode"], awards["geocode_type"])]
    awards = awards.with_columns(
        pl.Series("financial_year", [f for f, _ in fy_q], pl.Utf8), pl.Series("quarter", [q for _, q in fy_q], pl.Int64),
        pl.Series("public_body", bodies, pl.Utf8), pl.Series("district", districts, pl.Utf8),
        pl.when(pl.col("currency") == "GBP").then(pl.col("amount")).alias("amount_gbp"),
    ).with_columns(pl.col("public_body").replace_strict(ref.body_type, default=None).alias("body_type"))
    awards = awards.join(ref.districts.drop("population"), on="district", how="left")
    return awards.join(organisations.select(pl.col("org_id").alias("recipient_org_id"), "size_band", "smaller_organisation"),
                       on="recipient_org_id", how="left").with_columns(pl.col("size_band").fill_null("unknown"))


def _grant(row: dict, month_first: bool, as_of: dt.date) -> dict | None:
    """One award as written -> its values, or None when it does not count (a required field missing or unreadable)."""
    def optional(read: Callable, value, low: float | None = None, high: float | None = None):
        try:
            v = read(value)
        except Unreadable:
            return None
        if v is not None and ((low is not None and v < low) or (high is not None and v > high)):
            return None
        return v

    grant_id, currency = text(row.get("grant_id")), (text(row.get("currency")) or "").upper()
    try:
        amount = number(row.get("amount_awarded"))
        awarded = None if ambiguous(row.get("award_date"), month_first) else date(row.get("award_date"), month_first)
    except Unreadable:
        return None
    recipient = text(row.get("recipient_org_id"))
    if recipient is None and (charity := text(row.get("recipient_charity_number"))):
        recipient = f"GB-CHC-{charity}"
    if recipient is None and (company := text(row.get("recipient_company_number"))):
        recipient = f"GB-COH-{company}"
    required = (grant_id, amount, awarded, recipient, text(row.get("recipient_name")), text(row.get("funding_org_id")),
                text(row.get("funding_org_name")))
    if any(v is None for v in required) or not re.fullmatch(r"[A-Z]{3}", currency):
        return None
    if not 0 <= amount <= 1_000_000_000 or awarded < dt.date(2000, 1, 1) or awarded > as_of:
        return None
    start = optional(date, row.get("planned_start_date"))
    end = optional(date, row.get("planned_end_date"))
    duration = optional(number, row.get("duration_months"), 0, 600)
    if duration is None and start and end and end >= start:
        # whole months from the planned start to the day after the planned end
        after = end + dt.timedelta(days=1)
        duration = (after.year - start.year) * 12 + after.month - start.month + (after.day - start.day) / 31
    return {
        "grant_id": grant_id, "currency": currency, "amount": amount, "award_date": awarded, "duration": duration,
        "recipient_org_id": recipient, "funding_org_id": text(row.get("funding_org_id")),
        "funding_org_name": text(row.get("funding_org_name")),
        "programme": text(row.get("programme_title")) or text(row.get("programme_code")),
        "geocode": text(row.get("beneficiary_geocode")), "geocode_type": text(row.get("beneficiary_geocode_type")),
        "paid_in_advance": optional(boolean, row.get("paid_in_advance")),
        "full_cost_recovery": optional(boolean, row.get("full_cost_recovery")),
        "advocacy_clause": optional(boolean, row.get("advocacy_restriction_clause")),
    }


def read_organisations(inbox: Path) -> pl.DataFrame:
    """The organisation register: org-id (required, first kept) and latest income (>= 0, else not known)."""
    rows = []
    for path in sorted((inbox / "organisations").iterdir(), key=natural_key):
        if path.suffix.lower() == ".csv":
            found = csv_rows(path)
        elif path.suffix.lower() in (".xlsx", ".xlsm"):
            reader = fastexcel.read_excel(path)
            found = next((s for s in (sheet(reader, n) for n in reader.sheet_names) if s and "org_id" in s[0]), [])
        else:
            continue
        for row in found:
            org_id, name = text(row.get("org_id")), text(row.get("name"))
            if org_id is None or name is None:
                continue
            try:
                income = number(row.get("latest_income"))
            except Unreadable:
                income = None
            rows.append({"org_id": org_id, "income": income if income is None or income >= 0 else None})
    frame = pl.DataFrame(rows, schema={"org_id": pl.Utf8, "income": pl.Float64}).unique("org_id", keep="first", maintain_order=True)
    return frame.with_columns(
        pl.Series("size_band", [size_band(i) for i in frame["income"]], pl.Utf8),
        pl.when(pl.col("income").is_not_null()).then(pl.col("income") <= SMALLER_MAX).alias("smaller_organisation"),
    )


@dataclass
class Returns:
    """The departmental returns that count, one frame per sheet, each row with its return's body, year and quarter."""

    summary: pl.DataFrame
    commitments: pl.DataFrame
    consultations: pl.DataFrame
    endings: pl.DataFrame
    policies: pl.DataFrame
    engagement: pl.DataFrame


def read_returns(inbox: Path, ref: Reference) -> Returns:
    """Every return workbook (in order of names: a later return for the same body and quarter replaces an earlier
    one). A return counts when its Summary names a known body, a financial year like 2025-26 and a quarter 1 to 4;
    a row of another sheet counts when its required fields are there and readable (its enumerations among those
    the contract lists)."""
    t = {d.name: {f.name: f.title for f in d.fields} for d in load_contract("returns").datasets}
    sheets = {d.name: d.physical_name for d in load_contract("returns").datasets}
    enums = {(d.name, f.name): f.enum for d in load_contract("returns").datasets for f in d.fields if f.enum}
    returns: dict[tuple[str, str, int], dict] = {}
    for path in sorted((inbox / "returns").glob("*.xlsx"), key=natural_key):
        reader = fastexcel.read_excel(path)
        rows = {name: sheet(reader, physical) if physical in reader.sheet_names else []
                for name, physical in sheets.items()}
        if not rows["return_summary"]:
            continue
        s = {f: rows["return_summary"][0].get(title) for f, title in t["return_summary"].items()}
        body, year = ref.body(text(s["body_code"])), text(s["financial_year"])
        try:
            quarter = number(s["quarter"])
        except Unreadable:
            quarter = None
        if body is None or year is None or not re.fullmatch(r"20\d\d-\d\d", year) or int(year[5:]) != (int(year[:4]) + 1) % 100 \
                or quarter not in (1, 2, 3, 4):
            continue
        key = (body, year, int(quarter))
        returns[key] = {"file": f"returns/{path.name}", "summary": s,
                        **{name: [{f: r.get(title) for f, title in t[name].items()} for r in rows[name]]
                           for name in t if name != "return_summary"}}

    summary, others = [], {name: [] for name in t if name != "return_summary"}
    for (body, year, quarter), r in returns.items():
        s = r["summary"]
        base = {"public_body": body, "body_type": ref.body_type.get(body), "financial_year": year, "quarter": quarter}
        try:
            row = base | {
                "action_plan_published": boolean(s["action_plan_published"]),
                "ministerial_lead_named": boolean(s["ministerial_lead_named"]),
                "senior_official_lead_named": boolean(s["senior_official_lead_named"]),
                "meetings_committed": _count(s["meetings_committed"], 1000),
                "meetings_held": _count(s["meetings_held"], 1000),
            }
        except Unreadable:
            continue  # a required field that cannot be read: the return does not count
        if None in (row["action_plan_published"], row["ministerial_lead_named"], row["senior_official_lead_named"]):
            continue
        for field in ("rejected_applicants", "rejected_applicants_given_feedback", "foi_requests", "foi_answered_in_time"):
            row[field] = _optional(_count, s[field])
        row["grants_awarded_value"] = _optional(lambda v: _bounded(number(v), 0, 100_000_000_000), s["grants_awarded_value"])
        summary.append(row)
        for name in others:
            for item in r[name]:
                parsed = _return_row(name, item, enums)
                if parsed is not None:
                    others[name].append(base | parsed)
    schemas = {
        "return_commitments": {"commitment_ref": pl.Utf8, "principle": pl.Utf8, "status": pl.Utf8},
        "return_consultations": {"consultation_ref": pl.Utf8, "opened_on": pl.Date, "closed_on": pl.Date,
                                 "shorter_period_reason": pl.Utf8, "response_published_on": pl.Date},
        "return_funding_endings": {"ending_ref": pl.Utf8, "funding_ended_on": pl.Date, "notice_given_on": pl.Date,
                                   "written_rationale": pl.Boolean},
        "return_policies": {"policy_ref": pl.Utf8, "kind": pl.Utf8, "impact_assessed": pl.Boolean,
                            "civil_society_involved_early": pl.Boolean},
        "return_engagement": {"organisation_id": pl.Utf8},
    }
    base_schema = {"public_body": pl.Utf8, "body_type": pl.Utf8, "financial_year": pl.Utf8, "quarter": pl.Int64}
    frames = {name: pl.DataFrame(rows, schema=base_schema | schemas[name]) for name, rows in others.items()}
    return Returns(
        summary=pl.DataFrame(summary, schema=base_schema | {
            "action_plan_published": pl.Boolean, "ministerial_lead_named": pl.Boolean, "senior_official_lead_named": pl.Boolean,
            "meetings_committed": pl.Int64, "meetings_held": pl.Int64, "rejected_applicants": pl.Int64,
            "rejected_applicants_given_feedback": pl.Int64, "foi_requests": pl.Int64, "foi_answered_in_time": pl.Int64,
            "grants_awarded_value": pl.Float64}),
        commitments=frames["return_commitments"], consultations=frames["return_consultations"],
        endings=frames["return_funding_endings"], policies=frames["return_policies"], engagement=frames["return_engagement"],
    )


def _bounded(value: float | None, low: float, high: float | None) -> float | None:
    if value is not None and (value < low or (high is not None and value > high)):
        raise Unreadable(value)
    return value


def _count(value, high: float | None = None) -> int | None:
    v = _bounded(number(value), 0, high)
    if v is not None and not float(v).is_integer():
        raise Unreadable(value)
    return None if v is None else int(v)


def _optional(read: Callable, value):
    try:
        return read(value)
    except Unreadable:
        return None


def _return_row(name: str, item: dict, enums: dict) -> dict | None:
    """One row of a return's sheet by its contract, or None when a required field is missing or unreadable."""
    def enum(field: str) -> str | None:
        v = text(item.get(field))
        return v if v in enums[(name, field)] else None

    try:
        if name == "return_commitments":
            row = {"commitment_ref": text(item["commitment_ref"]), "principle": enum("principle"), "status": enum("status")}
            required = row | {"commitment": text(item["commitment"])}
        elif name == "return_consultations":
            row = {"consultation_ref": text(item["consultation_ref"]), "title": text(item["title"]),
                   "opened_on": date(item["opened_on"]), "closed_on": date(item["closed_on"])}
            required = dict(row)
            row.pop("title")
            row["shorter_period_reason"] = text(item["shorter_period_reason"])
            row["response_published_on"] = _optional(date, item["response_published_on"])
        elif name == "return_funding_endings":
            row = {"ending_ref": text(item["ending_ref"]), "recipient_org_id": text(item["recipient_org_id"]),
                   "funding_ended_on": date(item["funding_ended_on"]), "written_rationale": boolean(item["written_rationale"])}
            required = dict(row)
            row.pop("recipient_org_id")
            row["notice_given_on"] = _optional(date, item["notice_given_on"])
        elif name == "return_policies":
            row = {"policy_ref": text(item["policy_ref"]), "title": text(item["title"]), "kind": enum("kind"),
                   "impact_assessed": boolean(item["impact_assessed"])}
            required = dict(row)
            row.pop("title")
            row["civil_society_involved_early"] = _optional(boolean, item["civil_society_involved_early"])
        else:
            row = {"organisation_id": text(item["organisation_id"])}
            required = row | {"meeting_date": date(item["meeting_date"]), "meeting_type": enum("meeting_type")}
    except Unreadable:
        return None
    if any(v is None for v in required.values()):
        return None
    return row


# --- cells --------------------------------------------------------------------------------------------------------


def records(frame: pl.DataFrame, **columns: pl.Expr) -> pl.DataFrame:
    """Records in the columns of RECORD: those given as expressions, the rest taken from `frame` where it has them."""
    out = []
    for name, dtype in RECORD.items():
        if name in columns:
            expr = columns[name]
        elif name in frame.columns:
            expr = pl.col(name)
        else:
            expr = pl.lit(None)
        out.append(expr.cast(dtype).alias(name))
    return frame.select(out)


def cells(indicator_id: str, calculation: str, breakdowns: tuple[str, ...], recs: pl.DataFrame,
          distinct_lacking: bool = False) -> pl.DataFrame:
    """Every cell of `breakdowns` (and "all") in every financial year and quarter of the records."""
    recs = recs.filter(pl.col("financial_year").is_not_null() & pl.col("quarter").is_not_null())
    placed = pl.concat([
        recs.with_columns(pl.lit("year").alias("period_level"), pl.lit(None, pl.Int64).alias("window_quarter")),
        recs.with_columns(pl.lit("quarter").alias("period_level"), pl.col("quarter").alias("window_quarter")),
    ])
    window = ["period_level", "financial_year", "window_quarter"]
    # a stock counts in its latest quarter in the window only
    placed = placed.filter(pl.col("stock_of").is_null()
                           | (pl.col("quarter") == pl.col("quarter").max().over([*window, "stock_of"])))
    frames = []
    for key in ("all", *breakdowns):
        code = pl.lit(None, pl.Utf8) if key == "all" else pl.col(key)
        by = [*window, "breakdown_code"]
        rows = placed.with_columns(code.alias("breakdown_code"))
        if calculation in ("share", "per_head", "count"):
            agg = rows.group_by(by).agg(pl.col("numerator").sum(), pl.col("denominator").sum(),
                                        pl.col("lacking").fill_null(False).sum().cast(pl.Int64).alias("lacking"))
        else:
            subjects = rows.group_by([*by, "subject"]).agg(
                (pl.col("numerator") > 0).any().alias("in_numerator"), (pl.col("denominator") > 0).any().alias("in_denominator"),
                pl.col("lacking").fill_null(False).sum().alias("lacking_records"),
                pl.col("lacking").fill_null(False).any().alias("lacking_subject"))
            subject = pl.col("subject").is_not_null()
            agg = subjects.group_by(by).agg(
                (subject & pl.col("in_numerator")).sum().alias("in_numerator"),
                (subject & pl.col("in_denominator")).sum().alias("in_denominator"),
                (subject & pl.col("in_denominator") & ~pl.col("in_numerator")).sum().alias("absent"),
                ((subject & pl.col("lacking_subject")).sum() if distinct_lacking else pl.col("lacking_records").sum())
                .cast(pl.Int64).alias("lacking"))
            numerator = pl.col("absent") if calculation == "distinct_absent" else pl.col("in_numerator")
            denominator = pl.lit(None) if calculation == "distinct_count" else pl.col("in_denominator")
            agg = agg.with_columns(numerator.cast(pl.Float64).alias("numerator"), denominator.cast(pl.Float64).alias("denominator"))
        num, den = pl.col("numerator"), pl.col("denominator")
        ratio = num / pl.when(den != 0).then(den)
        value = {"share": 100 * ratio, "distinct_share": 100 * ratio, "per_head": ratio, "count": num,
                 "distinct_count": num, "distinct_absent": num}[calculation]
        frames.append(agg.select(
            pl.lit(indicator_id).alias("indicator_id"), "period_level", "financial_year",
            pl.col("window_quarter").alias("quarter"), pl.lit(key).alias("breakdown"), "breakdown_code",
            value.cast(pl.Float64).alias("value"), num.cast(pl.Float64).alias("numerator"),
            den.cast(pl.Float64).alias("denominator"), pl.col("lacking").cast(pl.Int64)))
    return pl.concat(frames).select([pl.col(c).cast(t) for c, t in CELL.items()])


# --- the indicators -----------------------------------------------------------------------------------------------

AWARD_PLACES = ("public_body", "body_type", "district", "combined_authority", "region", "nation")
AWARD_ALL = (*AWARD_PLACES, "size_band", "smaller_organisation")
BODY = ("public_body", "body_type")


@dataclass
class Inbox:
    """The inbox as read here: awards, organisations, returns, reference, and the data's date."""

    awards: pl.DataFrame
    organisations: pl.DataFrame
    returns: Returns
    ref: Reference
    as_of: dt.date

    @classmethod
    def read(cls, path: Path, as_of: dt.date) -> "Inbox":
        ref = Reference(path)
        organisations = read_organisations(path)
        return cls(read_grants(path, ref, as_of, organisations), organisations, read_returns(path, ref), ref, as_of)

    @cached_property
    def award_records(self) -> pl.DataFrame:
        """Awards with their smaller-organisation flag as the code of that breakdown."""
        return self.awards.with_columns(
            pl.when(pl.col("smaller_organisation")).then(pl.lit("smaller"))
            .when(~pl.col("smaller_organisation")).then(pl.lit("larger")).alias("smaller_organisation"),
            pl.col("smaller_organisation").alias("smaller"))


def _flag_share(flag: str) -> Callable[[Inbox], pl.DataFrame]:
    """Of the awards whose record says yes or no, the share where it says `flag` is true; lacking: it says neither."""
    def build(inbox: Inbox) -> pl.DataFrame:
        f = pl.col(flag)
        return records(inbox.award_records, numerator=f.fill_null(False).cast(pl.Float64),
                       denominator=f.is_not_null().cast(pl.Float64), lacking=f.is_null())
    return build


def advocacy(inbox: Inbox) -> pl.DataFrame:
    """Of the awards whose agreement says whether it restricts advocacy, those with no such clause."""
    f = pl.col("advocacy_clause")
    return records(inbox.award_records, numerator=(f == False).fill_null(False).cast(pl.Float64),  # noqa: E712
                   denominator=f.is_not_null().cast(pl.Float64), lacking=f.is_null())


def _length(months: int) -> Callable[[Inbox], pl.DataFrame]:
    def build(inbox: Inbox) -> pl.DataFrame:
        d = pl.col("duration")
        return records(inbox.award_records, numerator=(d >= months).fill_null(False).cast(pl.Float64),
                       denominator=d.is_not_null().cast(pl.Float64), lacking=d.is_null())
    return build


def awards_to_smaller(inbox: Inbox) -> pl.DataFrame:
    s = pl.col("smaller")
    return records(inbox.award_records, numerator=s.fill_null(False).cast(pl.Float64),
                   denominator=s.is_not_null().cast(pl.Float64), lacking=s.is_null())


def full_cost_recovery(inbox: Inbox) -> pl.DataFrame:
    """Of the value in pounds of awards that say whether they cover full costs, the share that does."""
    f, amount = pl.col("full_cost_recovery"), pl.col("amount_gbp")
    known = f.is_not_null() & amount.is_not_null()
    return records(inbox.award_records, numerator=pl.when(known & f).then(amount).otherwise(0.0),
                   denominator=pl.when(known).then(amount).otherwise(0.0), lacking=~known)


def funding_to_smaller(inbox: Inbox) -> pl.DataFrame:
    s, amount = pl.col("smaller"), pl.col("amount_gbp")
    known = s.is_not_null() & amount.is_not_null()
    return records(inbox.award_records, numerator=pl.when(known & s).then(amount).otherwise(0.0),
                   denominator=pl.when(known).then(amount).otherwise(0.0), lacking=~known)


def grant_records_complete(inbox: Inbox) -> pl.DataFrame:
    """Records with an official org-id (not a 360G- one the funder made up), a length, a programme and a place."""
    complete = (~pl.col("recipient_org_id").str.starts_with("360G-") & pl.col("duration").is_not_null()
                & pl.col("programme").is_not_null() & pl.col("geocode").is_not_null())
    return records(inbox.award_records, numerator=complete.cast(pl.Float64), denominator=pl.lit(1.0), lacking=pl.lit(False))


def _award_quarters(inbox: Inbox) -> pl.DataFrame:
    return inbox.awards.select("financial_year", "quarter").unique()


def districts_without_awards(inbox: Inbox) -> pl.DataFrame:
    """Every district is in the denominator of every quarter with awards; a district with an award that quarter is in
    the numerator's complement. Lacking: awards whose place is not a known district."""
    every = _award_quarters(inbox).join(inbox.ref.districts.drop("population"), how="cross")
    denominator = records(every, subject=pl.col("district"), numerator=pl.lit(0.0), denominator=pl.lit(1.0))
    with_award = inbox.awards.filter(pl.col("district").is_not_null())
    numerator = records(with_award, subject=pl.col("district"), numerator=pl.lit(1.0), denominator=pl.lit(0.0))
    lacking = records(inbox.awards.filter(pl.col("district").is_null()), numerator=pl.lit(0.0),
                      denominator=pl.lit(0.0), lacking=pl.lit(True))
    return pl.concat([denominator, numerator, lacking])


def funding_per_head(inbox: Inbox) -> pl.DataFrame:
    """Pounds awarded for the benefit of the districts in a cell ÷ their population (a stock: once per window).
    Lacking: awards with no known district or no amount in pounds."""
    every = _award_quarters(inbox).join(inbox.ref.districts.filter(pl.col("population").is_not_null()), how="cross")
    population = records(every, stock_of=pl.col("district"), numerator=pl.lit(0.0), denominator=pl.col("population"))
    placed = inbox.awards.filter(pl.col("district").is_in(every["district"].unique().implode()) & pl.col("amount_gbp").is_not_null())
    amounts = records(placed, numerator=pl.col("amount_gbp"), denominator=pl.lit(0.0))
    missing = inbox.awards.filter(pl.col("district").is_null() | pl.col("amount_gbp").is_null())
    lacking = records(missing, numerator=pl.lit(0.0), denominator=pl.lit(0.0), lacking=pl.lit(True))
    return pl.concat([population, amounts, lacking])


def award_value_published(inbox: Inbox) -> pl.DataFrame:
    """Of the value of grants a body's return says it awarded in the quarter, the share it published in 360Giving form
    (its awards in pounds that quarter, up to what it declared). Lacking: a return not stating the value."""
    published = (inbox.awards.filter(pl.col("public_body").is_not_null() & pl.col("amount_gbp").is_not_null())
                 .group_by("public_body", "financial_year", "quarter").agg(pl.col("amount_gbp").sum().alias("published")))
    declared = pl.col("grants_awarded_value")
    returns = inbox.returns.summary.join(published, on=["public_body", "financial_year", "quarter"], how="left")
    return records(returns,
                   numerator=pl.when(declared.is_not_null()).then(pl.min_horizontal(pl.col("published").fill_null(0.0), declared)).otherwise(0.0),
                   denominator=declared.fill_null(0.0), lacking=declared.is_null())


def _body_stock(condition: pl.Expr) -> Callable[[Inbox], pl.DataFrame]:
    """Of the bodies that made a return, those where `condition` held, as each last reported in the window."""
    def build(inbox: Inbox) -> pl.DataFrame:
        return records(inbox.returns.summary, stock_of=pl.col("public_body"), numerator=condition.cast(pl.Float64),
                       denominator=pl.lit(1.0), lacking=pl.lit(False))
    return build


def commitments(inbox: Inbox) -> pl.DataFrame:
    """Commitments met or on track, as each body last reported them in the window (a stock of the body: its latest
    quarter in the window that lists commitments; the demo's returns never drop a commitment once listed, so this is
    also its latest return)."""
    c = inbox.returns.commitments
    return records(c, stock_of=pl.col("public_body"), numerator=pl.col("status").is_in(["met", "on track"]).cast(pl.Float64),
                   denominator=pl.lit(1.0), lacking=pl.lit(False))


def _latest_consultations(inbox: Inbox) -> pl.DataFrame:
    """Each consultation as last reported (its body's latest return that lists it), counted by when it closed."""
    c = inbox.returns.consultations.sort("financial_year", "quarter").unique(["public_body", "consultation_ref"], keep="last")
    fy_q = [financial_year(d) for d in c["closed_on"]]
    return c.with_columns(pl.Series("financial_year", [f for f, _ in fy_q], pl.Utf8),
                          pl.Series("quarter", [q for _, q in fy_q], pl.Int64))


def consultations_meeting_standard(inbox: Inbox) -> pl.DataFrame:
    c = _latest_consultations(inbox)
    days = (pl.col("closed_on") - pl.col("opened_on")).dt.total_days()
    meets = (days >= 84) | pl.col("shorter_period_reason").is_not_null()
    return records(c, numerator=meets.cast(pl.Float64), denominator=pl.lit(1.0), lacking=pl.lit(False))


def consultations_with_response(inbox: Inbox) -> pl.DataFrame:
    c = _latest_consultations(inbox).filter(pl.col("closed_on") <= inbox.as_of - dt.timedelta(weeks=12))
    return records(c, numerator=pl.col("response_published_on").is_not_null().cast(pl.Float64), denominator=pl.lit(1.0),
                   lacking=pl.lit(False))


def design_early(inbox: Inbox) -> pl.DataFrame:
    p = inbox.returns.policies.filter(pl.col("kind") == "design project")
    f = pl.col("civil_society_involved_early")
    return records(p, numerator=f.fill_null(False).cast(pl.Float64), denominator=f.is_not_null().cast(pl.Float64),
                   lacking=f.is_null())


def policies_assessed(inbox: Inbox) -> pl.DataFrame:
    f = pl.col("impact_assessed")
    return records(inbox.returns.policies, numerator=f.fill_null(False).cast(pl.Float64),
                   denominator=f.is_not_null().cast(pl.Float64), lacking=f.is_null())


def three_months_notice(inbox: Inbox) -> pl.DataFrame:
    """Endings where written notice was given at least three (calendar) months before the funding ended; no notice
    date: no notice."""
    e = inbox.returns.endings
    notice = (pl.col("notice_given_on") <= pl.col("funding_ended_on").dt.offset_by("-3mo")).fill_null(False)
    return records(e, numerator=notice.cast(pl.Float64), denominator=pl.lit(1.0), lacking=pl.lit(False))


def written_rationale(inbox: Inbox) -> pl.DataFrame:
    f = pl.col("written_rationale")
    return records(inbox.returns.endings, numerator=f.fill_null(False).cast(pl.Float64),
                   denominator=f.is_not_null().cast(pl.Float64), lacking=f.is_null())


def _of_returns(part: str, whole: str) -> Callable[[Inbox], pl.DataFrame]:
    """Σ part ÷ Σ whole over the returns that state both; lacking: a return that does not."""
    def build(inbox: Inbox) -> pl.DataFrame:
        known = pl.col(part).is_not_null() & pl.col(whole).is_not_null()
        return records(inbox.returns.summary, numerator=pl.when(known).then(pl.col(part)).otherwise(0),
                       denominator=pl.when(known).then(pl.col(whole)).otherwise(0), lacking=~known)
    return build


def _engagement(inbox: Inbox) -> pl.DataFrame:
    orgs = inbox.organisations.select(pl.col("org_id").alias("organisation_id"), "size_band", "smaller_organisation")
    return (inbox.returns.engagement.join(orgs, on="organisation_id", how="left")
            .with_columns(pl.col("size_band").fill_null("unknown"), pl.col("smaller_organisation").alias("smaller"))
            .with_columns(pl.when(pl.col("smaller")).then(pl.lit("smaller")).when(~pl.col("smaller")).then(pl.lit("larger"))
                          .alias("smaller_organisation")))


def organisations_engaged(inbox: Inbox) -> pl.DataFrame:
    return records(_engagement(inbox), subject=pl.col("organisation_id"), numerator=pl.lit(1.0), denominator=pl.lit(1.0),
                   lacking=pl.lit(False))


def organisations_engaged_smaller(inbox: Inbox) -> pl.DataFrame:
    s = pl.col("smaller")
    return records(_engagement(inbox).drop("smaller_organisation"), subject=pl.col("organisation_id"),
                   numerator=s.fill_null(False).cast(pl.Float64), denominator=s.is_not_null().cast(pl.Float64),
                   lacking=s.is_null())


@dataclass(frozen=True)
class Recomputed:
    calculation: str
    breakdowns: tuple[str, ...]  # beyond "all"
    build: Callable[[Inbox], pl.DataFrame]
    distinct_lacking: bool = False  # lacking counts different subjects, not records


INDICATORS: dict[str, Recomputed] = {
    "action_plan_published": Recomputed("share", BODY, _body_stock(pl.col("action_plan_published"))),
    "agreements_without_advocacy_clause": Recomputed("share", AWARD_ALL, advocacy),
    "award_value_published_360giving": Recomputed("share", BODY, award_value_published),
    "awards_paid_in_advance": Recomputed("share", AWARD_ALL, _flag_share("paid_in_advance")),
    "awards_three_years_or_more": Recomputed("share", AWARD_ALL, _length(36)),
    "awards_to_smaller_organisations": Recomputed("share", AWARD_PLACES, awards_to_smaller),
    "awards_two_years_or_more": Recomputed("share", AWARD_ALL, _length(24)),
    "commitments_met_or_on_track": Recomputed("share", (*BODY, "principle"), commitments),
    "consultations_meeting_standard": Recomputed("share", BODY, consultations_meeting_standard),
    "consultations_with_published_response": Recomputed("share", BODY, consultations_with_response),
    "design_with_civil_society_early": Recomputed("share", BODY, design_early),
    "districts_without_awards": Recomputed("distinct_absent", ("nation", "region"), districts_without_awards),
    "endings_with_three_months_notice": Recomputed("share", BODY, three_months_notice),
    "endings_with_written_rationale": Recomputed("share", BODY, written_rationale),
    "foi_answered_in_time": Recomputed("share", BODY, _of_returns("foi_answered_in_time", "foi_requests")),
    "full_cost_recovery_funding_share": Recomputed("share", AWARD_ALL, full_cost_recovery),
    "funding_per_head": Recomputed("per_head", ("district", "combined_authority", "region", "nation"), funding_per_head),
    "funding_to_smaller_organisations": Recomputed("share", AWARD_PLACES, funding_to_smaller),
    "grant_records_complete": Recomputed("share", AWARD_ALL, grant_records_complete),
    "leads_named": Recomputed("share", BODY, _body_stock(pl.col("ministerial_lead_named") & pl.col("senior_official_lead_named"))),
    "meetings_held_against_committed": Recomputed("share", BODY, _of_returns("meetings_held", "meetings_committed")),
    "organisations_engaged": Recomputed("distinct_count", (*BODY, "size_band", "smaller_organisation"), organisations_engaged),
    "organisations_engaged_smaller_share": Recomputed("distinct_share", BODY, organisations_engaged_smaller, distinct_lacking=True),
    "policies_impact_assessed": Recomputed("share", BODY, policies_assessed),
    "rejected_applicants_given_feedback": Recomputed("share", BODY, _of_returns("rejected_applicants_given_feedback", "rejected_applicants")),
}


def _types(*scopes_or_types: str, leaving_out: tuple[str, ...] = ()) -> tuple[str, ...]:
    """Body type codes of the scopes (central, local) or types named, from the reference data."""
    from etl import reference

    types = reference.load("body_types")
    return tuple(code for code, scope in zip(types["code"], types["scope"], strict=True)
                 if (code in scopes_or_types or scope in scopes_or_types) and code not in leaving_out)


# the types of body an indicator applies to, as its written definition says (the rest of its records do not count):
# the consultation principles and the 360Giving standard bind central government; leads are a minister's or an elected
# member's, which an integrated care board does not have
APPLIES_TO: dict[str, tuple[str, ...]] = {
    "consultations_meeting_standard": _types("central"),
    "consultations_with_published_response": _types("central"),
    "award_value_published_360giving": _types("central"),
    "leads_named": _types("central", "local", leaving_out=("integrated_care_board",)),
}


def recompute(inbox: Inbox, indicator_id: str) -> pl.DataFrame:
    """One indicator's cells, in the published cell keys, from the inbox as read here."""
    spec = INDICATORS[indicator_id]
    found = spec.build(inbox)
    if indicator_id in APPLIES_TO:
        found = found.filter(pl.col("body_type").is_null() | pl.col("body_type").is_in(APPLIES_TO[indicator_id]))
    return cells(indicator_id, spec.calculation, spec.breakdowns, found, spec.distinct_lacking)

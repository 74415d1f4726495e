"""The naive pipeline: the Covenant headline figures as a typical analyst would compute them.

pandas reads every inbox file into memory (`pd.read_csv`, `pd.read_excel`, `json` + `pd.json_normalize`), Great
Expectations validates the pandas frames, pandas cleans and aggregates them, and the figures are written to a
DuckDB file. It is deliberately plain: everything is held in memory at once, defects are coerced or dropped rather
than quarantined with a reason, and nothing is streamed or chunked. The benchmark compares the product against it.

    from benchmarks import naive_pipeline
    figures = naive_pipeline.run(Path("/tmp/dev_inbox"), Path("/tmp/naive.duckdb"))
    naive_pipeline.agreement(figures, Path("/tmp/dev_wh/current/covenant.duckdb"))  # [] when every figure agrees
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

REFERENCE = Path(__file__).resolve().parent.parent / "etl" / "reference"
SMALLER_MAX_INCOME = 500_000  # a smaller organisation: annual income £500,000 and under
TOLERANCE = 0.5  # percentage points: a naive figure further than this from the product's "differs"

# 360Giving flattened titles (CSV and XLSX) -> the names used here
FUNDING_TITLES = {
    "Identifier": "grant_id",
    "Currency": "currency",
    "Amount Awarded": "amount_awarded",
    "Award Date": "award_date",
    "Planned Dates:Start Date": "planned_start_date",
    "Planned Dates:End Date": "planned_end_date",
    "Planned Dates:Duration (months)": "duration_months",
    "Recipient Org:Identifier": "recipient_org_id",
    "Recipient Org:Name": "recipient_name",
    "Recipient Org:Charity Number": "recipient_charity_number",
    "Funding Org:Identifier": "funding_org_id",
    "Funding Org:Name": "funding_org_name",
    "Grant Programme:Code": "programme_code",
    "Grant Programme:Title": "programme_title",
    "Beneficiary Location:Geographic Code": "beneficiary_geocode",
    "Beneficiary Location:Geographic Code Type": "beneficiary_geocode_type",
    "Paid In Advance": "paid_in_advance",
    "Full Cost Recovery": "full_cost_recovery",
    "Advocacy Restriction Clause": "advocacy_restriction_clause",
}
# the same fields in 360Giving JSON, after pd.json_normalize (the first of each repeated object)
FUNDING_JSON = {
    "id": "grant_id",
    "currency": "currency",
    "amountAwarded": "amount_awarded",
    "awardDate": "award_date",
    "plannedDates.startDate": "planned_start_date",
    "plannedDates.endDate": "planned_end_date",
    "plannedDates.duration": "duration_months",
    "recipientOrganization.id": "recipient_org_id",
    "recipientOrganization.name": "recipient_name",
    "recipientOrganization.charityNumber": "recipient_charity_number",
    "fundingOrganization.id": "funding_org_id",
    "fundingOrganization.name": "funding_org_name",
    "grantProgramme.code": "programme_code",
    "grantProgramme.title": "programme_title",
    "beneficiaryLocation.geoCode": "beneficiary_geocode",
    "beneficiaryLocation.geoCodeType": "beneficiary_geocode_type",
    "paidInAdvance": "paid_in_advance",
    "fullCostRecovery": "full_cost_recovery",
    "advocacyRestrictionClause": "advocacy_restriction_clause",
}
REPEATED = ("plannedDates", "recipientOrganization", "fundingOrganization", "grantProgramme", "beneficiaryLocation")

# the sheets of a departmental return, and the columns used from each
RETURN_SHEETS = {
    "summary": ("Summary", {"Public body code": "body_code", "Financial year": "financial_year", "Quarter": "quarter",
                            "Action plan published": "action_plan_published",
                            "Value of grants awarded (£)": "grants_awarded_value"}),
    "consultations": ("Consultations", {"Consultation reference": "consultation_ref", "Opened on": "opened_on",
                                        "Closed on": "closed_on",
                                        "Reason for a period under 12 weeks": "shorter_period_reason"}),
    "endings": ("Funding endings", {"Ending reference": "ending_ref", "Funding ended on": "funding_ended_on",
                                    "Written notice given on": "notice_given_on"}),
    "engagement": ("Engagement", {"Organisation org-id": "organisation_id"}),
}

HEADLINE = (
    "action_plan_published", "award_value_published_360giving", "awards_paid_in_advance",
    "consultations_meeting_standard", "endings_with_three_months_notice", "full_cost_recovery_funding_share",
    "funding_to_smaller_organisations", "grant_records_complete", "issues_resolved_share",
    "organisations_engaged_smaller_share",
)


# --- reading --------------------------------------------------------------------------------------------------------


def read_csv(path: Path) -> pd.DataFrame:
    """A CSV as text. One demo file is Windows-1252, one has a byte-order mark: try UTF-8 (BOM or not) first."""
    try:
        return pd.read_csv(path, dtype=str, encoding="utf-8-sig")
    except UnicodeDecodeError:
        return pd.read_csv(path, dtype=str, encoding="cp1252")


def read_grants_json(path: Path) -> pd.DataFrame:
    """A 360Giving JSON package {"grants": [...]}, flattened with pd.json_normalize (first of each repeated object)."""
    with open(path, encoding="utf-8-sig") as f:
        grants = json.load(f)["grants"]
    for grant in grants:
        for key in REPEATED:
            if isinstance(grant.get(key), list):
                grant[key] = grant[key][0] if grant[key] else None
    return pd.json_normalize(grants).rename(columns=FUNDING_JSON)


def read_funding(inbox: Path) -> pd.DataFrame:
    """Every funding file (CSV, XLSX, JSON) in one frame, with the amounts already turned into numbers."""
    frames = []
    for path in sorted((inbox / "funding").iterdir()):
        suffix = path.suffix.lower()
        if suffix == ".csv":
            frame = read_csv(path).rename(columns=FUNDING_TITLES)
        elif suffix == ".xlsx":
            frame = pd.read_excel(path, dtype=str).rename(columns=FUNDING_TITLES)
        elif suffix == ".json":
            frame = read_grants_json(path)
        else:
            continue
        frames.append(frame[[c for c in FUNDING_TITLES.values() if c in frame.columns]])
    grants = pd.concat(frames, ignore_index=True)
    # "£1,234.00" is read as 1234 (the demo plants such amounts); anything else unreadable becomes NaN
    grants["amount_awarded"] = to_number(grants["amount_awarded"])
    grants["duration_months"] = to_number(grants["duration_months"])
    return grants


def read_organisations(inbox: Path) -> pd.DataFrame:
    """The organisation register (CSV or XLSX)."""
    frames = [read_csv(p) if p.suffix.lower() == ".csv" else pd.read_excel(p, dtype=str)
              for p in sorted((inbox / "organisations").iterdir()) if p.suffix.lower() in (".csv", ".xlsx")]
    register = pd.concat(frames, ignore_index=True)
    register["latest_income"] = to_number(register["latest_income"])
    return register


def read_returns(inbox: Path) -> dict[str, pd.DataFrame]:
    """Every departmental return workbook: each sheet used, from every workbook, in one frame per sheet. Every row
    carries its workbook's name; the body and period are on the Summary sheet."""
    rows: dict[str, list[pd.DataFrame]] = {name: [] for name in RETURN_SHEETS}
    for path in sorted((inbox / "returns").glob("*.xlsx")):
        sheets = pd.read_excel(path, sheet_name=None)
        for name, (sheet, columns) in RETURN_SHEETS.items():
            frame = sheets[sheet].rename(columns=columns)[list(columns.values())]
            rows[name].append(frame.assign(source_file=path.name))
    return {name: pd.concat(frames, ignore_index=True) for name, frames in rows.items()}


def read_issue_events(inbox: Path) -> pd.DataFrame:
    """Every issue event log (CSV), without the reporter's identity and free text."""
    frames = [read_csv(p) for p in sorted((inbox / "issues").glob("*.csv"))]
    return pd.concat(frames, ignore_index=True).drop(columns=["reporter_id", "summary"], errors="ignore")


# --- typing helpers -------------------------------------------------------------------------------------------------


def to_number(values: pd.Series) -> pd.Series:
    """Numbers from text, '£' and thousands separators removed; anything else -> NaN."""
    text = values.astype("string").str.replace(r"[£,\s]", "", regex=True)
    return pd.to_numeric(text, errors="coerce")


def to_date(values: pd.Series) -> pd.Series:
    """ISO dates (or date-times) and DD/MM/YYYY -> datetime64; anything else -> NaT."""
    text = values.astype("string").str.strip()
    iso = pd.to_datetime(text.str.slice(0, 10), format="%Y-%m-%d", errors="coerce")
    dmy = pd.to_datetime(text, format="%d/%m/%Y", errors="coerce")
    return iso.fillna(dmy)


def to_bool(values: pd.Series) -> pd.Series:
    """Yes/No, true/false (any case, or real booleans from JSON) -> a nullable boolean."""
    words = {"yes": True, "y": True, "true": True, "1": True, "no": False, "n": False, "false": False, "0": False}
    return values.astype("string").str.strip().str.lower().map(words).astype("boolean")


def financial_year(dates: pd.Series) -> pd.Series:
    """April to March: 2025-06-01 -> '2025-26'."""
    start = dates.dt.year - (dates.dt.month < 4)
    label = start.astype("Int64").astype("string") + "-" + ((start + 1) % 100).astype("Int64").astype("string").str.zfill(2)
    return label


def financial_quarter(dates: pd.Series) -> pd.Series:
    """1 for April-June ... 4 for January-March."""
    return ((dates.dt.month - 4) % 12 // 3 + 1).astype("Int64")


def name_key(values: pd.Series) -> pd.Series:
    """A body's name as matched: lower case, '&' as 'and', 'Dept.' as 'department', spacing collapsed."""
    text = values.astype("string").str.lower().str.replace("&", " and ", regex=False)
    text = text.str.replace(r"\bdept\b\.?", "department", regex=True)
    return text.str.replace(r"\s+", " ", regex=True).str.strip()


# --- reference ------------------------------------------------------------------------------------------------------


def public_bodies() -> pd.DataFrame:
    return pd.read_csv(REFERENCE / "public_bodies.csv", dtype=str)


def body_lookup() -> dict[str, str]:
    """Every name a public body is known by (code, name, org-id, aliases), as a name key -> its code."""
    lookup = {}
    for body in public_bodies().itertuples():
        names = [body.code, body.name, body.org_id, *(str(body.aliases).split("|") if pd.notna(body.aliases) else [])]
        for name in names:
            if pd.notna(name) and str(name).strip():
                lookup[name_key(pd.Series([name])).iloc[0]] = body.code
    return lookup


def districts() -> pd.DataFrame:
    """Districts with their region, nation and population (from the project's reference)."""
    places = pd.read_csv(REFERENCE / "localities.csv", dtype={"population": "float"})
    return places[places["level"] == "district"].rename(columns={"gss_code": "district_code"})[
        ["district_code", "name", "region_code", "nation_code", "population"]]


def size_band(income: pd.Series) -> pd.Series:
    """NCVO size bands from annual income; unknown income -> 'unknown'."""
    bands = pd.read_csv(REFERENCE / "size_bands.csv").dropna(subset=["min_income"])
    edges = list(bands["min_income"]) + [float("inf")]
    banded = pd.cut(income, bins=edges, labels=list(bands["code"]), right=False)
    return banded.astype("string").fillna("unknown")


# --- cleaning -------------------------------------------------------------------------------------------------------


def clean_organisations(register: pd.DataFrame) -> pd.DataFrame:
    """One row per org-id with its size band and whether it is a smaller organisation."""
    register = register.drop_duplicates("org_id")
    smaller = (register["latest_income"] <= SMALLER_MAX_INCOME).astype("boolean")
    smaller[register["latest_income"].isna()] = pd.NA
    return pd.DataFrame({"org_id": register["org_id"], "size_band": size_band(register["latest_income"]),
                         "smaller_organisation": smaller})


def clean_awards(grants: pd.DataFrame, organisations: pd.DataFrame, today: dt.date | None = None) -> pd.DataFrame:
    """Typed awards, with the funder as a public body, the recipient's size and the place that benefits.

    The naive way with the planted defects: rows whose amount is missing, negative or over £1bn, whose award date
    cannot be read or is in the future, and repeated identifiers (the first is kept) are simply dropped; '£' amounts
    and DD/MM/YYYY dates were read as such. A beneficiary code that is not a current district code (a small-area
    code, a former code, code and type swapped) is left without a place rather than repaired."""
    awards = grants.copy()
    awards["award_date"] = to_date(awards["award_date"])
    today = pd.Timestamp(today or dt.date.today())
    keep = (awards["amount_awarded"].between(0, 1e9) & awards["award_date"].notna() & (awards["award_date"] <= today))
    awards = awards[keep].drop_duplicates("grant_id")
    for column in ("paid_in_advance", "full_cost_recovery", "advocacy_restriction_clause"):
        awards[column] = to_bool(awards[column]) if column in awards else pd.Series(pd.NA, index=awards.index, dtype="boolean")
    awards["amount_gbp"] = awards["amount_awarded"].where(awards["currency"].str.upper() == "GBP")
    # the award's length: stated, else from the planned dates (months, counting both ends)
    start, end = to_date(awards["planned_start_date"]), to_date(awards["planned_end_date"])
    months = (end.dt.year - start.dt.year) * 12 + (end.dt.month - start.dt.month) + 1
    awards["duration_months"] = awards["duration_months"].fillna(months)
    # a recipient sent with only a charity number gets the org-id made from it
    charity = awards["recipient_charity_number"].astype("string").str.strip()
    awards["recipient_org_id"] = awards["recipient_org_id"].fillna("GB-CHC-" + charity)
    # the funder: its org-id, else its name, looked up among the public bodies' names and aliases
    lookup = body_lookup()
    awards["body_code"] = name_key(awards["funding_org_id"]).map(lookup).fillna(name_key(awards["funding_org_name"]).map(lookup))
    bodies = public_bodies()[["code", "body_type"]].rename(columns={"code": "body_code"})
    awards = awards.merge(bodies, on="body_code", how="left")
    awards["financial_year"] = financial_year(awards["award_date"])
    awards["quarter"] = financial_quarter(awards["award_date"])
    awards = awards.merge(organisations, left_on="recipient_org_id", right_on="org_id", how="left").drop(columns="org_id")
    awards["size_band"] = awards["size_band"].fillna("unknown")
    places = districts()[["district_code", "region_code", "nation_code"]]
    awards["district_code"] = awards["beneficiary_geocode"].astype("string").str.strip().str.upper()
    awards = awards.merge(places, on="district_code", how="left")
    awards.loc[awards["nation_code"].isna(), "district_code"] = pd.NA
    return awards


def clean_returns(returns: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Returns as the indicators need them: a later workbook for the same body and quarter replaces an earlier one
    (its other sheets go with it), and every row gets its workbook's body and period."""
    summary = returns["summary"].copy()
    summary["body_code"] = name_key(summary["body_code"]).map(body_lookup())
    summary = summary.dropna(subset=["body_code"]).drop_duplicates(["body_code", "financial_year", "quarter"], keep="last")
    summary["action_plan_published"] = to_bool(summary["action_plan_published"])
    summary["grants_awarded_value"] = to_number(summary["grants_awarded_value"])
    summary["quarter"] = summary["quarter"].astype("Int64")
    periods = summary[["source_file", "body_code", "financial_year", "quarter"]]
    out = {"summary": summary}
    for name in ("consultations", "endings", "engagement"):
        out[name] = returns[name].merge(periods, on="source_file", how="inner")
    for name, column in (("consultations", "opened_on"), ("consultations", "closed_on"),
                         ("endings", "funding_ended_on"), ("endings", "notice_given_on")):
        out[name][column] = pd.to_datetime(out[name][column], errors="coerce")
    return out


LIFECYCLE = {"raised": 0, "acknowledged": 1, "escalated": 2, "withdrawn": 3, "resolved": 4, "closed": 5, "reopened": 6}
OUTCOMES = {"resolved": "resolved", "closed": "resolved", "withdrawn": "withdrawn"}


def _status(kinds: list[str]) -> str:
    """The documented lifecycle: open until resolved, closed or withdrawn, which is final unless reopened."""
    status = "open"
    for kind in kinds:
        if status == "open" and kind in OUTCOMES:
            status = OUTCOMES[kind]
        elif status != "open" and kind == "reopened":
            status = "open"
    return status


def clean_issues(events: pd.DataFrame) -> pd.DataFrame:
    """One row per issue: when it was raised, and its status by the documented lifecycle."""
    events = events.copy()
    events["occurred_at"] = pd.to_datetime(events["occurred_at"], errors="coerce")
    events["event_type"] = events["event_type"].str.lower()
    events["order"] = events["event_type"].map(LIFECYCLE)
    events = events.dropna(subset=["occurred_at"]).sort_values(["issue_ref", "occurred_at", "order", "event_id"])
    issues = events.groupby("issue_ref").agg(first_at=("occurred_at", "first"), kinds=("event_type", list))
    # dated by its 'raised' event (a demo defect stamps some resolutions before it), else by its first event
    raised = events[events["event_type"] == "raised"].groupby("issue_ref")["occurred_at"].min()
    issues["raised_at"] = raised.reindex(issues.index).fillna(issues["first_at"])
    issues["status"] = issues["kinds"].map(_status)
    issues["financial_year"] = financial_year(issues["raised_at"])
    return issues.reset_index()


# --- validation with Great Expectations ------------------------------------------------------------------------------


def expectations() -> dict[str, list]:
    """The obvious expectations for each dataset as read: required columns present, identifiers not null and
    unique, amounts between 0 and £1bn, dates parseable, codes in their sets."""
    import great_expectations as gx

    e = gx.expectations
    return {
        "grants": [
            *[e.ExpectColumnToExist(column=c) for c in ("grant_id", "currency", "amount_awarded", "award_date",
                                                        "recipient_org_id", "recipient_name", "funding_org_name")],
            e.ExpectColumnValuesToNotBeNull(column="grant_id"),
            e.ExpectColumnValuesToBeUnique(column="grant_id"),
            e.ExpectColumnValuesToNotBeNull(column="amount_awarded"),
            e.ExpectColumnValuesToBeBetween(column="amount_awarded", min_value=0, max_value=1e9),
            e.ExpectColumnValuesToNotBeNull(column="award_date"),
            e.ExpectColumnValuesToBeDateutilParseable(column="award_date"),
            e.ExpectColumnValuesToNotBeNull(column="recipient_org_id"),
            e.ExpectColumnValuesToNotBeNull(column="funding_org_name"),
            e.ExpectColumnValuesToMatchRegex(column="currency", regex=r"^[A-Z]{3}$"),
        ],
        "organisations": [
            *[e.ExpectColumnToExist(column=c) for c in ("org_id", "name", "latest_income")],
            e.ExpectColumnValuesToNotBeNull(column="org_id"),
            e.ExpectColumnValuesToBeUnique(column="org_id"),
            e.ExpectColumnValuesToBeBetween(column="latest_income", min_value=0, max_value=1e12),
        ],
        "return_summary": [
            *[e.ExpectColumnToExist(column=c) for c in RETURN_SHEETS["summary"][1].values()],
            e.ExpectColumnValuesToNotBeNull(column="body_code"),
            e.ExpectCompoundColumnsToBeUnique(column_list=["body_code", "financial_year", "quarter"]),
            e.ExpectColumnValuesToBeInSet(column="quarter", value_set=[1, 2, 3, 4]),
            e.ExpectColumnValuesToBeBetween(column="grants_awarded_value", min_value=0, max_value=1e12),
        ],
        "return_consultations": [
            e.ExpectColumnValuesToNotBeNull(column="consultation_ref"),
            e.ExpectColumnValuesToNotBeNull(column="opened_on"),
            e.ExpectColumnValuesToNotBeNull(column="closed_on"),
        ],
        "return_funding_endings": [
            e.ExpectColumnValuesToNotBeNull(column="ending_ref"),
            e.ExpectColumnValuesToNotBeNull(column="funding_ended_on"),
        ],
        "return_engagement": [e.ExpectColumnValuesToNotBeNull(column="organisation_id")],
        "issue_events": [
            *[e.ExpectColumnToExist(column=c) for c in ("event_id", "issue_ref", "event_type", "occurred_at", "body")],
            e.ExpectColumnValuesToNotBeNull(column="event_id"),
            e.ExpectColumnValuesToBeUnique(column="event_id"),
            e.ExpectColumnValuesToNotBeNull(column="issue_ref"),
            e.ExpectColumnValuesToBeDateutilParseable(column="occurred_at"),
            e.ExpectColumnValuesToBeInSet(column="event_type", value_set=[
                "raised", "acknowledged", "escalated", "responded", "resolved", "closed", "reopened", "withdrawn"]),
        ],
    }


def validate(frames: dict[str, pd.DataFrame]) -> dict[str, dict[str, int]]:
    """Each frame against its suite in an ephemeral GX context: {dataset: {"passed": n, "failed": n}}."""
    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    import great_expectations as gx

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = {"globally": False}
    source = context.data_sources.add_pandas("naive")
    counts = {}
    for dataset, suite_expectations in expectations().items():
        suite = context.suites.add(gx.ExpectationSuite(name=dataset, expectations=suite_expectations))
        batch = source.add_dataframe_asset(name=dataset).add_batch_definition_whole_dataframe(dataset)
        result = batch.get_batch(batch_parameters={"dataframe": frames[dataset]}).validate(suite)
        passed = sum(1 for r in result.results if r.success)
        counts[dataset] = {"passed": passed, "failed": len(result.results) - passed}
    return counts


# --- indicators -----------------------------------------------------------------------------------------------------


def share(frame: pd.DataFrame, numerator: pd.Series, denominator: pd.Series, by: list[str]) -> pd.DataFrame:
    """100 * sum(numerator) / sum(denominator) per group: columns by..., numerator, denominator, value."""
    sums = (frame[by].assign(numerator=numerator.astype("float"), denominator=denominator.astype("float"))
            .groupby(by, dropna=True, observed=True)[["numerator", "denominator"]].sum().reset_index())
    sums["value"] = 100 * sums["numerator"] / sums["denominator"].where(sums["denominator"] != 0)
    return sums


def _flag(values: pd.Series) -> pd.Series:
    """A nullable boolean as 1 (true) or 0 (false or unknown)."""
    return values.fillna(False).astype(int)


def _known(values: pd.Series) -> pd.Series:
    return values.notna().astype(int)


def award_parts(awards: pd.DataFrame, indicator: str) -> tuple[pd.Series, pd.Series]:
    """The numerator and denominator each award contributes to an award-based indicator (the formulas of
    warehouse/indicators/<indicator>.sql)."""
    amount = awards["amount_gbp"]
    if indicator == "awards_paid_in_advance":
        return _flag(awards["paid_in_advance"]), _known(awards["paid_in_advance"])
    if indicator == "full_cost_recovery_funding_share":
        known = awards["full_cost_recovery"].notna() & amount.notna()
        return amount.where(known & awards["full_cost_recovery"].fillna(False), 0), amount.where(known, 0)
    if indicator == "funding_to_smaller_organisations":
        known = awards["smaller_organisation"].notna() & amount.notna()
        return amount.where(known & awards["smaller_organisation"].fillna(False), 0), amount.where(known, 0)
    if indicator == "awards_to_smaller_organisations":
        return _flag(awards["smaller_organisation"]), _known(awards["smaller_organisation"])
    if indicator == "agreements_without_advocacy_clause":
        return _flag(~awards["advocacy_restriction_clause"]), _known(awards["advocacy_restriction_clause"])
    if indicator in ("awards_two_years_or_more", "awards_three_years_or_more"):
        months = 24 if indicator == "awards_two_years_or_more" else 36
        return (awards["duration_months"] >= months).astype(int), _known(awards["duration_months"])
    if indicator == "grant_records_complete":
        org_id = awards["recipient_org_id"].astype("string")
        complete = (org_id.notna() & ~org_id.str.startswith("360G-").fillna(False) & awards["duration_months"].notna()
                    & (awards["programme_title"].notna() | awards["programme_code"].notna())
                    & awards["beneficiary_geocode"].notna())
        return complete.astype(int), pd.Series(1, index=awards.index)
    raise KeyError(indicator)


AWARD_INDICATORS = ("awards_paid_in_advance", "full_cost_recovery_funding_share", "funding_to_smaller_organisations",
                    "grant_records_complete", "awards_two_years_or_more", "awards_three_years_or_more",
                    "awards_to_smaller_organisations", "agreements_without_advocacy_clause")


def award_indicator(awards: pd.DataFrame, indicator: str, by: list[str]) -> pd.DataFrame:
    """An award-based indicator for every group of `by` (e.g. ['financial_year'], ['financial_year', 'size_band'])."""
    numerator, denominator = award_parts(awards, indicator)
    return share(awards, numerator, denominator, by)


def award_value_published(awards: pd.DataFrame, summary: pd.DataFrame) -> pd.DataFrame:
    """Of the value of grants each body declared in a quarter's return, the part published in its funding files
    (counted up to what it declared); returns without a declared value are left out."""
    published = (awards.dropna(subset=["body_code", "amount_gbp"])
                 .groupby(["body_code", "financial_year", "quarter"])["amount_gbp"].sum().rename("published").reset_index())
    returns = summary.merge(published, on=["body_code", "financial_year", "quarter"], how="left")
    declared = returns["grants_awarded_value"]
    numerator = returns["published"].fillna(0).clip(upper=declared).where(declared.notna(), 0)
    return share(returns, numerator, declared.fillna(0), ["financial_year"])


def action_plan_published(summary: pd.DataFrame) -> pd.DataFrame:
    """Of the bodies that made a return in a year, the share whose last return of the year had a published plan."""
    last = summary.sort_values("quarter").drop_duplicates(["body_code", "financial_year"], keep="last")
    return share(last, _flag(last["action_plan_published"]), pd.Series(1, index=last.index), ["financial_year"])


def consultations_meeting_standard(consultations: pd.DataFrame) -> pd.DataFrame:
    """Consultations (as last reported) open 12 weeks or more, or with a reason for less, by when they closed."""
    latest = (consultations.sort_values(["financial_year", "quarter"])
              .drop_duplicates(["body_code", "consultation_ref"], keep="last").copy())
    days = (latest["closed_on"] - latest["opened_on"]).dt.days
    meets = (days >= 84) | latest["shorter_period_reason"].notna()
    latest["financial_year"] = financial_year(latest["closed_on"])
    return share(latest, meets.astype(int), pd.Series(1, index=latest.index), ["financial_year"])


def endings_with_three_months_notice(endings: pd.DataFrame) -> pd.DataFrame:
    """Funding endings with written notice at least three months before the end (no notice date: no notice)."""
    endings = endings.drop_duplicates(["source_file", "ending_ref"])
    notice = endings["notice_given_on"] <= endings["funding_ended_on"] - pd.DateOffset(months=3)
    return share(endings, notice.fillna(False).astype(int), pd.Series(1, index=endings.index), ["financial_year"])


def organisations_engaged_smaller_share(engagement: pd.DataFrame, organisations: pd.DataFrame) -> pd.DataFrame:
    """Of the different organisations of known income engaged in a year, the share that are smaller."""
    engaged = engagement.merge(organisations, left_on="organisation_id", right_on="org_id", how="left")
    known = engaged.dropna(subset=["smaller_organisation"])
    smaller = known[known["smaller_organisation"].astype(bool)]
    counts = pd.DataFrame({
        "numerator": smaller.groupby("financial_year")["organisation_id"].nunique(),
        "denominator": known.groupby("financial_year")["organisation_id"].nunique(),
    }).fillna(0).reset_index()
    counts["value"] = 100 * counts["numerator"] / counts["denominator"]
    return counts


def issues_resolved_share(issues: pd.DataFrame) -> pd.DataFrame:
    """Of the issues raised in a year and not withdrawn, the share resolved."""
    kept = issues[issues["status"] != "withdrawn"]
    return share(kept, (kept["status"] == "resolved").astype(int), pd.Series(1, index=kept.index), ["financial_year"])


def indicators(awards: pd.DataFrame, organisations: pd.DataFrame, returns: dict[str, pd.DataFrame],
               issues: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Every indicator computed here, by financial year ('all' cell): {indicator_id: frame with a value column}."""
    out = {indicator: award_indicator(awards, indicator, ["financial_year"]) for indicator in AWARD_INDICATORS}
    out["award_value_published_360giving"] = award_value_published(awards, returns["summary"])
    out["action_plan_published"] = action_plan_published(returns["summary"])
    out["consultations_meeting_standard"] = consultations_meeting_standard(returns["consultations"])
    out["endings_with_three_months_notice"] = endings_with_three_months_notice(returns["endings"])
    out["organisations_engaged_smaller_share"] = organisations_engaged_smaller_share(returns["engagement"], organisations)
    out["issues_resolved_share"] = issues_resolved_share(issues)
    return out


# --- the run --------------------------------------------------------------------------------------------------------


@dataclass
class Result:
    figures: dict[str, dict[str, float]]
    validation: dict[str, dict[str, int]]
    rows: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)  # wall time of each stage


def pipeline(inbox: Path, database: Path) -> Result:
    """Read, validate, clean, aggregate and write: the figures, the validation counts, the rows read and the
    wall time of each stage."""
    inbox, database = Path(inbox), Path(database)
    clock = _Clock()
    grants = read_funding(inbox)
    register = read_organisations(inbox)
    returns = read_returns(inbox)
    events = read_issue_events(inbox)
    clock.lap("read")
    validation = validate({
        "grants": grants, "organisations": register, "return_summary": returns["summary"],
        "return_consultations": returns["consultations"], "return_funding_endings": returns["endings"],
        "return_engagement": returns["engagement"], "issue_events": events,
    })
    clock.lap("validate")
    organisations = clean_organisations(register)
    awards = clean_awards(grants, organisations)
    cleaned_returns, issues = clean_returns(returns), clean_issues(events)
    clock.lap("clean")
    values = indicators(awards, organisations, cleaned_returns, issues)
    figures_table = pd.concat([frame.assign(indicator_id=indicator) for indicator, frame in values.items()], ignore_index=True)
    figures_table = figures_table[["indicator_id", "financial_year", "numerator", "denominator", "value"]]
    clock.lap("aggregate")
    write(database, figures_table, validation)
    clock.lap("write")
    figures: dict[str, dict[str, float]] = {}
    for row in figures_table.dropna(subset=["value"]).itertuples():
        figures.setdefault(row.indicator_id, {})[row.financial_year] = float(row.value)
    rows = {"grants": len(grants), "awards": len(awards), "organisations": len(register),
            "return_summaries": len(returns["summary"]), "issue_events": len(events)}
    return Result(figures, validation, rows, clock.seconds)


class _Clock:
    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.last = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.seconds[stage] = round(now - self.last, 2)
        self.last = now


def write(database: Path, figures_table: pd.DataFrame, validation: dict[str, dict[str, int]]) -> None:
    """The figures (and the validation counts) as tables of a new DuckDB file."""
    database.unlink(missing_ok=True)
    checks = pd.DataFrame([{"dataset": d, **c} for d, c in validation.items()])
    with duckdb.connect(str(database)) as con:
        con.register("figures_frame", figures_table)
        con.register("checks_frame", checks)
        con.execute("create table indicator_values as select * from figures_frame")
        con.execute("create table validation as select * from checks_frame")


def run(inbox: Path, database: Path) -> dict[str, dict[str, float]]:
    """The naive pipeline end to end: {indicator_id: {financial_year: value}}, also written to `database`."""
    return pipeline(inbox, database).figures


def agreement(figures: dict[str, dict[str, float]], warehouse_db: Path) -> list[str]:
    """Every figure that differs from the product's (marts.indicator_values, breakdown 'all', year level) by more
    than TOLERANCE, or that one side has and the other has not, for the indicators the naive pipeline computes."""
    with duckdb.connect(str(warehouse_db), read_only=True) as con:
        product = con.execute(
            "select indicator_id, financial_year, value, suppressed from marts.indicator_values "
            "where breakdown = 'all' and period_level = 'year' and list_contains($ids, indicator_id)",
            {"ids": list(figures)}).fetchall()
    theirs = {(i, y): v for i, y, v, _ in product}
    for i, y, _, suppressed in product:  # a figure the product suppresses (disclosure control) is not compared
        if suppressed:
            figures.get(i, {}).pop(y, None)
    ours = {(i, y): v for i, years in figures.items() for y, v in years.items()}
    differences = []
    for key in sorted(set(theirs) | set(ours)):
        mine, real = ours.get(key), theirs.get(key)
        if mine is None or real is None:
            if (mine if mine is not None else real) is not None:
                differences.append(f"{key[0]} {key[1]}: naive {_shown(mine)}, product {_shown(real)}")
        elif abs(mine - real) > TOLERANCE:
            differences.append(f"{key[0]} {key[1]}: naive {mine:.2f}, product {real:.2f} (differs by {mine - real:+.2f})")
    return differences


def _shown(value: float | None) -> str:
    return "none" if value is None else f"{value:.2f}"


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("inbox", type=Path)
    parser.add_argument("database", type=Path)
    parser.add_argument("--warehouse", type=Path, help="the product's published covenant.duckdb, to check agreement")
    args = parser.parse_args()
    started = time.perf_counter()
    result = pipeline(args.inbox, args.database)
    print(f"run: {time.perf_counter() - started:.1f} s; stages {result.seconds}; rows {result.rows}")
    print(f"validation: {result.validation}")
    for indicator, years in sorted(result.figures.items()):
        print(indicator, {y: round(v, 2) for y, v in sorted(years.items())})
    if args.warehouse:
        differing = agreement(result.figures, args.warehouse)
        named = {tuple(line.split(":")[0].split(" ")) for line in differing}
        ours = [(i, y) for i, years in result.figures.items() for y in years]
        print(f"agreement: {sum(key not in named for key in ours)} of {len(ours)} naive figures within {TOLERANCE} "
              f"points of the product's ({sum(key not in named for key in ours if key[0] in HEADLINE)} of "
              f"{sum(key[0] in HEADLINE for key in ours)} headline figures)")
        print("\n".join(differing))

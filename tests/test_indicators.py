"""The indicator framework: every declaration complete, and every indicator's values on a small hand-written dataset
asserted against figures worked out by hand (the working is in the comments)."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import duckdb
import polars as pl
import pytest

from etl import indicators as indicator_build
from tests.conftest import AS_OF, GRANT_FIELDS, InboxFactory, grant, query, restricted, table
from etl.build import build
from warehouse.indicators import (BREAKDOWNS, PAGE_ROLES, RECORD_COLUMNS, DeclarationError, body_type_scopes, indicators,
                                  parse, shown_on)

REFERENCE = Path(__file__).parents[1] / "etl" / "reference"
FIELDS = (*GRANT_FIELDS, "duration_months", "programme_title", "paid_in_advance", "full_cost_recovery",
          "advocacy_restriction_clause")
DCMS = {"funding_org_id": "GB-GOR-D5", "funding_org_name": "Department for Culture, Media and Sport"}
DFE = {"funding_org_id": "GB-GOR-D6", "funding_org_name": "Department for Education"}
SMALL = {"recipient_org_id": "GB-CHC-1000001", "recipient_name": "Small Trust"}
MEDIUM = {"recipient_org_id": "GB-CHC-1000002", "recipient_name": "Medium Trust"}
LARGE = {"recipient_org_id": "GB-COH-00000003", "recipient_name": "Large Ltd"}
BARNSLEY, SHEFFIELD, CARDIFF = "E08000038", "E08000039", "W06000015"
YORKSHIRE, WALES = "E12000003", "W92000004"


def localities() -> list[dict]:
    with (REFERENCE / "localities.csv").open(encoding="utf-8") as f:
        return [row for row in csv.DictReader(f) if row["level"] == "district"]


def population(**where: str) -> int:
    return sum(int(row["population"]) for row in localities() if all(row[k] == v for k, v in where.items()))


def district_count(**where: str) -> int:
    return sum(1 for row in localities() if all(row[k] == v for k, v in where.items()))


def practice(duration: str, programme: str, advance: str, full_cost: str, clause: str) -> dict:
    return {"duration_months": duration, "programme_title": programme, "paid_in_advance": advance,
            "full_cost_recovery": full_cost, "advocacy_restriction_clause": clause}


def write_hand_inbox(inbox: InboxFactory) -> None:
    inbox.organisations_csv("register.csv", [
        {"org_id": "GB-CHC-1000001", "name": "Small Trust", "latest_income": "50000"},  # small, smaller
        {"org_id": "GB-CHC-1000002", "name": "Medium Trust", "latest_income": "400000"},  # medium, smaller
        {"org_id": "GB-COH-00000003", "name": "Large Ltd", "latest_income": "2000000"},  # large, not smaller
    ])
    inbox.funding_csv("grants.csv", [
        # 2025-26
        grant("A1", **DCMS, **SMALL, amount_awarded="10000", award_date="2025-05-10", beneficiary_geocode=BARNSLEY,
              **practice("36", "Community", "Yes", "Yes", "No")),
        grant("A2", **DCMS, **MEDIUM, amount_awarded="30000", award_date="2025-08-01", beneficiary_geocode=BARNSLEY,
              **practice("24", "Community", "No", "No", "No")),
        grant("A3", **DCMS, **LARGE, amount_awarded="60000", award_date="2025-11-15", beneficiary_geocode=SHEFFIELD,
              **practice("12", "Community", "Yes", "", "Yes")),
        grant("A4", **DFE, recipient_org_id="360G-DFE-ORG-1", recipient_name="Unregistered Group", amount_awarded="100000",
              award_date="2025-06-30", beneficiary_geocode=CARDIFF, beneficiary_geocode_type="WA",
              **practice("", "", "", "Yes", "")),
        # 2024-25, the baseline
        grant("A5", **DCMS, **SMALL, amount_awarded="20000", award_date="2024-07-01", beneficiary_geocode=BARNSLEY,
              **practice("12", "Community", "No", "No", "Yes")),
        grant("A6", **DFE, **LARGE, amount_awarded="40000", award_date="2024-10-01", beneficiary_geocode="",
              beneficiary_geocode_type="", **practice("36", "Schools", "Yes", "Yes", "No")),
    ], fields=FIELDS)

    def summary(body: str, year: str, quarter: int, plan: str, minister: str, official: str, committed: int, held: int,
                rejected, feedback, foi, in_time, grants_value) -> list[dict]:
        return [{"body_code": body, "financial_year": year, "quarter": quarter, "action_plan_published": plan,
                 "ministerial_lead_named": minister, "senior_official_lead_named": official,
                 "meetings_committed": committed, "meetings_held": held, "rejected_applicants": rejected,
                 "rejected_applicants_given_feedback": feedback, "foi_requests": foi, "foi_answered_in_time": in_time,
                 "grants_awarded_value": grants_value}]

    inbox.return_workbook("dcms_2024-25_Q4.xlsx", {
        "return_summary": summary("DCMS", "2024-25", 4, "No", "No", "No", 0, 2, 10, 2, 4, 3, 25000)})
    inbox.return_workbook("dcms_2025-26_Q2.xlsx", {
        "return_summary": summary("DCMS", "2025-26", 2, "Yes", "Yes", "Yes", 4, 3, 20, 15, 10, 9, 40000),
        "return_commitments": [
            {"commitment_ref": "C1", "principle": "recognition", "commitment": "Remove gagging clauses", "status": "on track"},
            {"commitment_ref": "C2", "principle": "partnership", "commitment": "Pay in advance", "status": "at risk"}],
        "return_consultations": [
            {"consultation_ref": "K1", "title": "Twelve weeks", "opened_on": "2025-04-01", "closed_on": "2025-06-24",
             "response_published_on": "2025-08-01"},
            {"consultation_ref": "K2", "title": "Six weeks, with a reason", "opened_on": "2025-07-01",
             "closed_on": "2025-08-12", "shorter_period_reason": "Urgent legislation"}],
        "return_funding_endings": [
            {"ending_ref": "E1", "recipient_org_id": "GB-CHC-1000001", "funding_ended_on": "2025-09-30",
             "notice_given_on": "2025-06-15", "written_rationale": "Yes"},
            {"ending_ref": "E2", "recipient_org_id": "GB-CHC-1000002", "funding_ended_on": "2025-09-30",
             "notice_given_on": "2025-08-01", "written_rationale": "No"},
            {"ending_ref": "E3", "recipient_org_id": "GB-COH-00000003", "funding_ended_on": "2025-08-31",
             "written_rationale": "Yes"}],
        "return_policies": [
            {"policy_ref": "P1", "title": "A policy", "kind": "policy", "impact_assessed": "Yes"},
            {"policy_ref": "P2", "title": "A design", "kind": "design project", "impact_assessed": "No",
             "civil_society_involved_early": "Yes"},
            {"policy_ref": "P3", "title": "Another design", "kind": "design project", "impact_assessed": "Yes",
             "civil_society_involved_early": "No"}],
        "return_engagement": [
            {"meeting_date": "2025-08-10", "meeting_type": "roundtable", "organisation_id": "GB-CHC-1000001"},
            {"meeting_date": "2025-08-10", "meeting_type": "roundtable", "organisation_id": "GB-CHC-1000002"},
            {"meeting_date": "2025-09-01", "meeting_type": "roundtable", "organisation_id": "GB-CHC-1000001"},
            {"meeting_date": "2025-09-01", "meeting_type": "roundtable", "organisation_id": "GB-COH-00000003"}],
    })
    inbox.return_workbook("dcms_2025-26_Q3.xlsx", {
        "return_summary": summary("DCMS", "2025-26", 3, "Yes", "Yes", "No", 6, 6, None, None, 5, 5, 50000),
        "return_commitments": [
            {"commitment_ref": "C1", "principle": "recognition", "commitment": "Remove gagging clauses", "status": "met"},
            {"commitment_ref": "C2", "principle": "partnership", "commitment": "Pay in advance", "status": "missed"},
            {"commitment_ref": "C3", "principle": "participation", "commitment": "Meet more", "status": "not started"}],
        "return_consultations": [
            {"consultation_ref": "K3", "title": "Six weeks, no reason", "opened_on": "2025-09-01",
             "closed_on": "2025-10-13", "response_published_on": "2026-01-05"}],
        "return_policies": [{"policy_ref": "P4", "title": "Guidance", "kind": "guidance", "impact_assessed": "No"}],
        "return_engagement": [
            {"meeting_date": "2025-11-01", "meeting_type": "forum", "organisation_id": "GB-CHC-1000002"},
            {"meeting_date": "2025-11-01", "meeting_type": "forum", "organisation_id": "360G-X-UNKNOWN"},
            {"meeting_date": "2025-12-01", "meeting_type": "forum", "organisation_id": "360G-X-UNKNOWN"}],
    })
    inbox.return_workbook("dfe_2025-26_Q1.xlsx", {
        "return_summary": summary("DFE", "2025-26", 1, "No", "Yes", "Yes", 0, 3, 8, 8, None, None, None),
        "return_commitments": [
            {"commitment_ref": "D1", "principle": "transparency", "commitment": "Publish grants", "status": "on track"}],
        "return_consultations": [
            {"consultation_ref": "K4", "title": "Twelve weeks", "opened_on": "2025-01-06", "closed_on": "2025-03-31"}],
        "return_funding_endings": [
            {"ending_ref": "E4", "recipient_org_id": "GB-CHC-1000001", "funding_ended_on": "2025-06-30",
             "notice_given_on": "2025-03-30", "written_rationale": "No"}],
        "return_policies": [{"policy_ref": "P5", "title": "A bill", "kind": "legislation", "impact_assessed": "Yes"}],
        "return_engagement": [
            {"meeting_date": "2025-05-01", "meeting_type": "workshop", "organisation_id": "GB-CHC-1000001"}],
    })

    events = []

    def issue(ref: str, body: str, principle: str, category: str, size: str, district: str, raised: str,
              resolved: str | None = None, withdrawn: str | None = None) -> None:
        base = {"issue_ref": ref, "body": body, "principle": principle, "category": category,
                "reporter_size_band": size, "reporter_district": district, "reporter_id": f"REP-{ref}",
                "summary": "confidential words"}
        events.append(base | {"event_id": f"{ref}-1", "event_type": "raised", "occurred_at": f"{raised}T09:00:00"})
        if resolved:
            events.append(base | {"event_id": f"{ref}-2", "event_type": "resolved", "occurred_at": f"{resolved}T09:00:00"})
        if withdrawn:
            events.append(base | {"event_id": f"{ref}-2", "event_type": "withdrawn", "occurred_at": f"{withdrawn}T09:00:00"})

    # five about reprisal, raised in 2025-26 Q2 from Barnsley, resolved after 10, 20, 30, 40 and 50 days
    for n, (raised, resolved) in enumerate([("2025-07-01", "2025-07-11"), ("2025-07-02", "2025-07-22"),
                                            ("2025-07-03", "2025-08-02"), ("2025-07-04", "2025-08-13"),
                                            ("2025-07-05", "2025-08-24")], start=1):
        issue(f"R{n}", "DCMS", "recognition", "reprisal or self-censorship", "small", BARNSLEY, raised, resolved)
    # five about late payment, raised in 2025-26 Q3 from Sheffield, still open (over 90 days)
    for n in range(1, 6):
        issue(f"L{n}", "DCMS", "partnership", "late payment", "medium", SHEFFIELD, f"2025-10-0{n}")
    # one withdrawn: in no indicator
    issue("W1", "DCMS", "participation", "consultation", "small", BARNSLEY, "2025-07-10", withdrawn="2025-07-20")
    # one in 2026-27: a count of 1, suppressed wherever it would show
    issue("X1", "DFE", "participation", "consultation", "micro", CARDIFF, "2026-10-01")
    inbox.issues_csv("events.csv", events)


@pytest.fixture(scope="module")
def hand(tmp_path_factory: pytest.TempPathFactory) -> Path:
    inbox = InboxFactory(tmp_path_factory.mktemp("hand") / "inbox")
    write_hand_inbox(inbox)
    warehouse = tmp_path_factory.mktemp("hand-warehouse")
    result = build(inbox.path, warehouse, as_of=AS_OF)
    assert result.published, result.message
    assert sum(f.rows_quarantined for f in result.files) == 0, result.quarantine_reasons
    return Path(result.release) / "covenant.duckdb"


def value(db: Path, indicator: str, period: str, breakdown: str = "all", code: str | None = None) -> tuple:
    """(value, numerator, denominator, lacking) of one cell."""
    rows = query(db, """select value, numerator, denominator, lacking from marts.indicator_values
                        where indicator_id = ? and period = ? and breakdown = ? and breakdown_code is not distinct from ?""",
                 [indicator, period, breakdown, code])
    assert len(rows) == 1, (indicator, period, breakdown, code, rows)
    return rows[0]


def close(actual: tuple, expected: tuple) -> bool:
    return len(actual) == len(expected) and all(
        (a is None and e is None) or (a is not None and e is not None and math.isclose(a, e, rel_tol=1e-9, abs_tol=1e-9))
        for a, e in zip(actual, expected, strict=True))


# indicator -> [(period, breakdown, code, (value, numerator, denominator, lacking))], worked out by hand
EXPECTED: dict[str, list[tuple[str, str, str | None, tuple]]] = {
    # A1 no, A2 no, A3 yes, A4 not stated | A5 yes, A6 no
    "agreements_without_advocacy_clause": [
        ("2025-26", "all", None, (200 / 3, 2, 3, 1)), ("2024-25", "all", None, (50, 1, 2, 0)),
        ("2025-26", "public_body", "DFE", (None, 0, 0, 1)), ("2025-26", "size_band", "large", (0, 0, 1, 0))],
    # sizes: A1 small, A2 medium (both smaller), A3 large, A4 unknown | A5 small, A6 large
    "awards_to_smaller_organisations": [
        ("2025-26", "all", None, (200 / 3, 2, 3, 1)), ("2024-25", "all", None, (50, 1, 2, 0)),
        ("2025-26", "district", BARNSLEY, (100, 2, 2, 0))],
    # (10k + 30k) of 100k with known size | 20k of 60k
    "funding_to_smaller_organisations": [
        ("2025-26", "all", None, (40, 40000, 100000, 1)), ("2024-25", "all", None, (100 / 3, 20000, 60000, 0)),
        ("2025-26", "region", YORKSHIRE, (40, 40000, 100000, 0))],
    # yes: A1 10k, A4 100k; no: A2 30k; A3 not stated | yes: A6 40k; no: A5 20k
    "full_cost_recovery_funding_share": [
        ("2025-26", "all", None, (110 / 140 * 100, 110000, 140000, 1)), ("2024-25", "all", None, (200 / 3, 40000, 60000, 0)),
        ("2025-26", "size_band", "small", (100, 10000, 10000, 0)), ("2025-26", "size_band", "medium", (0, 0, 30000, 0)),
        ("2025-26", "size_band", "large", (None, 0, 0, 1)), ("2025-26", "size_band", "unknown", (100, 100000, 100000, 0)),
        ("2025-26", "smaller_organisation", "smaller", (25, 10000, 40000, 0)), ("2025-26 Q1", "all", None, (100, 110000, 110000, 0))],
    # reprisal issues not withdrawn in 2025-26: 5 (Barnsley reporters); organisations funded: CHC-1, CHC-2, COH-3,
    # 360G-DFE-ORG-1 (issue figures before disclosure control: see test_issue_figures_published_by_hand)
    "reprisal_issues_per_100_funded": [
        ("2025-26", "all", None, (125, 5, 4, 0)), ("2025-26", "region", YORKSHIRE, (5 / 3 * 100, 5, 3, 0)),
        ("2025-26 Q2", "all", None, (500, 5, 1, 0)), ("2024-25", "all", None, (0, 0, 2, 0))],
    # new policies: P1 yes, P2 no, P3 yes, P4 no, P5 yes
    "policies_impact_assessed": [
        ("2025-26", "all", None, (60, 3, 5, 0)), ("2025-26", "public_body", "DCMS", (50, 2, 4, 0)),
        ("2025-26 Q1", "public_body", "DFE", (100, 1, 1, 0))],
    # durations 36, 24, 12, none | 12, 36
    "awards_two_years_or_more": [("2025-26", "all", None, (200 / 3, 2, 3, 1)), ("2024-25", "all", None, (50, 1, 2, 0))],
    "awards_three_years_or_more": [("2025-26", "all", None, (100 / 3, 1, 3, 1)), ("2024-25", "all", None, (50, 1, 2, 0)),
                                   ("2025-26", "nation", WALES, (None, 0, 0, 1))],
    # advance: yes, no, yes, not stated | no, yes
    "awards_paid_in_advance": [("2025-26", "all", None, (200 / 3, 2, 3, 1)), ("2024-25", "all", None, (50, 1, 2, 0)),
                               ("2025-26 Q3", "all", None, (100, 1, 1, 0))],
    # three months before 30 Sep is 30 Jun: E1 (15 Jun) yes, E2 (1 Aug) no, E3 (no notice) no; E4 30 Mar for 30 Jun yes
    "endings_with_three_months_notice": [
        ("2025-26", "all", None, (50, 2, 4, 0)), ("2025-26", "public_body", "DCMS", (100 / 3, 1, 3, 0)),
        ("2025-26", "public_body", "DFE", (100, 1, 1, 0))],
    # design projects: P2 early, P3 not
    "design_with_civil_society_early": [("2025-26", "all", None, (50, 1, 2, 0))],
    # DCMS Q2 15 of 20, Q3 not stated, DFE Q1 8 of 8 | DCMS 2 of 10
    "rejected_applicants_given_feedback": [("2025-26", "all", None, (23 / 28 * 100, 23, 28, 1)),
                                           ("2024-25", "all", None, (20, 2, 10, 0))],
    # by closing date: K1 (12 weeks exactly), K2 (6 weeks, reason), K3 (6 weeks, no reason) | K4 (12 weeks)
    "consultations_meeting_standard": [
        ("2025-26", "all", None, (200 / 3, 2, 3, 0)), ("2024-25", "all", None, (100, 1, 1, 0)),
        ("2025-26 Q3", "all", None, (0, 0, 1, 0)), ("2025-26 Q1", "all", None, (100, 1, 1, 0))],
    # responses: K1 yes, K2 no, K3 yes | K4 no
    "consultations_with_published_response": [("2025-26", "all", None, (200 / 3, 2, 3, 0)), ("2024-25", "all", None, (0, 0, 1, 0))],
    # engaged: CHC-1, CHC-2, COH-3 (DCMS Q2), CHC-2 and an unknown one (DCMS Q3), CHC-1 (DFE Q1)
    "organisations_engaged": [
        ("2025-26", "all", None, (4, 4, None, 0)), ("2025-26", "public_body", "DFE", (1, 1, None, 0)),
        ("2025-26 Q2", "all", None, (3, 3, None, 0)), ("2025-26", "size_band", "unknown", (1, 1, None, 0)),
        ("2025-26", "smaller_organisation", "smaller", (2, 2, None, 0)), ("2025-26", "smaller_organisation", None, (1, 1, None, 0))],
    # of CHC-1, CHC-2, COH-3 (known size) two are smaller; one organisation (the unknown one, at two meetings) lacks a size
    "organisations_engaged_smaller_share": [("2025-26", "all", None, (200 / 3, 2, 3, 1)),
                                            ("2025-26 Q2", "all", None, (200 / 3, 2, 3, 0))],
    # 2025-26: Barnsley 40k, Sheffield 60k, Cardiff 100k | 2024-25: Barnsley 20k, A6 has no place
    "funding_per_head": [
        ("2025-26", "district", BARNSLEY, (40000 / 247000, 40000, 247000, 0)),
        ("2025-26", "region", YORKSHIRE, (100000 / population(region_code=YORKSHIRE), 100000, population(region_code=YORKSHIRE), 0)),
        ("2025-26", "nation", WALES, (100000 / population(nation_code=WALES), 100000, population(nation_code=WALES), 0)),
        ("2025-26", "all", None, (200000 / population(), 200000, population(), 0)),
        ("2025-26 Q1", "all", None, (110000 / population(), 110000, population(), 0)),
        ("2024-25", "all", None, (20000 / population(), 20000, population(), 1))],
    "districts_without_awards": [
        ("2025-26", "all", None, (district_count() - 3, district_count() - 3, district_count(), 0)),
        ("2025-26", "region", YORKSHIRE, (district_count(region_code=YORKSHIRE) - 2, district_count(region_code=YORKSHIRE) - 2,
                                          district_count(region_code=YORKSHIRE), 0)),
        ("2025-26 Q2", "all", None, (district_count() - 1, district_count() - 1, district_count(), 0)),
        ("2024-25", "all", None, (district_count() - 1, district_count() - 1, district_count(), 1))],
    # declared: DCMS Q2 40k (published 30k), Q3 50k (published 60k, counted up to 50k), DFE Q1 not stated | DCMS Q4 25k, none published
    "award_value_published_360giving": [("2025-26", "all", None, (80 / 90 * 100, 80000, 90000, 1)),
                                        ("2024-25", "all", None, (0, 0, 25000, 0))],
    # A1, A2, A3 complete; A4 has a made-up id, no length, no programme | A5 complete; A6 has no place
    "grant_records_complete": [("2025-26", "all", None, (75, 3, 4, 0)), ("2024-25", "all", None, (50, 1, 2, 0))],
    "endings_with_written_rationale": [("2025-26", "all", None, (50, 2, 4, 0))],
    # DCMS Q2 9 of 10, Q3 5 of 5, DFE not stated | DCMS 3 of 4
    "foi_answered_in_time": [("2025-26", "all", None, (14 / 15 * 100, 14, 15, 1)), ("2024-25", "all", None, (75, 3, 4, 0))],
    # stocks: for the year, each body's last return in it (DCMS Q3 yes, DFE Q1 no) | DCMS Q4 no
    "action_plan_published": [("2025-26", "all", None, (50, 1, 2, 0)), ("2024-25", "all", None, (0, 0, 1, 0)),
                              ("2025-26 Q2", "all", None, (100, 1, 1, 0))],
    # DCMS Q3 minister yes, official no; DFE both | DCMS Q2 both
    "leads_named": [("2025-26", "all", None, (50, 1, 2, 0)), ("2025-26 Q2", "all", None, (100, 1, 1, 0))],
    # held 3 + 6 + 3 of committed 4 + 6 + 0 (DFE committed none: its 3 held still count) | 2024-25: 2 held, none committed
    "meetings_held_against_committed": [
        ("2025-26", "all", None, (120, 12, 10, 0)), ("2025-26", "public_body", "DCMS", (90, 9, 10, 0)),
        ("2025-26 Q1", "all", None, (None, 3, 0, 0)), ("2024-25", "all", None, (None, 2, 0, 0))],
    # year: DCMS Q3 (C1 met, C2 missed, C3 not started) and DFE Q1 (D1 on track); Q2: C1 on track, C2 at risk
    "commitments_met_or_on_track": [
        ("2025-26", "all", None, (50, 2, 4, 0)), ("2025-26 Q2", "all", None, (50, 1, 2, 0)),
        ("2025-26", "principle", "recognition", (100, 1, 1, 0)), ("2025-26", "principle", "participation", (0, 0, 1, 0))],
    # issues not withdrawn: R1-R5 (Q2, resolved in 10-50 days), L1-L5 (Q3, open); X1 in 2026-27 (before disclosure
    # control, as for every issue indicator here: see test_issue_figures_published_by_hand)
    "issues_raised": [
        ("2025-26", "all", None, (10, 10, 10, 0)), ("2025-26 Q2", "all", None, (5, 5, 5, 0)),
        ("2025-26", "region", YORKSHIRE, (10, 10, 10, 0)), ("2025-26", "category", "reprisal or self-censorship", (5, 5, 5, 0)),
        ("2025-26", "public_body", "DCMS", (10, 10, 10, 0)), ("2026-27", "all", None, (1, 1, 1, 0))],
    "issues_resolved_share": [("2025-26", "all", None, (50, 5, 10, 0)), ("2025-26 Q3", "all", None, (0, 0, 5, 0)),
                              ("2025-26", "size_band", "small", (100, 5, 5, 0))],
    "issues_median_days_to_resolve": [("2025-26", "all", None, (30, None, 5, 0)), ("2025-26 Q2", "all", None, (30, None, 5, 0))],
    # the backlog: L1-L5 (raised in Q3) are open; R1-R5 (Q2) resolved
    "issues_still_open": [("2025-26", "all", None, (5, 5, 10, 0)), ("2025-26 Q3", "all", None, (5, 5, 5, 0)),
                          ("2025-26 Q2", "all", None, (0, 0, 5, 0)), ("2025-26", "category", "late payment", (5, 5, 5, 0))],
    # L1-L5 open for more than 90 days
    "issues_unresolved_after_90_days": [("2025-26", "all", None, (50, 5, 10, 0)), ("2025-26 Q2", "all", None, (0, 0, 5, 0))],
}


def test_every_indicator_has_hand_computed_figures() -> None:
    assert set(EXPECTED) == {i.id for i in indicators()}


@pytest.mark.parametrize("indicator", sorted(EXPECTED))
def test_values_match_figures_worked_out_by_hand(hand: Path, marts: duckdb.DuckDBPyConnection, indicator: str) -> None:
    """Published values; for an issue indicator, its cells as computed before disclosure control decides what of
    them is published (tested below and in tests/test_disclosure.py)."""
    declared = {i.id: i for i in indicators()}[indicator]
    cells = indicator_build.indicator_cells(marts, declared) if declared.disclosure_controlled else None
    for period, breakdown, code, expected in EXPECTED[indicator]:
        if cells is None:
            actual = value(hand, indicator, period, breakdown, code)
        else:
            year, _, quarter = period.partition(" Q")
            rows = cells.filter((pl.col("financial_year") == year) & (pl.col("breakdown") == breakdown)
                                & (pl.col("quarter") == int(quarter) if quarter else pl.col("period_level") == "year")
                                & (pl.col("breakdown_code").is_null() if code is None else pl.col("breakdown_code") == code))
            assert rows.height == 1, (period, breakdown, code, rows)
            actual = rows.select("value", "numerator", "denominator", "lacking").row(0)
        assert close(actual, expected), (period, breakdown, code, actual, expected)


def test_issue_figures_published_by_hand(hand: Path) -> None:
    """Of the hand-made issues, what disclosure control publishes: in 2025-26, 10 raised (5 a quarter), 5 resolved and
    5 open (all late, as the open ones were raised 8 months before the data's date), which a reader may quote; the
    10 are too few to break down by body or category (each would be a group of fewer issues than parts + 5), so
    those parts are withheld. 2026-27's one issue is suppressed, and so every part of it is withheld."""
    figures = table(hand, "select * from marts.issue_figures where breakdown = 'all'")
    yearly = {(r["figure"], r["financial_year"]): (r["count"], r["status"])
              for r in figures.filter(pl.col("period_level") == "year").iter_rows(named=True)}
    assert yearly[("raised", "2025-26")] == (10, "published")
    assert yearly[("resolved", "2025-26")] == (5, "published") and yearly[("open", "2025-26")] == (5, "published")
    assert yearly[("late", "2025-26")] == (5, "published")
    assert yearly[("raised", "2026-27")] == (None, "suppressed") and yearly[("raised", "2024-25")] == (0, "published")
    quarters = {r["period"]: (r["count"], r["status"]) for r in figures.filter(
        (pl.col("period_level") == "quarter") & (pl.col("figure") == "raised")).iter_rows(named=True)}
    assert quarters["2025-26 Q2"] == (5, "published") and quarters["2025-26 Q3"] == (5, "published")
    assert quarters["2025-26 Q1"] == (0, "published")
    parts = table(hand, """select status, count(*) as n from marts.issue_figures where figure = 'raised'
                           and financial_year = '2025-26' and breakdown in ('public_body', 'category') group by status""")
    assert dict(parts.iter_rows()) == {"withheld": 195 + 9}
    assert value(hand, "issues_resolved_share", "2025-26") == (50, 5, 10, None)
    assert value(hand, "issues_raised", "2026-27")[:3] == (None, None, None)


@pytest.fixture(scope="module")
def hand_without_low_bases(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The hand-made data built with a low base of 1 thing (every hand figure rests on fewer than 10), so RAG and
    changes can be checked against thresholds."""
    inbox = InboxFactory(tmp_path_factory.mktemp("hand-1") / "inbox")
    write_hand_inbox(inbox)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(indicator_build, "SMALL_BASE", 1)
        result = build(inbox.path, tmp_path_factory.mktemp("hand-1-warehouse"), as_of=AS_OF)
    assert result.published, result.message
    return Path(result.release) / "covenant.duckdb"


def test_changes_since_the_previous_period_and_the_baseline(hand_without_low_bases: Path) -> None:
    hand = hand_without_low_bases
    rows = query(hand, """select period, change_since_previous, baseline_value, change_since_baseline, rag
                          from marts.indicator_values where indicator_id = 'full_cost_recovery_funding_share'
                          and breakdown = 'all' and period_level = 'year' order by period""")
    (base, *_), (year, previous_change, baseline, baseline_change, rag) = rows
    assert base == "2024-25" and year == "2025-26"
    assert math.isclose(previous_change, 110 / 140 * 100 - 200 / 3)
    assert math.isclose(baseline, 200 / 3) and math.isclose(baseline_change, previous_change)
    assert rag == "amber"  # 78.6%: amber from 75%, green from 90%
    # a quarter compares with the quarter before it, when there is one
    quarters = dict(query(hand, """select period, change_since_previous from marts.indicator_values
                                   where indicator_id = 'awards_paid_in_advance' and breakdown = 'all' and period_level = 'quarter'"""))
    assert quarters["2025-26 Q2"] == -100  # Q1: A1 yes (100%); Q2: A2 no (0%)
    assert quarters["2025-26 Q3"] == 100 and quarters["2024-25 Q2"] is None  # 2024-25 Q1 had no award


def test_rag_follows_the_direction_and_thresholds(hand_without_low_bases: Path) -> None:
    rag = dict(query(hand_without_low_bases, """select indicator_id, rag from marts.indicator_values
                                                where period = '2025-26' and breakdown = 'all'"""))
    assert rag["foi_answered_in_time"] == "green"  # 93.3% >= 90
    assert rag["meetings_held_against_committed"] == "green"  # 120% >= 90
    assert rag["endings_with_three_months_notice"] == "red"  # 50% < 75
    assert rag["issues_raised"] is None  # no threshold


def test_a_figure_on_a_low_base_has_no_rag_and_its_change_is_marked(hand: Path) -> None:
    """Every hand figure rests on fewer than 10 things in its base: 15 FOI requests is not low; 3 awards, 4 endings,
    £140,000 over 3 awards (a share of money rests on its records with the field, not the 4th) are."""
    rows = {r[0]: r[1:] for r in query(hand, """select indicator_id, low_base, rag, change_low_base, records, denominator
                                                from marts.indicator_values where period = '2025-26' and breakdown = 'all'""")}
    assert rows["foi_answered_in_time"][:2] == (False, "green")  # 14 of 15 requests
    assert rows["endings_with_three_months_notice"][:2] == (True, None)  # 2 of 4 endings: red on thresholds alone
    assert rows["full_cost_recovery_funding_share"][:2] == (True, None) and rows["full_cost_recovery_funding_share"][3] == 4
    assert rows["full_cost_recovery_funding_share"][2] is True  # 3 awards now, 2 the year before
    assert rows["issues_raised"][0] is False  # a count has no base
    assert rows["organisations_engaged_smaller_share"][0] is True  # 3 organisations of known income


def test_period_completeness_and_names(hand: Path) -> None:
    rows = dict(query(hand, """select period, period_complete from marts.indicator_values
                               where indicator_id = 'issues_raised' and breakdown = 'all'"""))
    assert {p: rows[p] for p in ("2025-26", "2025-26 Q2", "2025-26 Q3", "2026-27", "2026-27 Q3")} == {
        "2025-26": True, "2025-26 Q2": True, "2025-26 Q3": True, "2026-27": False, "2026-27 Q3": False}
    assert "2026-27 Q4" not in rows  # a quarter not begun by the data's date
    names = dict(query(hand, """select breakdown_code, breakdown_name from marts.indicator_values
                                where indicator_id = 'full_cost_recovery_funding_share' and period = '2025-26'
                                and breakdown in ('public_body', 'size_band', 'smaller_organisation', 'district')"""))
    assert names["DCMS"] == "Department for Culture, Media and Sport"
    assert names["small"] == "Small (£10k to £100k)"
    assert names["smaller"] == "Smaller organisations (income £500,000 and under)"
    assert names[CARDIFF] == "Cardiff"


def test_a_count_of_one_is_suppressed_wherever_it_would_show(hand: Path) -> None:
    rows = table(hand, """select indicator_id, period, breakdown, breakdown_code, value, numerator, denominator, lacking, suppressed
                          from marts.indicator_values where financial_year = '2026-27' and indicator_id like 'issues%'""")
    assert rows.height > 0 and rows["suppressed"].sum() > rows.height / 2
    shown = rows.select(pl.concat_list("value", "numerator", "denominator").alias("figures"))["figures"].explode().drop_nulls()
    assert shown.is_in([1.0, 2.0, 3.0, 4.0]).sum() == 0  # no published figure is the one issue, or any count from 1 to 4
    assert rows["lacking"].null_count() == rows.height
    assert query(hand, "select count(*) from marts.indicator_values where suppressed and not list_contains(?, indicator_id)",
                 [[i.id for i in indicators() if i.disclosure_controlled]]) == [(0,)]


def test_the_indicators_table_holds_every_declaration(hand: Path) -> None:
    rows = table(hand, "select * from marts.indicators order by sort_order")
    assert rows["indicator_id"].to_list() == [i.id for i in indicators()]
    assert rows.select("name", "definition", "formula", "basis", "unit", "needs").null_count().row(0) == (0,) * 6
    assert set(rows["principle"]) == {"recognition", "partnership", "participation", "transparency", "accountability"}
    assert rows.filter(rows["disclosure_controlled"])["indicator_id"].to_list() == [
        i.id for i in indicators() if "issues" in i.sources]


def test_the_published_warehouse_holds_no_row_level_issue_data(hand: Path) -> None:
    columns = query(hand, "select distinct table_schema || '.' || table_name from information_schema.columns where column_name in ('issue_ref', 'event_id')")
    assert columns == []
    private = query(restricted(hand), "select count(*) from marts_issues")
    assert private == [(12,)]  # R1-R5, L1-L5, W1, X1


# --- the registry ------------------------------------------------------------------------------------------------


def test_every_declaration_is_complete() -> None:
    found = indicators()
    assert len(found) >= 22
    assert len({i.id for i in found}) == len(found)
    for indicator in found:
        assert indicator.name and indicator.definition and indicator.basis and indicator.needs and indicator.unit, indicator.id
        assert set(indicator.breakdowns) <= set(BREAKDOWNS) and "all" in indicator.breakdowns
        assert (indicator.rag_green is None) == (indicator.rag_amber is None)
    principles = {i.principle for i in found}
    assert principles == {"recognition", "partnership", "participation", "transparency", "accountability"}
    assert {i.principle for i in found if i.headline} == principles  # every principle has a headline figure


def test_every_role_on_a_page_is_declared_by_indicators_that_fit_it_in_places_1_2_and_so_on() -> None:
    found = {i.id: i for i in indicators()}
    for page, roles in PAGE_ROLES.items():
        assert (Path(__file__).parents[1] / "dashboard" / "app_pages" / f"{page}.py").exists(), page
        for role in roles:
            places = sorted(place for i in found.values() for p, r, place in i.pages if (p, r) == (page, role))
            assert places == list(range(1, len(places) + 1)) and places, (page, role)  # each place once, none missing
            if role.startswith("by_"):  # a chart by a breakdown the indicator is given by
                assert all(role.removeprefix("by_") in found[i].breakdowns for i in shown_on(page, role)), (page, role)
    assert all(found[i].disclosure_controlled for role in PAGE_ROLES["issues"] for i in shown_on("issues", role))
    assert set(shown_on("issues", "trend")) <= set(shown_on("issues", "headline"))
    assert [found[i].issue_figures for i in shown_on("issues", "backlog")] == [(("denominator", "raised"), ("numerator", "open"))]
    assert not any(found[i].disclosure_controlled for role in PAGE_ROLES["organisation_size"] for i in shown_on("organisation_size", role))
    [map_opens_on] = shown_on("localities", "map")  # one of those the map offers: by region, not issue figures
    assert "region" in found[map_opens_on].breakdowns and not found[map_opens_on].disclosure_controlled
    [leads] = shown_on("public_bodies", "leads")  # read among the indicators given by public body
    assert "public_body" in found[leads].breakdowns and set(found[leads].applies_to) < set(body_type_scopes())  # not an ICB
    with pytest.raises(KeyError, match="no role 'trend' on page 'localities'"):
        shown_on("localities", "trend")


@pytest.mark.parametrize("pages", ["{overview: {headline: 1}}", "{issues: {sidebar: 1}}", "{issues: {headline: 0}}",
                                   "{issues: {headline: true}}", "{issues: [headline]}", "[issues]"])
def test_a_page_or_role_not_in_page_roles_or_a_place_not_from_1_is_refused(tmp_path: Path, pages: str) -> None:
    original = Path(__file__).parents[1] / "warehouse" / "indicators" / "issues_raised.sql"
    wrong = tmp_path / original.name
    wrong.write_text("\n".join(f"-- pages: {pages}" if line.startswith("-- pages:") else line
                               for line in original.read_text().splitlines()))
    with pytest.raises(DeclarationError, match="issues_raised.sql: field 'pages' is .*; expected {<page>: {<role>: <place from 1>}}"):
        parse(wrong)
    assert parse(original).pages[:2] == (("issues", "headline", 1), ("issues", "trend", 1))


@pytest.fixture(scope="module")
def marts(hand: Path, tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    """The hand-built marts with the row-level issues put back (as at build time, before they are restricted)."""
    copy = tmp_path_factory.mktemp("marts") / "published.duckdb"
    copy.write_bytes(hand.read_bytes())
    con = duckdb.connect(str(copy))
    con.execute("attach ? as private (read_only)", [str(restricted(hand))])
    con.execute("create table marts.issues as select * from private.marts_issues")
    yield con
    con.close()


@pytest.mark.parametrize("indicator", indicators(), ids=lambda i: i.id)
def test_every_formula_runs_and_returns_only_record_columns(marts: duckdb.DuckDBPyConnection, indicator) -> None:
    relation = marts.sql(indicator.formula)
    columns = relation.columns
    assert set(columns) <= set(RECORD_COLUMNS), set(columns) - set(RECORD_COLUMNS)
    assert "financial_year" in columns and ("numerator" in columns or "measure" in columns)
    for breakdown in indicator.breakdowns:
        column = BREAKDOWNS[breakdown][0]
        assert column is None or column in columns, (indicator.id, breakdown)
    assert ("issue_ref" in columns) == indicator.disclosure_controlled
    assert marts.execute(f"select count(*) from ({indicator.formula})").fetchone()[0] > 0


def test_a_declaration_missing_a_field_is_refused_naming_the_file_and_field(tmp_path: Path) -> None:
    original = Path(__file__).parents[1] / "warehouse" / "indicators" / "foi_answered_in_time.sql"
    broken = tmp_path / original.name
    broken.write_text("\n".join(line for line in original.read_text().splitlines() if not line.startswith("-- unit:")))
    with pytest.raises(DeclarationError, match=rf"{original.name}: field 'unit' is missing"):
        parse(broken)
    wrong = tmp_path / original.name
    wrong.write_text(original.read_text().replace("-- direction: higher", "-- direction: upwards"))
    with pytest.raises(DeclarationError, match="field 'direction' is 'upwards'; expected one of higher, lower, none"):
        parse(wrong)


@pytest.mark.build
def test_an_indicator_counts_only_the_types_of_body_it_applies_to(tmp_path: Path) -> None:
    """Consultations meeting the 12-week standard apply to central government only: a council's consultations are
    not counted and it has no figure; leads named do not apply to an integrated care board (neither a minister nor
    elected members), but do to a council (its elected member lead)."""
    inbox = InboxFactory(tmp_path / "inbox")

    def summary(body: str, minister: str) -> dict:
        return {"body_code": body, "financial_year": "2025-26", "quarter": 2, "action_plan_published": "Yes",
                "ministerial_lead_named": minister, "senior_official_lead_named": "Yes", "meetings_committed": 2,
                "meetings_held": 2}

    six_weeks = {"title": "Six weeks, no reason", "opened_on": "2025-07-01", "closed_on": "2025-08-12"}
    inbox.return_workbook("dcms.xlsx", {"return_summary": [summary("DCMS", "Yes")], "return_consultations": [
        {"consultation_ref": "K1", "title": "Twelve weeks", "opened_on": "2025-04-01", "closed_on": "2025-06-24"}]})
    inbox.return_workbook("council.xlsx", {"return_summary": [summary("LA-MIDDLESBROUGH", "No")],
                                           "return_consultations": [{"consultation_ref": "K2"} | six_weeks]})
    inbox.return_workbook("icb.xlsx", {"return_summary": [summary("ICB-NENC", "No")]})
    result = build(inbox.path, tmp_path / "warehouse", as_of=AS_OF)
    assert result.published, result.message
    db = Path(result.release) / "covenant.duckdb"
    assert value(db, "consultations_meeting_standard", "2025-26")[:3] == (100, 1, 1)  # DCMS's alone
    assert query(db, """select count(*) from marts.indicator_values where indicator_id = 'consultations_meeting_standard'
                        and breakdown_code in ('LA-MIDDLESBROUGH', 'local_authority')""") == [(0,)]
    assert value(db, "leads_named", "2025-26")[:3] == (50, 1, 2)  # DCMS yes, the council no; not the ICB
    applies = dict(query(db, "select indicator_id, applies_to from marts.indicators"))
    assert "integrated_care_board" not in applies["leads_named"] and "local_authority" in applies["leads_named"]
    assert len(applies["foi_answered_in_time"]) == 8  # every type


def test_years_are_added_up_together_up_to_a_number_of_records() -> None:
    years = [("2023-24", 5), ("2024-25", 4), ("2025-26", 2), ("2026-27", 20), ("2027-28", 1)]
    assert indicator_build.year_batches(years, 10) == [["2023-24", "2024-25"], ["2025-26"], ["2026-27"], ["2027-28"]]
    assert indicator_build.year_batches(years, 100) == [["2023-24", "2024-25", "2025-26", "2026-27", "2027-28"]]
    assert indicator_build.year_batches(years, 1) == [[year] for year, _ in years]
    assert indicator_build.year_batches([], 10) == []


def test_facts_added_up_a_year_at_a_time_or_all_years_at_once_are_the_same(marts: duckdb.DuckDBPyConnection,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    columns = "* exclude (measures), list_sort(measures) as measures"
    facts = {}
    for most in (1, 10**9):
        monkeypatch.setattr(indicator_build, "FACTS_BATCH_RECORDS", most)
        marts.execute(indicator_build.facts_ddl("batch_facts"))  # a temporary table, made anew
        for indicator in indicators():
            indicator_build.add_facts(marts, indicator, "batch_facts")
        facts[most] = marts.sql(f"select {columns} from batch_facts order by all").fetchall()
    years = marts.execute("select count(distinct financial_year) from marts.awards").fetchone()[0]
    assert years > 1 and len(facts[1]) > 100
    assert facts[1] == facts[10**9]

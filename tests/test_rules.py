"""A source's rules through the seam (etl.staging.staged): one folder of a tiny inbox read, normalised and validated
as a build does, in memory, with no marts, indicators or release. Unit tier: nothing is built."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import AS_OF, InboxFactory, grant

from etl.staging import staged


def test_bad_grants_are_quarantined_by_line_with_the_field_named_and_the_rest_staged(tmp_path: Path) -> None:
    inbox = InboxFactory(tmp_path / "inbox")
    inbox.funding_csv("bad_rows.csv", [
        grant("360G-T-10", amount_awarded=None),
        grant("360G-T-11", amount_awarded="-5"),
        grant("360G-T-12", amount_awarded="abc"),
        grant("360G-T-13", award_date="2027-01-01"),
        grant("360G-T-14", amount_awarded="£1,234.50", award_date="01/06/2025"),
    ])
    found = staged(inbox.path, "funding", AS_OF)
    problems = {row["source_row"]: row["problem"] for row in found.quarantine.to_dicts()}
    assert sorted(problems) == [2, 3, 4, 5]
    assert problems[2].startswith("Amount Awarded:") and "missing" in problems[2]
    assert problems[3].startswith("Amount Awarded:") and "'-5" in problems[3]
    assert problems[4] == "Amount Awarded: 'abc' is not a number"
    assert problems[5].startswith("Award Date:") and "2027-01-01" in problems[5] and "future" in problems[5]
    (kept,) = found.rows("grants")
    assert (kept["grant_id"], kept["source_row"], kept["amount_awarded"], kept["award_date"].isoformat()) == (
        "360G-T-14", 6, 1234.5, "2025-06-01")
    assert kept["repairs"] == "award date read as DD/MM/YYYY; amount read from £ and thousands separators"
    failed = found.validations.filter(~found.validations["success"])  # the contract's checks, in Great Expectations
    assert sorted(failed.select("column_name", "rule").rows()) == [
        ("amount_awarded", "missing (required)"), ("amount_awarded", "out of range (expected 0.0 to 1000000000.0)")]
    (file,) = found.result.files
    assert (file.path, file.rows_read, file.rows_loaded, file.rows_quarantined) == ("funding/bad_rows.csv", 5, 1, 4)


def test_a_record_in_a_later_file_supersedes_the_earlier_and_a_repeat_in_one_file_is_a_duplicate(tmp_path: Path) -> None:
    inbox = InboxFactory(tmp_path / "inbox")
    inbox.funding_csv("a_first.csv", [grant("360G-T-1"), grant("360G-T-2"), grant("360G-T-2", amount_awarded="7")])
    inbox.funding_csv("b_correction.csv", [grant("360G-T-1", amount_awarded="6000")])
    found = staged(inbox.path, "funding", AS_OF)
    assert {(r["grant_id"], r["source_file"], r["source_row"], r["amount_awarded"]) for r in found.rows("grants")} == {
        ("360G-T-1", "funding/b_correction.csv", 2, 6000.0), ("360G-T-2", "funding/a_first.csv", 3, 5000.0)}
    assert sorted((r["source_row"], r["problem"]) for r in found.quarantine.to_dicts()) == [
        (2, "grant_id: superseded by funding/b_correction.csv line 2"),
        (4, "grant_id: duplicate of line 3 in the same file")]


def test_an_issue_event_naming_an_unknown_body_is_quarantined_without_its_confidential_fields(tmp_path: Path) -> None:
    inbox = InboxFactory(tmp_path / "inbox")
    event = {"issue_ref": "ISS-1", "principle": "partnership", "category": "late payment", "reporter_size_band": "small",
             "reporter_district": "E08000016", "reporter_id": "REP-SECRET-1", "summary": "Our funder threatened us"}
    inbox.issues_csv("events.csv", [
        event | {"event_id": "ISS-1-E1", "event_type": "raised", "occurred_at": "2025-08-01T10:00:00", "body": "DCMS"},
        event | {"event_id": "ISS-2-E1", "issue_ref": "ISS-2", "event_type": "raised", "occurred_at": "2025-08-02T10:00:00",
                 "body": "Department of Unknown Affairs"},
    ])
    found = staged(inbox.path, "issues", AS_OF)
    assert [(r["event_id"], r["body_code"]) for r in found.rows("issue_events")] == [("ISS-1-E1", "DCMS")]
    assert [(r["source_row"], r["problem"]) for r in found.quarantine.to_dicts()] == [
        (3, "body: the value is not a public body in the reference; expected a code, name or alias of one")]
    staged_columns = set(found.staging["issue_events"].columns)
    assert not staged_columns & {"reporter_id", "summary"}
    assert "REP-SECRET" not in found.quarantine["record"][0] and "threatened" not in found.quarantine["record"][0]


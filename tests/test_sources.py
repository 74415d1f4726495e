"""The sources are declared once, each in its own module (`SOURCE`), and everything else is derived from those
declarations: every declaration is complete, and every data contract belongs to exactly one source or the lookups."""

from __future__ import annotations

import inspect

import pytest

from data_contracts import CONTRACT_IDS, load_contract
from etl.sources import CONFIDENTIAL_DATASETS, CONTRACTS, INBOX_FOLDERS, LOOKUPS, SOURCES, source
from etl.sources.source import Source


def test_every_contract_is_one_sources_and_every_source_has_a_contract():
    assert sorted(CONTRACTS) == sorted(CONTRACT_IDS) and len(set(CONTRACTS)) == len(CONTRACTS)
    assert len(set(INBOX_FOLDERS)) == len(INBOX_FOLDERS) and INBOX_FOLDERS[-1] == LOOKUPS.folder
    assert [s.position for s in SOURCES] == sorted({s.position for s in SOURCES})  # ordered, no two in one place


@pytest.mark.parametrize("declared", SOURCES, ids=lambda s: s.folder)
def test_every_source_declaration_is_complete(declared: Source):
    datasets = {d.name for d in load_contract(declared.contract).datasets}
    assert declared.folder and declared.title and declared.suffixes
    assert all(suffix.startswith(".") and suffix == suffix.lower() for suffix in declared.suffixes)
    assert callable(declared.read) and len(inspect.signature(declared.read).parameters) == 2
    assert callable(declared.normalise) and len(inspect.signature(declared.normalise).parameters) == 2
    assert set(declared.key) <= datasets and all(declared.key.values())  # a key for datasets of its own contract
    assert declared.governing_dataset in datasets | {None}
    assert declared.extra_column in ("extra_fields", "source_sheet", None)
    assert source(declared.folder) is declared
    # a confidential source's datasets are the ones no message quotes; a public one's are not among them
    assert (datasets <= CONFIDENTIAL_DATASETS) if declared.confidential else not (datasets & CONFIDENTIAL_DATASETS)


def test_the_declared_sources_are_the_ones_the_project_has():
    """What the declarations give today, so that a change to them is seen (not a rule about them)."""
    assert [(s.folder, s.contract, s.confidential) for s in SOURCES] == [
        ("organisations", "organisations", False), ("funding", "funding", False), ("returns", "returns", False),
        ("issues", "issue_events", True)]
    assert (LOOKUPS.folder, LOOKUPS.contract) == ("reference", "reference_lookups")

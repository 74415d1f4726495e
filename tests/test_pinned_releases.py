"""Links that pin a release (`?release=<load id>`) and the citation every page offers (#19): a figure quoted in a
briefing stays the figure its link shows, with a notice when a newer release exists; a release not kept is said."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from streamlit.testing.v1 import AppTest

from dashboard import layout
from etl.build import build
from etl.cli import main
from etl.warehouse_files import current_release, kept_release, kept_releases, releases_dir
from tests.conftest import AS_OF, grant

APP = str(Path(__file__).resolve().parent.parent / "dashboard" / "app.py")
PAGE_COUNT = len(list((Path(APP).parent / "app_pages").glob("*.py")))  # the menu links to every page


@pytest.fixture(scope="module")
def two_releases(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    """A warehouse built twice: first from one funder's file of two grants, then with a second file of three more."""
    from tests.conftest import InboxFactory

    inbox = InboxFactory(tmp_path_factory.mktemp("pinned") / "inbox")
    inbox.funding_csv("first.csv", [grant("360G-PIN-1"), grant("360G-PIN-2")])
    warehouse = tmp_path_factory.mktemp("pinned-warehouse")
    first = build(inbox.path, warehouse, as_of=AS_OF)
    inbox.funding_csv("second.csv", [grant("360G-PIN-3"), grant("360G-PIN-4"), grant("360G-PIN-5")])
    second = build(inbox.path, warehouse, as_of=AS_OF)
    assert first.published and second.published and first.load_id != second.load_id
    return warehouse, first.load_id, second.load_id


def data_status(at: AppTest) -> str:
    return next(c.value for c in at.caption if c.value.startswith("Data loaded"))


def opened(warehouse: Path, monkeypatch: pytest.MonkeyPatch, page: str = "app_pages/overview.py", **params: str) -> AppTest:
    monkeypatch.setenv("COVENANT_WAREHOUSE", str(warehouse))
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    if page != "app_pages/overview.py":
        at.switch_page(page).run()
    assert not at.exception
    return at


def test_a_link_to_the_first_release_shows_its_figures_with_a_notice(two_releases, monkeypatch) -> None:
    warehouse, first, second = two_releases
    latest = opened(warehouse, monkeypatch)
    assert "from 2 files: 5 rows loaded" in data_status(latest)
    assert not latest.info and not latest.warning
    pinned = opened(warehouse, monkeypatch, release=first)
    assert "from 1 file: 2 rows loaded" in data_status(pinned)  # the first release's figures, not the latest's
    (notice,) = [i.value for i in pinned.info if "pins the release" in i.value]
    assert f"({first})" in notice and "A newer release was published" in notice
    assert "[open this view in the latest release](./?" in notice and "release=" not in notice.split("](")[1]
    # the pages' links keep the release pinned
    links = [link.proto.query_string for link in pinned.get("page_link")]
    assert len(links) == PAGE_COUNT and all(f"release={first}" in q for q in links)
    # pinned to the latest: said, with no notice of a newer one
    same = opened(warehouse, monkeypatch, release=second)
    assert not same.info and any(f"({second}), which is the latest" in c.value for c in same.caption)


@pytest.mark.parametrize("asked", ["20200101T000000000000Z", "../../etc", "latest", "2026<script>"])
def test_a_release_not_kept_is_said_and_the_latest_shown(two_releases, monkeypatch, asked: str) -> None:
    warehouse, _, _ = two_releases
    at = opened(warehouse, monkeypatch, release=asked)
    assert "from 2 files: 5 rows loaded" in data_status(at)
    (warning,) = [w.value for w in at.warning]
    assert warning.startswith("This link names the release '") and "which is not kept here" in warning
    assert "<script>" not in warning  # escaped for markdown, never markup


def test_only_a_published_release_still_kept_can_be_pinned(two_releases, tmp_path: Path) -> None:
    warehouse, first, second = two_releases
    assert kept_release(warehouse, first) == releases_dir(warehouse) / first
    assert [r.name for r in kept_releases(warehouse)] == [first, second]
    assert current_release(warehouse).name == second
    for asked in (None, "", "..", f"../{first}", first + "/", first.lower(), "20200101T000000000000Z"):
        assert kept_release(warehouse, asked) is None
    # a finished release never recorded as published (a build killed before it switched `current`) is not offered
    unpublished = releases_dir(warehouse) / "29991231T000000000000Z"
    unpublished.mkdir()
    (unpublished / "covenant.duckdb").write_bytes((releases_dir(warehouse) / first / "covenant.duckdb").read_bytes())
    try:
        assert kept_release(warehouse, unpublished.name) is None
    finally:
        (unpublished / "covenant.duckdb").unlink()
        unpublished.rmdir()


def test_status_lists_the_releases_kept(two_releases) -> None:
    warehouse, first, second = two_releases
    result = CliRunner().invoke(main, ["status", "--warehouse", str(warehouse), "--json"])
    kept = json.loads(result.output)["releases"]
    assert [(k["load_id"], k["current"]) for k in kept] == [(first, False), (second, True)]
    text = CliRunner().invoke(main, ["status", "--warehouse", str(warehouse)]).output
    assert f"  {first}  built " in text and f"  {second}  built " in text and text.count("(published now)") == 1


def test_the_citation_names_the_page_filters_release_date_and_pinned_link() -> None:
    pinning = {"release": "20261207T021500123456Z", "release_built_at": "2026-12-07T02:15:00+00:00"}
    said = layout.citation("Public bodies", "Department for Culture, Media and Sport, 2025-26",
                           "http://localhost:8501/public-bodies?body=DCMS&release=20261207T021500123456Z", pinning,
                           dt.date(2026, 12, 9))
    assert said == ("Civil Society Covenant dashboard, “Public bodies: Department for Culture, Media and Sport, 2025-26”, "
                    "release 20261207T021500123456Z published 7 December 2026 at 02:15. Retrieved 9 December 2026 from "
                    "http://localhost:8501/public-bodies?body=DCMS&release=20261207T021500123456Z")
    summer = layout.citation("Overview", None, "http://x/", {"release": "r", "release_built_at": "2026-06-01T09:00:00+00:00"},
                             dt.date(2026, 6, 2))
    assert "“Overview”" in summer and "published 1 June 2026 at 10:00" in summer  # UK time: BST in June


def test_every_page_offers_a_citation_pinned_to_its_release(two_releases, monkeypatch) -> None:
    warehouse, _, second = two_releases
    at = opened(warehouse, monkeypatch, page="app_pages/organisation_size.py", size="small")
    (cite,) = [e for e in at.expander if e.label == "Cite this page"]
    (text,) = [c.value for c in cite.code]
    assert text.startswith("Civil Society Covenant dashboard, “Organisation size: Small (£10k to £100k), ")
    assert f"release {second} published " in text and f"release={second}" in text and "size=small" in text

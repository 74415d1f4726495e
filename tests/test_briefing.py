"""Briefing packs: `covenant briefing` writes a PDF whose figures are the ones the pages show, with its release, its
date, a link that reopens the view and a citation; a place's pack never shows another level's figures."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from pypdf import PdfReader
from streamlit.testing.v1 import AppTest

from dashboard import briefing
from dashboard.layout import published_on
from etl.warehouse_files import release_manifest
from etl.cli import main
from tests.conftest import query

APP = str(Path(__file__).resolve().parent.parent / "dashboard" / "app.py")


def pdf_text(data: bytes) -> tuple[int, str]:
    """A PDF's page count and its text, with every run of white space made one space."""
    reader = PdfReader(io.BytesIO(data))
    return len(reader.pages), " ".join(" ".join(page.extract_text() or "" for page in reader.pages).split())


@pytest.fixture(scope="module")
def dcms_pack(built_warehouse, tmp_path_factory) -> tuple[int, str]:
    out = tmp_path_factory.mktemp("briefing") / "dcms.pdf"
    with pytest.MonkeyPatch.context() as patch:  # the command sets the warehouse for the dashboard's query layer
        patch.setenv("COVENANT_WAREHOUSE", str(built_warehouse.path))
        result = CliRunner().invoke(main, ["briefing", "--warehouse", str(built_warehouse.path), "--body", "DCMS",
                                           "--url", "https://covenant.example.gov.uk", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert f"Wrote the briefing pack to {out}" in result.output
    return pdf_text(out.read_bytes())


def loose(words: str) -> str:
    """A pattern for `words` however the PDF's table cells wrap them (at a space, or after a hyphen)."""
    return r"\s+".join(re.escape(word).replace("\\-", "-\\s?") for word in words.split())


def test_a_body_pack_holds_every_percentage_the_public_bodies_page_shows_for_it(built_warehouse, dcms_pack, monkeypatch):
    monkeypatch.setenv("COVENANT_WAREHOUSE", str(built_warehouse.path))
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["body"] = "DCMS"
    at.run()
    at.switch_page("app_pages/public_bodies.py").run()
    assert not at.exception
    peers_chart = json.loads(at.get("plotly_chart")[0].proto.spec)
    # DCMS's and its peers' median, as drawn (a low base marked †, as the pack marks its row)
    shown = [text.removesuffix(" †") for trace in peers_chart["data"] for text in trace["text"]]
    assert len(shown) >= 20 and all(text.endswith("%") for text in shown)
    pages, text = dcms_pack
    missing = [t for t in shown if t not in text]
    assert not missing
    # each value and its peers' median stand in the indicator's own row of the pack's tables, as in the page's chart
    values, medians = peers_chart["data"]
    for indicator, value, median in zip(values["y"], [v.removesuffix(" †") for v in values["text"]], medians["text"], strict=True):
        row = re.search(loose(indicator) + r"(?:\s†)?\s" + loose(value) + r"\s(.{0,60}?)\s" + loose(median) + r"\s", text, re.S)
        assert row, (indicator, value, median)
    # the same count of percentages ahead of the peers as the page's summary
    page_summary = next(m.value for m in at.markdown if "did better than the median of its peers" in m.value)
    ahead, of = re.search(r"on (\d+) of (\d+) percentages", page_summary).groups()
    assert f"did better than the median of the ministerial departments on {ahead} of {of} percentages" in text
    assert pages >= 5


def test_a_body_pack_names_its_release_its_date_the_link_and_how_to_cite_it(built_warehouse, dcms_pack):
    pages, text = dcms_pack
    release = built_warehouse.result.load_id
    published = published_on(release_manifest(built_warehouse.path / "releases" / release)["built_at"])
    assert re.fullmatch(r"\d{1,2} [A-Z][a-z]+ 20\d\d at \d\d:\d\d", published)
    assert f"Release: {release}, published {published}" in text
    assert f"page 1 of {pages}".lower() in text.lower()
    link = f"https://covenant.example.gov.uk/public-bodies?body=DCMS&release={release}"
    assert link in text.replace(" ", "")
    assert "How to cite this briefing" in text and "Civil Society Covenant dashboard, “Public bodies:" in text
    for part in ("Headline figures", "Recognition and value", "Partnership and collaboration", "Caveats",
                 "Definitions and sources", "Median of its peers", "Rank among ministerial departments"):
        assert part in text


def test_a_place_pack_leaves_out_what_is_not_published_for_its_level(built_warehouse, monkeypatch, tmp_path):
    monkeypatch.setenv("COVENANT_WAREHOUSE", str(built_warehouse.path))
    (code, name), = query(built_warehouse.database, """select code, name from marts.breakdown_names
        where breakdown = 'district' order by code limit 1""")
    out = tmp_path / "place.pdf"
    result = CliRunner().invoke(main, ["briefing", "--warehouse", str(built_warehouse.path), "--place", code,
                                       "--year", "2025-26", "--out", str(out)])
    assert result.exit_code == 0, result.output
    _, text = pdf_text(out.read_bytes())
    assert name in text and "Rank among districts" in text
    assert "Not published by district, so left out:" in text and "Issues resolved" not in text.split("Caveats")[0]
    assert f"localities?district={code}&from=2025-26+Q1&to=2025-26+Q4&release=" in text.replace(" ", "")


@pytest.mark.parametrize("arguments, message", [
    (["--body", "NOPE"], "The published data has no public body 'NOPE'"),
    (["--place", "E99999999"], "The published data has no place with the code 'E99999999'"),
    (["--body", "DCMS", "--principle", "recognition"], "A briefing is on one public body, one principle or one place"),
    (["--body", "DCMS", "--year", "2031-32"], "The published data has no financial year '2031-32'"),
    (["--body", "DCMS", "--release", "20990101T000000000000Z"], "is not kept in"),
])
def test_a_pack_on_something_the_data_does_not_have_is_refused_with_a_message(built_warehouse, monkeypatch, tmp_path,
                                                                             arguments, message):
    monkeypatch.setenv("COVENANT_WAREHOUSE", str(built_warehouse.path))
    out = tmp_path / "x.pdf"
    result = CliRunner().invoke(main, ["briefing", "--warehouse", str(built_warehouse.path), *arguments, "--out", str(out)])
    assert result.exit_code == 1 and message in result.output, result.output
    assert not out.exists()


def test_the_packs_html_escapes_every_value():
    row = {"name": "<img src=x onerror=alert(1)>", "shown": "50.0%", "base_words": "1 of 2", "unit": "percent",
           "change_since_previous": None, "change_since_baseline": None, "peer_shown": "–", "rank_words": "–",
           "rag": None, "low_base": True, "direction": "higher", "rag_green": 90.0, "rag_amber": 75.0}
    pack = briefing.Briefing("<b>Body</b>", "Public body", "x", "2025-26", "2024-25", "2024-25", "public bodies", [row],
                             [briefing.Section("Recognition", [row])], ["<script>alert(1)</script>"], [], "r1",
                             "7 December 2026", "https://x/?a=1&b=<2>", "cite <me>")
    document = briefing.document(pack)
    for raw in ("<img src=x", "<b>Body</b>", "<script>alert", "b=<2>", "cite <me>"):
        assert raw not in document
    assert "&lt;img src=x onerror=alert(1)&gt; †" in document and "&lt;b&gt;Body&lt;/b&gt;" in document
    assert "None (low base)" in document  # a low base has no RAG, and says why


def test_each_figures_base_is_given_in_its_own_terms():
    words = briefing._base_words
    assert words({"unit": "percent", "numerator": 38, "denominator": 92}) == "38 of 92"
    assert words({"unit": "percent of value", "numerator": 1_900_000, "denominator": 3_800_000}) == "£1.9m of £3.8m"
    assert words({"unit": "per 100 organisations", "numerator": 3, "denominator": 250}) == "3 over 250"
    assert words({"unit": "issues", "numerator": 0, "denominator": 0}) == "–"  # a count is its own base
    assert words({"unit": "days", "numerator": 12, "denominator": 7}) == "–"
    assert words({"unit": "percent", "numerator": 1, "denominator": 2, "suppressed": True}) == "[c]"

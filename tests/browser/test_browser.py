"""End-to-end in a real browser: Debian's Chromium, driven by Playwright, over the app served on 127.0.0.1 from the
session's small demo warehouse. Every page loads with its charts; a filter changes a chart and the URL; a deep link
restores the view; a download holds the rows the filters ask for; the keyboard alone reaches the pages, the filters
and the downloads; axe-core finds no serious or critical WCAG 2.2 AA problem on any page, as it opens or filtered.
Screenshots of every page are saved under build/screenshots/."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import sync_playwright
from pypdf import PdfReader

from tests.browser import harness
from tests.browser.screenshots import whole_page
from dashboard import format as fmt
from tests.conftest import query

SCREENSHOTS = harness.ROOT / "build" / "screenshots"
FILTERED = "body_type=local_authority&principle=partnership&from=2025-26+Q1"


@pytest.fixture(scope="module")
def base(built_warehouse) -> str:
    with harness.served(built_warehouse.path) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        chromium = harness.launch(playwright)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    tab = context.new_page()
    yield tab
    context.close()


def open_page(page, base: str, path: str) -> None:
    page.goto(harness.address(base, path), wait_until="domcontentloaded")
    harness.wait_until_drawn(page)


def query_of(page) -> dict[str, list[str]]:
    return query_of_url(page.url)


def query_of_url(url: str) -> dict[str, list[str]]:
    return parse_qs(urlparse(url).query)


def test_the_browser_tests_cover_every_page_the_app_declares():
    declared = re.findall(r'url_path="([^"]+)"', harness.APP.read_text(encoding="utf-8"))
    assert declared == list(harness.PAGES)
    from tests.browser.screenshots import VIEWS

    assert {view.split("?")[0] or "overview" for view in VIEWS.values()} == set(declared)


@pytest.mark.parametrize("path", list(harness.PAGES))
def test_every_page_loads_with_its_charts(base, page, path):
    title, draws_charts = harness.PAGES[path]
    open_page(page, base, path)
    if draws_charts:  # on a loaded machine a chart can arrive after the rest of the page
        page.wait_for_selector('[data-testid="stPlotlyChart"] svg.main-svg', timeout=120_000)
        harness.wait_until_drawn(page)
    assert harness.page_problems(page) == []
    assert page.locator("h1").inner_text() == title
    assert page.title() == f"{title} – Civil Society Covenant dashboard"
    charts = page.locator('[data-testid="stPlotlyChart"]').count()
    if draws_charts:
        assert charts > 0, f"no chart on {path}"
    assert "Open Government Licence v3.0" in page.locator("body").inner_text()  # the footer: sources and licence
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    whole_page(page, SCREENSHOTS / f"{path}.png")


def chart_summaries(page) -> list[str]:
    return page.evaluate("""() => [...document.querySelectorAll('[class*="st-key-chart-block-"]')]
        .map(block => block.querySelector('[data-testid="stMarkdownContainer"] p').innerText)""")


def choose(page, label: str, option: str) -> None:
    """Pick `option` in the sidebar's select box `label`, as a person would (clicking again if the first click,
    which scrolls a box low in the sidebar into view, did not open its list)."""
    box, wanted = page.get_by_role("combobox", name=label), page.get_by_role("option", name=option, exact=True)
    for _ in range(3):
        box.click()
        try:
            wanted.wait_for(timeout=5_000)
            break
        except Exception:  # playwright's TimeoutError: the list did not open
            continue
    wanted.click()
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60_000)
    harness.wait_until_drawn(page)


def test_changing_a_filter_updates_a_chart_and_the_url(base, page):
    open_page(page, base, "principles?principle=partnership")
    before = chart_summaries(page)
    choose(page, "Type of public body", "Local authority")
    page.wait_for_function("before => document.querySelector('[class*=\"st-key-chart-block-\"] p').innerText !== before",
                           arg=before[0], timeout=30_000)
    assert query_of(page)["body_type"] == ["local_authority"]
    assert chart_summaries(page) != before
    assert harness.page_problems(page) == []


def test_a_deep_link_restores_the_view(base, page):
    open_page(page, base, f"principles?{FILTERED}&to=2026-27+Q2")
    assert page.get_by_role("combobox", name="Type of public body", exact=True).input_value() == "Local authority"
    assert page.get_by_role("combobox", name="Principle", exact=True).input_value() == "Partnership and collaboration"
    assert page.get_by_role("combobox", name="Public body", exact=True).input_value() == "All public bodies"
    ends = page.locator('[data-testid="stSidebarUserContent"] [data-testid="stSliderThumbValue"]').all_inner_texts()
    assert ends == ["2025-26 Q1", "2026-27 Q2"]
    assert page.locator('[data-testid="stMain"] h2').first.inner_text() == "Partnership and collaboration"
    assert "Local authority, 2025-26 Q1 to 2026-27 Q2" in page.locator("body").inner_text()
    assert query_of(page) == {"body_type": ["local_authority"], "principle": ["partnership"], "from": ["2025-26 Q1"],
                              "to": ["2026-27 Q2"]}


def metric(page, label: str) -> str:
    """The value a headline metric shows."""
    block = page.locator('[data-testid="stMetric"]').filter(has=page.get_by_text(label, exact=True))
    return block.locator('[data-testid="stMetricValue"]').inner_text()


def test_filters_combine_travel_with_links_and_go_back(base, page, built_warehouse):
    """A council's civil servant: Local authority + North West shows the funding-to-smaller-organisations share of
    exactly those awards; adding Small, awards paid in advance of exactly those; a page link keeps all three; Back
    after changing the region returns to the earlier one; Copy link copies the view's address."""
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    open_page(page, base, "?body_type=local_authority&region=E12000002&from=2025-26+Q1&to=2025-26+Q4")
    chosen = "body_type = 'local_authority' and region_code = 'E12000002' and financial_year = '2025-26'"
    (share,) = query(built_warehouse.database, f"""select 100 * sum(amount_gbp) filter (where smaller_organisation)
        / sum(amount_gbp) from marts.awards where {chosen} and smaller_organisation is not null and amount_gbp is not null""")[0]
    assert metric(page, "Funding to smaller organisations") == fmt.indicator_value(share, "percent of value")

    choose(page, "Organisation size", "Small (£10k to £100k)")
    page.wait_for_function("() => location.search.includes('size=small')", timeout=30_000)
    (paid,) = query(built_warehouse.database, f"""select 100 * count(*) filter (where paid_in_advance)
        / count(paid_in_advance) from marts.awards where {chosen} and size_band = 'small'""")[0]
    assert metric(page, "Awards paid in advance") == fmt.indicator_value(paid, "percent")

    page.locator('[data-testid="stPageLink"] a', has_text="Organisation size").click()
    page.wait_for_url(re.compile(r"/organisation-size\?"), timeout=30_000)
    harness.wait_until_drawn(page)
    assert query_of(page) == {"body_type": ["local_authority"], "region": ["E12000002"], "size": ["small"],
                              "from": ["2025-26 Q1"], "to": ["2025-26 Q4"]}
    assert page.get_by_role("combobox", name="Organisation size", exact=True).input_value() == "Small (£10k to £100k)"
    assert "Small (£10k to £100k) (marked ▶) is" in page.locator("body").inner_text()  # ranked among the sizes

    choose(page, "Region (England)", "North East")
    page.wait_for_function("() => location.search.includes('E12000001')", timeout=30_000)
    page.go_back()
    page.wait_for_function("() => location.search.includes('E12000002')", timeout=30_000)
    harness.wait_until_drawn(page)
    page.wait_for_function("() => document.querySelector('input[aria-label*=\"Region\"]') !== null", timeout=30_000)
    assert page.get_by_role("combobox", name="Region (England)", exact=True).input_value() == "North West"
    assert query_of(page)["region"] == ["E12000002"] and "/organisation-size" in page.url

    page.get_by_role("button", name="Copy link", exact=True).click()
    page.get_by_text("Link copied: it reopens this view in the latest release.").wait_for(timeout=10_000)
    assert page.evaluate("navigator.clipboard.readText()") == page.url
    # the same view pinned to the release shown: its figures stay as they were when cited
    page.get_by_role("button", name="Copy link to this release").click()
    page.get_by_text("Link copied: it reopens this view in this release, with these figures.").wait_for(timeout=10_000)
    pinned = page.evaluate("navigator.clipboard.readText()")
    assert pinned.startswith(page.url + "&release=") and re.fullmatch(r"\d{8}T\d{12}Z", query_of_url(pinned)["release"][0])


def test_a_body_is_ranked_among_its_peers_and_put_side_by_side_with_others(base, page):
    open_page(page, base, "public-bodies?body=DCMS&compare=DCMS,DFE,HO")
    text = page.locator("body").inner_text()
    assert re.search(r"Its rank among the ministerial departments: .+ \d+(st|nd|rd|th) of \d+", text)
    assert re.search(r"Department for Culture, Media and Sport \(marked ▶\) is \d+(st|nd|rd|th) of \d+ ministerial departments", text)
    side = page.locator('[class*="st-key-chart-block-side-by-side"]')
    side.locator('[data-testid="stPlotlyChart"] svg.main-svg').first.wait_for(timeout=60_000)
    legend = side.locator(".legendtext").evaluate_all("texts => texts.map(t => t.textContent)")
    assert legend == ["Department for Culture, Media and Sport", "Department for Education", "Home Office"]
    assert harness.page_problems(page) == []


def test_a_download_holds_the_rows_the_filters_ask_for(base, page, built_warehouse):
    open_page(page, base, "downloads?dataset=awards&region=E12000003&size=small&from=2025-26+Q2&to=2025-26+Q3")
    button = page.get_by_role("button", name=re.compile(r"^Download awards.*\(CSV\)$"))
    with page.expect_download(timeout=60_000) as download:
        button.click()
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    expected = query(built_warehouse.database, """select count(*) from marts.awards where region_code = 'E12000003'
        and size_band = 'small' and financial_year = '2025-26' and quarter in (2, 3)""")[0][0]
    assert len(rows) == expected > 0
    assert {r["region_code"] for r in rows} == {"E12000003"} and {r["size_band"] for r in rows} == {"small"}
    assert {r["period"] for r in rows} <= {"2025-26 Q2", "2025-26 Q3"}
    assert download.value.suggested_filename.startswith("covenant-awards-")


def test_an_indicators_charts_are_drawn_when_opened_and_kept_in_the_link(base, page, built_warehouse):
    open_page(page, base, "principles?principle=partnership")
    (_, first), (second_id, second) = query(built_warehouse.database, """select indicator_id, name from marts.indicators
                                             where principle = 'partnership' order by sort_order limit 2""")
    titles = page.locator('[class*="st-key-chart-block-"] h3').all_inner_texts()
    assert [t.split(" by ")[0] for t in titles] == [first, first]  # only the first indicator's, as the page opens
    page.get_by_text(f"Trend by quarter and comparison: {second}", exact=True).click()
    page.wait_for_function("n => document.querySelectorAll('[class*=\"st-key-chart-block-\"] svg.main-svg').length >= n",
                           arg=4 * 3, timeout=60_000)  # four charts now, each drawn (three svg layers each)
    harness.wait_until_drawn(page)
    titles = page.locator('[class*="st-key-chart-block-"] h3').all_inner_texts()
    assert [t.split(" by ")[0] for t in titles] == [first, first, second, second]
    assert query_of(page)[f"charts-{second_id}"] == ["true"]
    assert harness.page_problems(page) == []


def test_the_chart_code_is_fetched_once_on_pages_with_charts_and_not_on_others(base, page):
    asked = []
    page.on("request", lambda request: asked.append(request.url) if "/PlotlyChart." in request.url else None)
    open_page(page, base, "accessibility")
    assert asked == []
    open_page(page, base, "principles")  # asked for as the page opens, and used by the charts: one module, fetched once
    page.wait_for_selector('[data-testid="stPlotlyChart"] svg.main-svg', timeout=120_000)
    assert len(asked) == 1 and asked[0].startswith(f"{base}/static/js/PlotlyChart.")
    assert harness.page_problems(page) == []


def test_a_charts_download_holds_its_table(base, page, built_warehouse):
    open_page(page, base, "principles?principle=partnership")
    block = page.locator('[class*="st-key-chart-block-"]').first
    assert block.locator("h3").inner_text() == "Awards paid in advance by quarter"
    with page.expect_download(timeout=60_000) as download:  # the CSV is made when the button is clicked
        block.get_by_role("button", name=re.compile(r"^Download the data of")).click()
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8-sig"))))
    expected = query(built_warehouse.database, """select period, numerator from marts.indicator_values
        where indicator_id = 'awards_paid_in_advance' and breakdown = 'all' and period_level = 'quarter' order by period""")
    assert [(r["Quarter"].removesuffix(" (to date)"), float(r["Numerator"]) if r["Numerator"] else None) for r in rows] == expected
    assert download.value.suggested_filename.endswith(".csv")


def test_a_chart_downloads_as_png_and_svg_with_its_title_summary_and_release(base, page, built_warehouse):
    open_page(page, base, "principles?principle=partnership")
    block = page.locator('[class*="st-key-chart-block-"]').first
    summary = block.locator('[data-testid="stMarkdownContainer"]').first.inner_text()
    with page.expect_download(timeout=60_000) as download:  # made when the button is clicked
        block.get_by_role("button", name=re.compile(r"^Download the chart .* \(PNG\)$")).click()
    png = Path(download.value.path()).read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and download.value.suggested_filename.endswith(".png")
    with page.expect_download(timeout=60_000) as download:
        block.get_by_role("button", name=re.compile(r"^Download the chart .* \(SVG\)$")).click()
    svg = Path(download.value.path()).read_text(encoding="utf-8")
    drawn = " ".join(re.findall(r">([^<>]+)</(?:text|tspan)>", svg))
    release = built_warehouse.result.load_id
    assert "Awards paid in advance by quarter" in drawn
    assert " ".join(summary.split()) in drawn
    assert f"Release {release}" in drawn and "Source: Civil Society Covenant dashboard, from Funding (360Giving)" in drawn


def test_a_bodys_profile_downloads_its_briefing_pack(base, page, built_warehouse):
    open_page(page, base, "public-bodies?body=DCMS")
    with page.expect_download(timeout=120_000) as download:  # made when the button is clicked
        page.get_by_role("button", name="Download a briefing pack on Department for Culture, Media and Sport (PDF)").click()
    reader = PdfReader(download.value.path())
    text = " ".join(" ".join(p.extract_text() for p in reader.pages).split())
    release = built_warehouse.result.load_id
    assert len(reader.pages) >= 5 and download.value.suggested_filename == f"covenant-briefing-department-for-culture-media-and-sport-{release.lower()}.pdf"
    assert text.startswith("Civil Society Covenant dashboard · briefing · Ministerial department Department for Culture, Media and Sport")
    assert f"{base}/public-bodies?body=DCMS&release={release}" in text.replace(" ", "")


def test_the_scorecards_download_holds_every_body_on_every_indicator(base, page, built_warehouse):
    open_page(page, base, "public-bodies")
    with page.expect_download(timeout=60_000) as download:  # made when clicked
        page.get_by_role("button", name=re.compile(r"^Download the scorecard, 2025-26")).click()
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8-sig"))))
    # every body with a figure, on every indicator published by body: a row even where it has none, or where the
    # indicator does not apply to its type
    bodies, indicators = query(built_warehouse.database, """select
        (select count(distinct v.breakdown_code) from marts.indicator_values v join reference.public_bodies b on b.code = v.breakdown_code
         where v.breakdown = 'public_body' and v.period_level = 'year' and v.financial_year = '2025-26'),
        (select count(*) from marts.indicators where list_contains(breakdowns, 'public_body'))""")[0]
    assert len(rows) == bodies * indicators > 0
    not_applicable = [r for r in rows if r["applicable"] == "false"]
    assert not_applicable and all(r["value"] == "" for r in not_applicable)
    assert {r["indicator_id"] for r in not_applicable} <= {"consultations_meeting_standard", "consultations_with_published_response",
                                                          "award_value_published_360giving", "leads_named"}


def tab_through(page, presses: int = 120) -> list[dict]:
    seen = []  # from the top of the document, as the page opens
    for _ in range(presses):
        page.keyboard.press("Tab")
        seen.append(harness.focused(page))
    return seen


def test_the_keyboard_alone_reaches_the_pages_the_filters_and_the_downloads(base, page):
    open_page(page, base, "issues")
    seen = tab_through(page)
    pages = {f["label"] for f in seen if f["area"] == "pages"}
    assert {"Overview", "Principles", "Issues", "Data and downloads", "Accessibility statement"} <= pages
    filters = [f for f in seen if f["area"] == "filters"]
    assert {f["label"] for f in filters if f["widget"] == "stSelectbox"} == {
        "Public body", "Type of public body", "District", "Combined authority", "Region (England)", "Nation",
        "Organisation size", "Principle"}
    assert len({f["label"] for f in filters if f["widget"] == "stSlider"}) == 2  # the period's two ends
    assert any(f["area"] == "download" and f["label"].startswith("Download the data of") for f in seen)
    # focus is visible wherever it lands
    assert [f for f in seen if f["tag"] != "body" and not f["ring"]] == []
    # and the keyboard alone opens a page
    link = page.locator('[data-testid="stPageLink"] a', has_text="Data quality")
    link.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/data-quality"), timeout=30_000)
    harness.wait_until_drawn(page)
    assert page.locator("h1").inner_text() == "Data quality"


def test_the_keyboard_chooses_a_filter(base, page):
    open_page(page, base, "")
    box = page.get_by_role("combobox", name="Type of public body", exact=True)
    box.focus()
    page.keyboard.type("Local authority")
    page.keyboard.press("Enter")
    page.wait_for_function("() => location.search.includes('body_type=local_authority')", timeout=30_000)
    harness.wait_until_drawn(page)
    assert harness.page_problems(page) == []


@pytest.mark.parametrize("state", ["as it opens", "filtered"])
@pytest.mark.parametrize("path", list(harness.PAGES))
def test_no_serious_accessibility_problem(base, page, path, state):
    open_page(page, base, path if state == "as it opens" else f"{path}?{FILTERED}")
    violations = harness.axe_violations(page)
    assert violations == [], harness.describe(violations)

"""The browser and accessibility checks fail when a page is broken on purpose (tests/browser/broken_app.py): a page
that raises, a chart without its summary and table, text too faint to read. Without these, a check that could
never fail would pass unnoticed."""

from __future__ import annotations

import pytest
from playwright.sync_api import sync_playwright

from tests.browser import harness


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    with harness.served(tmp_path_factory.mktemp("no-warehouse"), app=harness.ROOT / "tests" / "browser" / "broken_app.py") as base, \
            sync_playwright() as playwright:
        browser = harness.launch(playwright)
        tab = browser.new_page(viewport={"width": 1400, "height": 1000})
        tab.base = base
        yield tab
        browser.close()


def opened(page, path: str, *, chart: bool = False):
    page.goto(f"{page.base}/{path}", wait_until="domcontentloaded")
    if chart:  # on a loaded machine the chart can arrive after the rest of the page
        page.wait_for_selector('[data-testid="stPlotlyChart"] svg.main-svg', timeout=120_000)
    harness.wait_until_drawn(page)
    return page


def test_a_page_that_raises_fails_the_page_check(page):
    problems = harness.page_problems(opened(page, "raises"))
    assert problems and problems[0].startswith("an error is shown")
    assert "broken on purpose" not in page.locator("body").inner_text()  # no error details for the public


def test_a_chart_without_its_summary_and_table_fails_the_chart_check(page):
    assert harness.chart_problems(opened(page, "bare-chart", chart=True)) == ["Awards by year lacks a summary, a table, a download"]
    assert harness.chart_problems(opened(page, "lone-chart", chart=True)) == ["chart 1 is not in a chart block (no title, summary or table)"]


def test_faint_text_fails_the_accessibility_check(page):
    violations = harness.axe_violations(opened(page, "faint"))
    assert [v["rule"] for v in violations] == ["color-contrast"]
    assert violations[0]["impact"] == "serious"

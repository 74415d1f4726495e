"""Printing from Chromium (#print): every page, printed to an A4 PDF as a committee clerk would, has a header with the
page, its filters, the release and the link; no sidebar or widget; nothing wider than the paper (charts drawn for a
wide screen scale down, not clipped); every table printed whole; every chart's title and summary."""

from __future__ import annotations

import io
import re
import unicodedata

import pytest
from playwright.sync_api import sync_playwright
from pypdf import PdfReader

from tests.browser import harness
from tests.conftest import query

SCREEN = {"width": 1400, "height": 1000}  # a wide screen: charts are drawn about 1000 px wide
PRINTABLE = 703  # A4's width (794 px at 96 per inch) less print.css's margins of 12 mm on either side
WIDGETS = ('[data-testid="stSidebar"]', '[data-testid="stSelectbox"]', '[data-testid="stMultiSelect"]',
           '[data-testid="stSlider"]', '[data-testid="stButton"]', '[data-testid="stDownloadButton"]',
           '[data-testid="stPageLink"]', '[data-testid="stElementToolbar"]', '.modebar-container', '#copy-link-button',
           '[data-testid="stDataFrame"]')
# text only the sidebar and the widgets show
WIDGET_TEXT = ("Copy link", "Every filter is kept in the page's address", "Period (financial years and quarters)",
               "Download the data of", "Cite this page")


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
    context = browser.new_context(viewport=SCREEN)
    tab = context.new_page()
    yield tab
    context.close()


def view_of(path: str, built_warehouse) -> str:
    """The page's address; Public bodies with one body chosen (the first by name), which draws its profile."""
    if path != "public-bodies":
        return path
    (body,) = query(built_warehouse.database, "select code from reference.public_bodies order by name limit 1")[0]
    return f"public-bodies?body={body}"


def squeezed(text: str) -> str:
    """Text compared without its spacing and ligatures, which a PDF's text does not keep as the page had them."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def laid_out_for_paper(page) -> dict:
    """In print media, the page laid out at the printable width, as Chromium lays it out to print (in one script,
    before the charts could be drawn again for the narrower page, as they are not before printing): what sticks out
    beyond it, the widgets still shown, the header, the charts' layers and the tables."""
    return page.evaluate("""([width, widgets]) => {
        const style = document.createElement('style');
        style.textContent = `html { width: ${width}px !important; }`;
        document.head.appendChild(style);
        try {
            const shown = e => e.getClientRects().length > 0 && getComputedStyle(e).visibility !== 'hidden';
            const wide = [...document.querySelectorAll('body *')]
                .filter(e => !e.closest('svg') || e.matches('svg.main-svg'))  // inside an SVG, drawing is clipped to it
                .filter(e => shown(e) && e.getBoundingClientRect().width > 0 && e.getBoundingClientRect().right > width + 1)
                .map(e => `${e.tagName.toLowerCase()} ${e.getAttribute('data-testid') || e.getAttribute('class') || ''}`
                          + ` right edge at ${Math.round(e.getBoundingClientRect().right)} px`);
            const header = document.querySelector('.st-key-print-header');
            return {
                wide: wide.slice(0, 10),
                widgets: widgets.flatMap(w => [...document.querySelectorAll(w)].filter(shown).map(() => w)),
                header: header && shown(header) ? header.innerText : null,
                layers: [...document.querySelectorAll('svg.main-svg')].map(svg => ({
                    drawn: Number(svg.getAttribute('width')), viewBox: svg.getAttribute('viewBox'),
                    sized: `0 0 ${svg.getAttribute('width')} ${svg.getAttribute('height')}`,
                    width: svg.getBoundingClientRect().width,
                    ratio: svg.getBoundingClientRect().width / svg.getBoundingClientRect().height,
                    drawnRatio: svg.getAttribute('width') / svg.getAttribute('height')})),
                tables: [...document.querySelectorAll('.print-table')].map(t => ({
                    shown: shown(t), rows: t.querySelectorAll('tbody tr').length, text: t.innerText.slice(0, 200)})),
                blocks: [...document.querySelectorAll('[class*="st-key-chart-block-"]')].map(b => getComputedStyle(b).display),
            };
        } finally {
            style.remove();
        }
    }""", [PRINTABLE, list(WIDGETS)])


@pytest.mark.parametrize("path", list(harness.PAGES))
def test_every_page_prints_whole_on_a4(base, page, path, built_warehouse):
    title, draws_charts = harness.PAGES[path]
    page.goto(harness.address(base, view_of(path, built_warehouse)), wait_until="domcontentloaded")
    harness.wait_until_drawn(page)
    if draws_charts:
        page.wait_for_selector('[data-testid="stPlotlyChart"] svg.main-svg', timeout=120_000)
        harness.wait_until_drawn(page)
    assert harness.page_problems(page) == []
    # on screen: the chart blocks' titles and summaries, and neither the header nor the printed tables
    charts = page.evaluate("""() => [...document.querySelectorAll('[class*="st-key-chart-block-"]')].map(block => ({
        title: block.querySelector('h2, h3').innerText,
        summary: block.querySelector('[data-testid="stMarkdownContainer"] p').innerText}))""")
    if draws_charts:
        assert charts
    assert not page.locator(".st-key-print-header").is_visible()
    assert page.locator(".print-table").count() == page.locator('[data-testid="stDataFrame"]').count()
    assert not any(page.locator(".print-table").evaluate_all("ts => ts.map(t => t.getClientRects().length > 0)"))

    page.emulate_media(media="print")
    paper = laid_out_for_paper(page)
    assert paper["wide"] == [], f"wider than the paper ({PRINTABLE} px)"
    assert paper["widgets"] == []
    assert paper["header"] is not None
    header = paper["header"]
    assert f"Civil Society Covenant dashboard: {title}" in header
    assert re.search(r"Release \d{8}T\d{12}Z published \d{1,2} \w+ \d{4}", header)
    assert re.search(r"https?://127\.0\.0\.1:\d+\S*release=\d{8}T\d{12}Z", header)
    if path not in ("data-quality", "data-dictionary", "accessibility"):  # the pages with filters say them
        assert re.search(r"Filters: .+, \d{4}-\d{2}", header)
    for layer in paper["layers"]:  # every chart's layers scale with the page: drawn wider than it, printed narrower
        assert layer["viewBox"] == layer["sized"] and layer["width"] <= PRINTABLE
        assert layer["ratio"] == pytest.approx(layer["drawnRatio"], rel=0.02)
    if draws_charts:
        assert any(layer["drawn"] > PRINTABLE for layer in paper["layers"])  # the case that was clipped
    # every table printed with its rows, or (wider than the paper holds) named, as in the download
    assert all(t["shown"] and (t["rows"] > 0 or re.fullmatch(r"A table of [\d,]+ rows? and \d+ columns, too wide to print "
                                                          r"legibly: it is in the page's download\.", t["text"].strip()))
               for t in paper["tables"]), paper["tables"]
    assert "none" not in paper["blocks"]

    text = squeezed(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(page.pdf(format="A4", print_background=True))).pages))
    assert squeezed(title) in text and squeezed(f"Civil Society Covenant dashboard: {title}") in text
    missing = [c["title"] for c in charts if squeezed(c["title"]) not in text or squeezed(c["summary"]) not in text]
    assert missing == [], "charts whose title or summary is not printed"
    assert [w for w in WIDGET_TEXT if squeezed(w) in text] == []

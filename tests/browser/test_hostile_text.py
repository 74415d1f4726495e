"""Text from input files is shown as text, never acted on: a district name, a file name, an award and a commitment
holding HTML, script, markdown links and images and Streamlit directives are drawn literally in a real browser, which
runs no script, opens no dialog, fetches nothing from another host and gains no link or image from them. A return's
action plan link is a link only when it is a plain https address. The Data Docs of a build whose files hold such
values, opened in the browser, run no script (not even their own), open no dialog and fetch nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from etl.build import build
from tests.browser import harness
from tests.conftest import AS_OF, InboxFactory, grant

DISTRICT = "E06000999"  # a district the reference does not have: its name comes from the inbox's lookup
# what a hostile or careless export might hold; `evil.example` is never resolved (a request to it fails the test)
HOSTILE = ("Evil <img src=x onerror=alert(1) data-hostile=1> <script>alert(2)</script> [a link](https://evil.example/) "
           "![a pixel](https://evil.example/p.png) :red[red] $x^2$ **bold** https://evil.example/bare")
FILE_NAME = "<img src=x onerror=alert(3) data-hostile=1>.csv"
# a return's action plan link that was once made a link, with an image fetched from another site
HOSTILE_LINK = "https://www.gov.uk/> [a link](https://evil.example/) ![a pixel](https://evil.example/p.png)"
GOOD_LINK = "https://www.gov.uk/government/publications/cabinet-office-covenant-action-plan"
VIEWS = [*harness.PAGES, f"localities?district={DISTRICT}", f"overview?district={DISTRICT}", f"principles?district={DISTRICT}",
         "downloads?dataset=awards", "downloads?dataset=commitments", "public-bodies?body=DCMS", "public-bodies?body=CO", f"organisation-size?district={DISTRICT}",
         "issues?body=<script>alert(4)</script>", "overview?region=[x](https://evil.example/)",
         "principles?from=:red[x]&principle=![p](https://evil.example/q.png)"]


@pytest.fixture(scope="module")
def hostile_warehouse(tmp_path_factory) -> Path:
    inbox = InboxFactory(tmp_path_factory.mktemp("hostile") / "inbox")
    inbox.csv("reference/districts.csv", ["LAD23CD", "LAD23NM", "RGN23CD", "RGN23NM"],
              [[DISTRICT, HOSTILE, "E12000003", "Yorkshire and The Humber"]])
    inbox.write_text("reference/districts.hexjson", json.dumps(
        {"layout": "odd-r", "hexes": {DISTRICT: {"n": HOSTILE, "q": 0, "r": 0}, "E08000016": {"n": "Barnsley", "q": 1, "r": 0}}}))
    inbox.funding_csv("awards.csv", [grant(f"360G-H-{n}", title=HOSTILE, recipient_name=HOSTILE, beneficiary_geocode=DISTRICT,
                                           beneficiary_geocode_type="UA") for n in range(8)]
                      + [grant(f"360G-B-{n}") for n in range(8)])
    inbox.funding_csv("hostile values.csv", [grant("360G-H-100", amount_awarded=HOSTILE), grant("360G-H-101", currency=HOSTILE)])
    inbox.funding_csv(FILE_NAME, [grant("360G-H-102")])  # a name that is markup: refused, and shown escaped
    inbox.organisations_csv("register.csv", [{"org_id": "GB-CHC-1234567", "name": HOSTILE, "organisation_type": HOSTILE}])
    inbox.return_workbook("co_return_2025-26_Q1.xlsx", {
        "return_summary": [{"body_code": "CO", "financial_year": "2025-26", "quarter": 1, "action_plan_published": "Yes",
                            "action_plan_url": GOOD_LINK, "ministerial_lead_named": "Yes", "senior_official_lead_named": "Yes",
                            "meetings_committed": 2, "meetings_held": 2}]})
    inbox.return_workbook("dcms_return_2025-26_Q1.xlsx", {
        "return_summary": [{"body_code": "DCMS", "financial_year": "2025-26", "quarter": 1, "action_plan_published": "Yes",
                            "action_plan_url": HOSTILE_LINK, "ministerial_lead_named": "Yes", "senior_official_lead_named": "No",
                            "meetings_committed": 4, "meetings_held": 3}],
        "return_commitments": [{"commitment_ref": "DCMS-C01", "principle": "partnership", "commitment": HOSTILE,
                                "status": "on track"}],
    })
    warehouse = tmp_path_factory.mktemp("hostile-warehouse")
    result = build(inbox.path, warehouse, as_of=AS_OF)
    assert result.published and any(f.path == "funding/\\x3cimg src=x onerror=alert(3) data-hostile=1\\x3e.csv" and f.rejected
                                    for f in result.files)
    return warehouse


def test_text_from_files_and_links_is_shown_as_text(hostile_warehouse):
    seen_text, problems, links = [], [], {}
    with harness.served(hostile_warehouse) as base, sync_playwright() as playwright:
        browser = harness.launch(playwright)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.on("dialog", lambda dialog: (problems.append(f"a dialog opened: {dialog.message}"), dialog.dismiss()))
        page.on("request", lambda request: None if request.url.startswith((base, "data:", "blob:", "about:"))
                else problems.append(f"fetched {request.url}"))
        for view in VIEWS:
            page.goto(harness.address(base, view), wait_until="domcontentloaded")
            harness.wait_until_drawn(page)
            found = page.evaluate("""() => ({
                hostile: [...document.querySelectorAll('[data-hostile], img[src="x"], a[href*="evil.example"], img[src*="evil.example"]')]
                         .map(e => e.outerHTML.slice(0, 160)),
                scripts: [...document.querySelectorAll('script')].filter(s => /alert\\(/.test(s.textContent)).length,
                red: [...document.querySelectorAll('span[style*="color"], .katex, strong')]
                     .filter(e => ['red', 'bold'].includes(e.textContent) || e.matches('.katex'))
                     .map(e => e.outerHTML.slice(0, 160)),
                text: document.body.innerText})""")
            acted = found["hostile"] + found["red"] + (["a script with alert("] if found["scripts"] else [])
            links[view] = page.evaluate("() => [...document.querySelectorAll('a[href^=\"https://www.gov.uk\"]')].map(a => a.href)")
            if acted:
                problems.append(f"{view}: the page acted on text from a file or link: {acted}")
            problems += [f"{view}: {p}" for p in harness.page_problems(page)]
            seen_text.append(found["text"])
        browser.close()
    assert problems == [], "\n".join(problems)
    shown = "\n".join(seen_text).replace("\u200b", "")  # zero-width spaces keep addresses from being made links
    # the hostile text was on the pages, shown as the characters it is
    assert "Evil <img src=x onerror=alert(1) data-hostile=1>" in shown
    assert "[a link](https://evil.example/)" in shown and ":red[red]" in shown
    assert "issues?body" not in shown and "'<script>alert(4)</script>'" in shown  # the link's unknown value, echoed as text
    # a checked https address is a link; the hostile one is its text, said not to be a link
    assert links["public-bodies?body=CO"] == [GOOD_LINK] and links["public-bodies?body=DCMS"] == []
    assert "Action plan: https://www.gov.uk/> [a link](https://evil.example/) ![a pixel](https://evil.example/p.png) " \
           "(not shown as a link: not a plain https address)" in shown


def open_offline(page_file: Path, playwright) -> dict:
    """A file opened in Chromium as a person opens a downloaded page: what it fetched besides itself (a request its
    content security policy blocked is not fetched), the dialogs it opened, whether a script ran (GX's own, or one
    planted), and what it shows."""
    requests, dialogs = [], []
    browser = harness.launch(playwright)
    page = browser.new_page()
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.on("requestfinished", lambda request: None if request.url == page_file.as_uri() else requests.append(request.url))
    page.on("requestfailed", lambda request: None if request.failure == "csp" else requests.append(request.url))
    page.goto(page_file.as_uri(), wait_until="load")
    page.wait_for_timeout(300)
    found = page.evaluate("""() => ({
        script_ran: typeof window.showAllValidations === 'function' || window.ran === true,
        hostile: [...document.querySelectorAll('[data-hostile], img[src="x"], a[href*="evil.example"], img[src*="evil.example"]')]
                 .map(e => e.outerHTML.slice(0, 160)),
        text: document.body ? document.body.innerText : ''})""")
    browser.close()
    return {"requests": requests, "dialogs": dialogs, **found}


def test_the_data_docs_of_hostile_files_run_no_script_and_fetch_nothing(hostile_warehouse):
    pages = sorted((hostile_warehouse / "current" / "data_docs").rglob("*.html"))
    assert len(pages) >= 4
    problems = []
    with sync_playwright() as playwright:
        for page_file in pages:
            opened = open_offline(page_file, playwright)
            name = page_file.relative_to(hostile_warehouse / "current")
            problems += [f"{name}: fetched {url}" for url in opened["requests"]]
            problems += [f"{name}: a dialog opened: {d}" for d in opened["dialogs"]]
            problems += [f"{name}: showed {h}" for h in opened["hostile"]]
            problems += [f"{name}: GX's own script ran"] if opened["script_ran"] else []
            problems += [f"{name}: shows text from a file" for text in ("evil.example", "alert(", ":red[") if text in opened["text"]]
    assert problems == [], "\n".join(problems)


def test_a_page_made_offline_runs_no_script_and_fetches_nothing_even_with_markup_in_it(tmp_path):
    """Were a value ever to reach a Data Docs page as markup, the page's policy stops it: no script, no handler, no
    image, no stylesheet from anywhere."""
    from etl.validate import offline

    page_file = tmp_path / "page.html"
    page_file.write_text(offline(
        "<html><head><title>t</title></head><body><p>text</p>" + HOSTILE + FILE_NAME
        + '<link rel="stylesheet" href="evil.css"><img src="local.png"><script>window.ran = true</script>'
        + '<iframe src="https://evil.example/frame"></iframe><object data="https://evil.example/o"></object></body></html>'))
    with sync_playwright() as playwright:
        opened = open_offline(page_file, playwright)
    assert opened["dialogs"] == [] and opened["requests"] == [] and not opened["script_ran"]
    assert "text" in opened["text"]

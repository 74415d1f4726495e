"""A real browser on the dashboard: the app served on 127.0.0.1, Debian's Chromium driven by Playwright (no browser
download), and the checks the browser and accessibility tests make of a page, kept here so the tests that break a
page on purpose run the very same checks."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "dashboard" / "app.py"
AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run", "--disable-sync"]
# every page by its URL path, with its title and whether it always draws charts (others may, depending on the data)
PAGES = {
    "overview": ("Overview", False), "principles": ("Principles", True), "public-bodies": ("Public bodies", False),
    "localities": ("Localities", True), "organisation-size": ("Organisation size", True), "issues": ("Issues", True),
    "downloads": ("Data and downloads", False), "data-quality": ("Data quality", False),
    "indicators": ("Indicators", False), "data-dictionary": ("Data dictionary", False), "accessibility": ("Accessibility statement", False),
}
# WCAG 2.2 AA, as axe-core tags it
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        raise RuntimeError("Chromium is not installed: `make test` installs Debian's package (apt-get install chromium)")
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass(frozen=True)
class Server:
    """A served dashboard: its base URL, its process and the file its output (stdout and stderr) goes to."""

    base: str
    process: subprocess.Popen
    log: Path

    def output(self, last: int = 3000) -> str:
        """The end of what the server has written."""
        return self.log.read_text(encoding="utf-8", errors="replace")[-last:]


@contextlib.contextmanager
def served(warehouse: Path, app: Path = APP, timeout: float = 60) -> Iterator[str]:
    """The dashboard (or another Streamlit script) served over `warehouse` on a free port; yields its base URL."""
    with served_process(warehouse, app, timeout) as server:
        yield server.base


@contextlib.contextmanager
def served_process(warehouse: Path, app: Path = APP, timeout: float = 60) -> Iterator[Server]:
    """As served(), yielding the Server (the load tests read its process's memory). Its output goes to a file, not
    a pipe nobody reads, which would stall a server that logs more than the pipe holds."""
    port = free_port()
    command = [sys.executable, "-m", "streamlit", "run", str(app), "--server.headless", "true", "--server.address",
               "127.0.0.1", "--server.port", str(port), "--browser.gatherUsageStats", "false"]
    env = os.environ | {"COVENANT_WAREHOUSE": str(warehouse)}
    with tempfile.TemporaryDirectory(prefix="covenant-served-") as folder:
        log = Path(folder) / "server.log"
        with log.open("wb") as output:
            process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
        server = Server(f"http://127.0.0.1:{port}", process, log)
        try:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    with urllib.request.urlopen(f"{server.base}/_stcore/health", timeout=2) as answer:
                        if answer.read() == b"ok":
                            break
                except OSError:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the app at {app} did not start on {server.base}:\n{server.output()}")
                time.sleep(0.25)
            yield server
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def url_path(page: str) -> str:
    """A page's path in the address: the default page, overview, is served at the root."""
    return "" if page == "overview" else page


def address(base: str, view: str) -> str:
    """The URL of a view ('issues?body=DCMS'); the default page, overview, lives at the root."""
    return f"{base}/{view.removeprefix('overview')}"


def wait_until_drawn(page, timeout: float = 60_000) -> None:
    """Until the script has run and drawn: a heading, the footer (drawn last), no running-indicator, and the page
    settled (charts are drawn by a script the browser loads when the first is shown)."""
    page.wait_for_selector("h1", timeout=timeout)
    page.get_by_text("Open Government Licence v3.0").first.wait_for(timeout=timeout)
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=timeout)
    page.wait_for_load_state("networkidle", timeout=timeout)
    page.wait_for_function("""() => [...document.querySelectorAll('[data-testid="stPlotlyChart"]')]
                                     .every(chart => chart.querySelector('svg.main-svg'))""", timeout=timeout)
    last, same, deadline = None, 0, time.monotonic() + timeout / 1000
    while time.monotonic() < deadline and same < 2:  # the same elements three times, half a second apart
        now = page.evaluate("() => document.querySelectorAll('[data-testid=\"stElementContainer\"], svg.main-svg').length")
        same = same + 1 if now == last else 0
        last = now
        page.wait_for_timeout(500)


def page_problems(page) -> list[str]:
    """What is wrong with the page as drawn: an error shown, no heading, a chart without its summary and table."""
    problems = []
    errors = page.locator('[data-testid="stException"], [data-testid="stAlertContentError"]')
    if errors.count():
        problems.append(f"an error is shown: {errors.first.inner_text()[:200]!r}")
    if "Traceback" in page.locator("body").inner_text():
        problems.append("a traceback is shown")
    if page.locator("h1").count() != 1:
        problems.append(f"{page.locator('h1').count()} level-1 headings (expected 1)")
    problems += chart_problems(page)
    return problems


def chart_problems(page) -> list[str]:
    """Every chart must sit in its block with a heading, a plain-English summary (its text alternative), a table of
    the same figures and a download of them."""
    found = page.evaluate("""() => [...document.querySelectorAll('[data-testid="stPlotlyChart"]')].map((chart, n) => {
        const block = chart.closest('[class*="st-key-chart-block-"]');
        if (!block) return `chart ${n + 1} is not in a chart block (no title, summary or table)`;
        const heading = block.querySelector('h2, h3');
        const name = heading ? heading.innerText : `chart ${n + 1}`;
        const summary = [...block.querySelectorAll('[data-testid="stMarkdownContainer"] p')]
            .map(p => p.innerText.trim()).filter(text => text.length >= 20);
        const table = [...block.querySelectorAll('[data-testid="stExpander"] summary')]
            .some(s => s.innerText.includes('Table:'));
        const download = block.querySelector('[data-testid="stDownloadButton"] button');
        const missing = [heading ? null : 'a heading', summary.length ? null : 'a summary',
                         table ? null : 'a table', download ? null : 'a download'].filter(Boolean);
        return missing.length ? `${name} lacks ${missing.join(', ')}` : null;
    }).filter(Boolean)""")
    return list(found)


def axe_violations(page, impacts: tuple[str, ...] = ("serious", "critical")) -> list[dict]:
    """axe-core's WCAG 2.2 AA violations of the given impacts on the page as drawn."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    result = page.evaluate("""async tags => await axe.run(document, {runOnly: {type: 'tag', values: tags},
                                                                      resultTypes: ['violations']})""", WCAG_TAGS)
    return [{"rule": v["id"], "impact": v["impact"], "help": v["help"],
             "where": [" ".join(node["target"]) if isinstance(node["target"], list) else str(node["target"])
                       for node in v["nodes"]][:5]}
            for v in result["violations"] if v["impact"] in impacts]


def describe(violations: list[dict]) -> str:
    return json.dumps(violations, indent=1)


def focused(page) -> dict:
    """What has the keyboard focus: its tag, role, accessible text and whether its focus is drawn."""
    return page.evaluate("""() => {
        const e = document.activeElement;
        if (!e || e === document.body) return {tag: 'body', area: '', widget: '', label: '', ring: false};
        const style = getComputedStyle(e);
        const ring = (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0) || style.boxShadow !== 'none';
        const label = e.getAttribute('aria-label') || e.innerText || e.value || '';
        const area = e.closest('[data-testid="stPageLink"]') ? 'pages'
                   : e.closest('[data-testid="stSidebarUserContent"]') ? 'filters'
                   : e.closest('[data-testid="stDownloadButton"]') ? 'download' : 'main';
        const widget = e.closest('[data-testid="stSelectbox"], [data-testid="stSlider"], [data-testid="stDownloadButton"]');
        return {tag: e.tagName.toLowerCase(), role: e.getAttribute('role') || '', label: label.trim().slice(0, 120),
                area, ring, widget: widget ? widget.dataset.testid : '', href: e.getAttribute('href') || ''};
    }""")


def launch(playwright):
    return playwright.chromium.launch(executable_path=chromium(), args=CHROMIUM_FLAGS)

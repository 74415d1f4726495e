"""Screenshots of every page from a real browser (Debian's Chromium, driven by Playwright), for review and for the
README. Serves the dashboard over a warehouse itself, or uses one already running:

    .venv/bin/python tests/browser/screenshots.py --warehouse data/warehouse docs/screenshots   (make screenshots)
    .venv/bin/python tests/browser/screenshots.py --url http://127.0.0.1:8501 docs/screenshots
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.browser import harness  # noqa: E402

# a view of every page, as a committee clerk or a civil servant would open it
VIEWS = {
    "overview": "", "principles": "principles?principle=partnership", "public-bodies": "public-bodies",
    "public-body-profile": "public-bodies?body=DCMS", "localities": "localities?region=E12000003",
    "organisation-size": "organisation-size", "issues": "issues", "downloads": "downloads",
    "data-quality": "data-quality", "indicators": "indicators?indicator=meetings_held_against_committed",
    "data-dictionary": "data-dictionary", "accessibility": "accessibility",
}
WIDTH, MOST_HEIGHT = 1400, 16_000


def whole_page(page, target: Path) -> Path:
    """A screenshot of the whole page: Streamlit scrolls an inner container, so the viewport is made as tall as the
    page's content first."""
    height = page.evaluate("() => document.querySelector('[data-testid=\"stMainBlockContainer\"]').scrollHeight")
    before = page.viewport_size
    page.set_viewport_size({"width": WIDTH, "height": min(height + 160, MOST_HEIGHT)})
    harness.wait_until_drawn(page)
    page.screenshot(path=str(target))
    page.set_viewport_size(before)
    return target


def take(base: str, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    saved = []
    with sync_playwright() as playwright:
        browser = harness.launch(playwright)
        page = browser.new_page(viewport={"width": WIDTH, "height": 1000})
        for name, path in VIEWS.items():
            page.goto(f"{base}/{path}", wait_until="domcontentloaded")
            harness.wait_until_drawn(page)
            saved.append(whole_page(page, folder / f"{name}.png"))
        browser.close()
    return saved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--warehouse", type=Path, help="serve the dashboard over this warehouse for the screenshots")
    where.add_argument("--url", help="the address of a dashboard already running")
    parser.add_argument("folder", type=Path)
    args = parser.parse_args()
    with harness.served(args.warehouse) if args.warehouse else contextlib.nullcontext(args.url) as base:
        for path in take(base, args.folder):
            print(path)


if __name__ == "__main__":
    main()

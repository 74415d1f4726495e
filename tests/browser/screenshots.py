"""Screenshots of every page from a real browser (Debian's Chromium, driven by Playwright), for review.

    .venv/bin/python tests/browser/screenshots.py http://127.0.0.1:8501 docs/screenshots

Waits for each page's charts to draw before taking a full-page screenshot."""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

PAGES = {
    "overview": "", "principles": "principles?principle=partnership", "public-bodies": "public-bodies",
    "public-body-profile": "public-bodies?body=DCMS", "localities": "localities?region=E12000003",
    "organisation-size": "organisation-size", "issues": "issues", "downloads": "downloads",
    "data-quality": "data-quality", "data-dictionary": "data-dictionary",
}
CHROMIUM = "/usr/bin/chromium"


def _trim(path: Path) -> None:
    """Cut the empty space below a page's content (the viewport is taller than most pages)."""
    from PIL import Image, ImageChops

    image = Image.open(path).convert("RGB")
    main = image.crop((image.width // 4, 0, image.width, image.height))  # the main column, not the sidebar
    box = ImageChops.difference(main, Image.new("RGB", main.size, (255, 255, 255))).getbbox()
    if box:
        image.crop((0, 0, image.width, min(image.height, box[3] + 40))).save(path, optimize=True)


def take(base: str, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    saved = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        # Streamlit scrolls an inner container, so a full-page screenshot needs a viewport as tall as the page
        page = browser.new_page(viewport={"width": 1400, "height": 4200})
        for name, path in PAGES.items():
            page.goto(f"{base}/{path}", wait_until="networkidle")
            page.wait_for_selector("h1", timeout=60_000)
            page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60_000)
            page.wait_for_timeout(2500)  # charts finish drawing
            height = page.evaluate("() => document.querySelector('[data-testid=\"stMainBlockContainer\"]')?.scrollHeight || 0")
            if height + 200 > page.viewport_size["height"]:  # a page longer than the viewport: make it as tall
                page.set_viewport_size({"width": 1400, "height": min(height + 200, 16_000)})
                page.wait_for_timeout(2500)
            target = folder / f"{name}.png"
            page.screenshot(path=str(target))
            _trim(target)
            page.set_viewport_size({"width": 1400, "height": 4200})
            saved.append(target)
        browser.close()
    return saved


if __name__ == "__main__":
    for path in take(sys.argv[1], Path(sys.argv[2])):
        print(path)

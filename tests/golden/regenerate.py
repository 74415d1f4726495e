"""Rewrite the golden files from the data contracts: run this whenever the output intentionally changes, then
review the diff.

    .venv/bin/python tests/golden/regenerate.py

Writes tests/golden/expectations/<contract>.<dataset>.json (one per expectation suite, stale ones removed),
tests/golden/data_dictionary.md, docs/data-dictionary.md (the same page, where readers find it) and
docs/indicators.md (the indicator framework in words).
"""

from __future__ import annotations

import sys
from pathlib import Path

GOLDEN = Path(__file__).resolve().parent
ROOT = GOLDEN.parents[1]
sys.path.insert(0, str(ROOT))

from data_contracts.to_dictionary import dictionary, indicators_markdown, to_markdown, warehouse_markdown  # noqa: E402
from data_contracts.to_expectations import all_suites, to_json  # noqa: E402

EXPECTATIONS = GOLDEN / "expectations"
DICTIONARY = GOLDEN / "data_dictionary.md"
DOCS_DICTIONARY = ROOT / "docs" / "data-dictionary.md"
DOCS_INDICATORS = ROOT / "docs" / "indicators.md"


def generated() -> dict[Path, str]:
    """Every golden file's path -> the text the generators make for it now."""
    files = {EXPECTATIONS / f"{name}.json": to_json(suite) for name, suite in all_suites().items()}
    page = to_markdown(dictionary()) + "\n" + warehouse_markdown()
    return files | {DICTIONARY: page, DOCS_DICTIONARY: page, DOCS_INDICATORS: indicators_markdown()}


def main() -> None:
    files = generated()
    EXPECTATIONS.mkdir(parents=True, exist_ok=True)
    for stale in sorted(set(EXPECTATIONS.glob("*.json")) - set(files)):
        stale.unlink()
        print(f"removed {stale.relative_to(ROOT)}")
    for path, text in files.items():
        old = path.read_text(encoding="utf-8") if path.exists() else None
        if old != text:
            path.write_text(text, encoding="utf-8", newline="\n")
            print(f"{'wrote' if old is None else 'updated'} {path.relative_to(ROOT)}")
    print(f"{len(files)} golden files up to date; review the diff (git diff tests/golden docs) before committing.")


if __name__ == "__main__":
    main()

"""Paths and knobs, each with a help line. Environment variables override the defaults."""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_INBOX = Path(os.environ.get("COVENANT_INBOX", "data/inbox"))
DEFAULT_WAREHOUSE = Path(os.environ.get("COVENANT_WAREHOUSE", "data/warehouse"))
DEFAULT_PORT = int(os.environ.get("COVENANT_PORT", "8501"))
DEFAULT_DEMO_AWARDS = 20_000
DEFAULT_DEMO_SEED = 2025

HELP = {
    "COVENANT_INBOX": "the inbox folder (default data/inbox): one folder per source",
    "COVENANT_WAREHOUSE": "the warehouse folder (default data/warehouse): the published release and its history",
    "COVENANT_PORT": "the dashboard's port (default 8501)",
}

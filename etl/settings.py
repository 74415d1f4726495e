"""Paths and knobs. Environment variables override the defaults: COVENANT_INBOX (default data/inbox),
COVENANT_WAREHOUSE (default data/warehouse), COVENANT_PORT (default 8501), COVENANT_URL (the dashboard's address, for
the links in briefing packs made by `covenant briefing`; default http://127.0.0.1:<port>)."""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_INBOX = Path(os.environ.get("COVENANT_INBOX", "data/inbox"))
DEFAULT_WAREHOUSE = Path(os.environ.get("COVENANT_WAREHOUSE", "data/warehouse"))
DEFAULT_PORT = int(os.environ.get("COVENANT_PORT", "8501"))
DEFAULT_URL = os.environ.get("COVENANT_URL", f"http://127.0.0.1:{DEFAULT_PORT}")
DEFAULT_DEMO_AWARDS = 20_000
DEFAULT_DEMO_SEED = 2025

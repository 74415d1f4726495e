"""Every setting the project reads from the environment, each with its default. Nothing else reads os.environ for a
setting. COVENANT_WAREHOUSE and COVENANT_RESTRICTED are read when asked (warehouse(), restricted()); the others once.

Paths and addresses:
- COVENANT_INBOX (data/inbox): the inbox the build reads.
- COVENANT_WAREHOUSE (data/warehouse): the published warehouse the build writes and the dashboard reads.
- COVENANT_RESTRICTED (the warehouse folder's name + '-restricted', beside it): the restricted warehouse (issue logs).
- COVENANT_PORT (8501): the dashboard's port.
- COVENANT_URL (http://127.0.0.1:<port>): the dashboard's address, for the links in briefing packs.
Releases:
- COVENANT_RETENTION_DAYS (30): how long a superseded release is kept (links pin it until then).
Build knobs (speed and memory; the defaults suit this project's benchmark machine):
- COVENANT_CHUNK_ROWS (200000): rows normalised at a time.
- COVENANT_VALIDATION_BATCH_ROWS (200000): rows validated by Great Expectations at a time.
- COVENANT_PARALLEL_READ_BYTES (64 MiB): inbox size from which files are read by worker processes.
- COVENANT_DUCKDB_MEMORY (2GB): DuckDB's memory limit during a build.
"""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_INBOX = Path(os.environ.get("COVENANT_INBOX", "data/inbox"))
DEFAULT_WAREHOUSE = Path(os.environ.get("COVENANT_WAREHOUSE", "data/warehouse"))
DEFAULT_PORT = int(os.environ.get("COVENANT_PORT", "8501"))
DEFAULT_URL = os.environ.get("COVENANT_URL", f"http://127.0.0.1:{DEFAULT_PORT}")
# how long a superseded release is kept, so a page being drawn, or a link pinning it, never finds it gone
RETENTION_DAYS = float(os.environ.get("COVENANT_RETENTION_DAYS", "30"))
CHUNK_ROWS = int(os.environ.get("COVENANT_CHUNK_ROWS", "200000"))
VALIDATION_BATCH_ROWS = int(os.environ.get("COVENANT_VALIDATION_BATCH_ROWS", "200000"))
PARALLEL_READ_BYTES = int(os.environ.get("COVENANT_PARALLEL_READ_BYTES", str(64 * 1024**2)))
DUCKDB_MEMORY = os.environ.get("COVENANT_DUCKDB_MEMORY", "2GB")  # organisations funded at 10M awards need more than 1GB
DEFAULT_DEMO_AWARDS = 20_000
DEFAULT_DEMO_SEED = 2025


def warehouse() -> Path:
    """COVENANT_WAREHOUSE read when asked, not at import: the CLI sets it for the dashboard process it starts."""
    return Path(os.environ.get("COVENANT_WAREHOUSE", "data/warehouse"))


def restricted() -> Path | None:
    """COVENANT_RESTRICTED read when asked; None when not set."""
    configured = os.environ.get("COVENANT_RESTRICTED")
    return Path(configured) if configured else None

"""Where a published warehouse and its restricted counterpart live.

The published tree (copy it anywhere: a replica, a bucket) holds public data only:

    <warehouse>/current -> releases/<load id>      the published release (a symbolic link, switched atomically)
    <warehouse>/releases/<load id>/covenant.duckdb the database: reference, raw, staging, quarantine, marts, meta
    <warehouse>/releases/<load id>/manifest.json   what was built from which files, with row counts
    <warehouse>/releases/<load id>/parquet/        every mart and reference table as Parquet, for analysts
    <warehouse>/releases/<load id>/data_docs/      Great Expectations Data Docs of the public sources' validation

Row-level issue data is restricted: it lives in a folder of its own beside the published tree, never inside it,
readable only by its owner (the folder is mode 0700, its files 0600):

    <restricted>/releases/<load id>/covenant-restricted.duckdb  issue events, issues, their quarantined rows
    <restricted>/releases/<load id>/manifest.json               the full manifest, issue logs' row counts included
    <restricted>/releases/<load id>/data_docs/                  the Data Docs of the issue logs' validation
    <restricted>/.building-<load id>/                           a build's workspace, removed when it ends

<restricted> is COVENANT_RESTRICTED when set, else the warehouse folder's name with "-restricted" added
(data/warehouse -> data/warehouse-restricted).
"""

from __future__ import annotations

import os
from pathlib import Path

DATABASE_FILE = "covenant.duckdb"
MANIFEST_FILE = "manifest.json"
PARQUET_DIR = "parquet"  # every mart and reference table as <schema>.<table>.parquet
DATA_DOCS_DIR = "data_docs"  # Great Expectations Data Docs (HTML) of the build's validation
RESTRICTED_DATABASE = "covenant-restricted.duckdb"
OWNER_ONLY = 0o700  # the restricted folder's mode: its owner alone may enter it


def releases_dir(warehouse_dir: Path) -> Path:
    return Path(warehouse_dir) / "releases"


def restricted_dir(warehouse_dir: Path) -> Path:
    """The restricted folder that belongs to a warehouse folder (outside it)."""
    configured = os.environ.get("COVENANT_RESTRICTED")
    if configured:
        return Path(configured)
    warehouse_dir = Path(os.path.abspath(warehouse_dir))
    return warehouse_dir.with_name(warehouse_dir.name + "-restricted")


def restricted_release(warehouse_dir: Path, load_id: str) -> Path:
    """The restricted counterpart of the release `load_id`."""
    return releases_dir(restricted_dir(warehouse_dir)) / load_id


def current_release(warehouse_dir: Path) -> Path | None:
    """The published release's folder, or None when nothing has been published."""
    link = Path(warehouse_dir) / "current"
    if not link.exists():
        return None
    return link.resolve()


def published_database(warehouse_dir: Path) -> Path | None:
    release = current_release(warehouse_dir)
    if release is None or not (release / DATABASE_FILE).is_file():
        return None
    return release / DATABASE_FILE

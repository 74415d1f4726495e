"""Where a published warehouse and its restricted counterpart live.

The published tree (copy it anywhere: a replica, a bucket) holds public data only:

    <warehouse>/current -> releases/<load id>      the published release (a symbolic link, switched atomically)
    <warehouse>/releases/<load id>/covenant.duckdb the database: reference, raw, staging, quarantine, marts, meta
    <warehouse>/releases/<load id>/manifest.json   what was built from which files, with row counts
    <warehouse>/releases/<load id>/parquet/        every mart and reference table as Parquet, for analysts
    <warehouse>/releases/<load id>/data_docs/      Great Expectations Data Docs of the public sources' validation
    <warehouse>/releases/.published                the load id of every release published, one a line, in order

A release is named by its load id (RELEASE_ID: the build's start in UTC, to the microsecond). Superseded releases are
kept for the retention period (settings.RETENTION_DAYS), so a link that pins one (`?release=<load id>`) keeps working.

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

import json
import os
import re
from pathlib import Path

from etl import settings

DATABASE_FILE = "covenant.duckdb"
MANIFEST_FILE = "manifest.json"
PUBLISHED_LOG = ".published"  # in releases/: the load id of every release published, one a line
RELEASE_ID = re.compile(r"\d{8}T\d{12}Z")  # a release's name, its load id: 20261207T021500123456Z
PARQUET_DIR = "parquet"  # every mart and reference table as <schema>.<table>.parquet
DATA_DOCS_DIR = "data_docs"  # Great Expectations Data Docs (HTML) of the build's validation
RESTRICTED_DATABASE = "covenant-restricted.duckdb"
OWNER_ONLY = 0o700  # the restricted folder's mode: its owner alone may enter it


def releases_dir(warehouse_dir: Path) -> Path:
    return Path(warehouse_dir) / "releases"


def restricted_dir(warehouse_dir: Path) -> Path:
    """The restricted folder that belongs to a warehouse folder (outside it)."""
    configured = settings.restricted()
    if configured:
        return configured
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


def published_releases(warehouse_dir: Path) -> list[str] | None:
    """Every release ever published here, oldest first (releases/.published, written as each is published), or None
    for a warehouse older than that record."""
    log = releases_dir(warehouse_dir) / PUBLISHED_LOG
    return log.read_text(encoding="utf-8").split() if log.is_file() else None


def kept_release(warehouse_dir: Path, release_id: str | None) -> Path | None:
    """The folder of the release named `release_id` when it was published and is still kept (not yet past its
    retention period), else None. Only a well-formed id is looked up: a link's value never makes a path."""
    if not isinstance(release_id, str) or not RELEASE_ID.fullmatch(release_id):
        return None
    published = published_releases(warehouse_dir)
    folder = releases_dir(warehouse_dir) / release_id
    if (published is not None and release_id not in published) or not (folder / DATABASE_FILE).is_file():
        return None
    return folder


def kept_releases(warehouse_dir: Path) -> list[Path]:
    """Every published release still kept, oldest first."""
    folder = releases_dir(warehouse_dir)
    names = published_releases(warehouse_dir)
    if names is None:
        names = sorted(p.name for p in folder.iterdir() if RELEASE_ID.fullmatch(p.name)) if folder.is_dir() else []
    return [folder / name for name in dict.fromkeys(names) if kept_release(warehouse_dir, name)]


def release_manifest(release: Path) -> dict:
    """A release's manifest (what was built, when, from which files); {} when it cannot be read."""
    try:
        return json.loads((release / MANIFEST_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}

"""Where a published warehouse lives. Under the warehouse folder:

    current -> releases/<load id>      the published release (a symbolic link, switched atomically)
    releases/<load id>/covenant.duckdb the database: reference, staging, quarantine, marts, meta schemas
    releases/<load id>/manifest.json   what was built from which files, with row counts
    releases/<load id>/parquet/        every mart and reference table as Parquet, for analysts
    releases/<load id>/data_docs/      Great Expectations Data Docs of the build's validation
    releases/<load id>/restricted/     row-level issue data, its load counts and Data Docs: for the data owner only,
                                       never read by the dashboard or included in downloads
"""

from __future__ import annotations

from pathlib import Path

DATABASE_FILE = "covenant.duckdb"
MANIFEST_FILE = "manifest.json"
PARQUET_DIR = "parquet"  # every mart and reference table as <schema>.<table>.parquet
DATA_DOCS_DIR = "data_docs"  # Great Expectations Data Docs (HTML) of the build's validation
RESTRICTED_DIR = "restricted"  # confidential row-level data: restricted/covenant-restricted.duckdb, manifest, Data Docs
RESTRICTED_DATABASE = "covenant-restricted.duckdb"


def releases_dir(warehouse_dir: Path) -> Path:
    return Path(warehouse_dir) / "releases"


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

"""What a build did: every file it read with its rows loaded and quarantined or why it was rejected, and how the
build ended (BuildRejected, BuildFailed)."""

from __future__ import annotations

import errno
from dataclasses import asdict, dataclass, field

import polars as pl

import warehouse
from etl.sources import CONFIDENTIAL_DATASETS, CONFIDENTIAL_FOLDERS

# row-level confidential tables: written to the restricted database only
RESTRICTED_TABLES = tuple(f"{schema}.{d}" for d in sorted(CONFIDENTIAL_DATASETS) for schema in ("raw", "staging")) + tuple(
    name for name, _, public in warehouse.MODELS if not public)

FILE_SCHEMA = {"path": pl.Utf8, "source": pl.Utf8, "sha256": pl.Utf8, "rows_read": pl.Int64, "rows_loaded": pl.Int64,
               "rows_quarantined": pl.Int64, "rejected": pl.Utf8, "duplicate_of": pl.Utf8}

@dataclass
class FileResult:
    path: str  # relative to the inbox, e.g. funding/dcms_grants_2025-26.csv
    source: str
    sha256: str | None = None
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    rejected: str | None = None
    duplicate_of: str | None = None


@dataclass
class BuildResult:
    load_id: str
    built_at: str
    published: bool = False
    release: str | None = None
    message: str = ""
    files: list[FileResult] = field(default_factory=list)
    tables: dict[str, int] = field(default_factory=dict)
    quarantine_reasons: dict[str, int] = field(default_factory=dict)
    # issue figures by breakdown and period level: how many published, suppressed and withheld (disclosure control)
    disclosure: dict[str, dict[str, int]] = field(default_factory=dict)
    expectations_failed: int = 0
    data_docs: str | None = None
    database_bytes: int | None = None  # the published database's size and checksum: `covenant status` checks them
    database_sha256: str | None = None
    stage_seconds: dict[str, float] = field(default_factory=dict)  # wall time spent in each of STAGES

    def public_files(self) -> list[dict]:
        """The files as the public may see them. A confidential source's file (an issue log) is named only by its
        place among that source's files, without its name, checksum, row counts or the reason it was rejected: a
        sender chose the name, and the reason may describe the contents. The restricted manifest has them all."""
        public_names: dict[str, str] = {}
        for file in self.files:
            if file.source in CONFIDENTIAL_FOLDERS:
                number = sum(1 for name in public_names if name.startswith(f"{file.source}/")) + 1
                public_names[file.path] = f"{file.source}/file {number} (name withheld)"
        out = []
        for file in self.files:
            row = asdict(file)
            if file.source in CONFIDENTIAL_FOLDERS:
                row.update(path=public_names[file.path], sha256=None, rows_read=None, rows_loaded=None, rows_quarantined=None,
                           rejected="rejected: the reason is in the restricted manifest" if file.rejected else None,
                           duplicate_of=public_names.get(file.duplicate_of, file.duplicate_of))
            out.append(row)
        return out

    def manifest(self, public: bool = True) -> dict:
        """What was built from which files. The public manifest withholds what the issue logs hold: their files are
        listed as `public_files` gives them, their row counts are in the restricted manifest only."""
        document = asdict(self)
        del document["stage_seconds"]  # the publish stage is still running as the manifest is written
        if public:
            document["files"] = self.public_files()
            confidential = {k: v for k, v in self.quarantine_reasons.items() if k.split(":")[0] in CONFIDENTIAL_DATASETS}
            document["tables"] = {k: v for k, v in self.tables.items() if k not in RESTRICTED_TABLES}
            if "quarantine.rows" in document["tables"]:
                document["tables"]["quarantine.rows"] -= sum(confidential.values())
            document["quarantine_reasons"] = {k: v for k, v in self.quarantine_reasons.items() if k not in confidential}
        return document


class BuildRejected(Exception):
    """The build was refused; nothing was published."""


class BuildFailed(BuildRejected):
    """The build could not finish (the disk filled up); what was published before is unchanged."""


DISK_FULL_ERRNOS = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)

DISK_FULL_WORDS = ("No space left on device", "Disk quota exceeded", "File too large")

def disk_full(error: BaseException) -> bool:
    """The disk (or the space allowed) ran out: as an OSError, or as DuckDB's or a library's error about one."""
    while error is not None:
        if isinstance(error, OSError) and error.errno in DISK_FULL_ERRNOS:
            return True
        if any(words in str(error) for words in DISK_FULL_WORDS):
            return True
        error = error.__cause__ or error.__context__
    return False

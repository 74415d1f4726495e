"""The query layer: the only place the dashboard reads the warehouse, and the one object that gives a page its
release: its figures (`run`, through `.sql` files), its extracts, its Parquet tables, its Data Docs and its manifests.

Every query is a `.sql` file in `dashboard/sql/` run with bound parameters (no value from a user is ever formatted
into SQL), over a read-only connection to the published database, cached per published release. A page view reads
one release throughout: the entry point pins the release published as the view starts, or the one its link names
(`pin_release`), so a publish during the view changes nothing it shows, and the release stays on disk for the
retention period after it is superseded (settings.RETENTION_DAYS). A newly published warehouse is picked up on the next page view, without a restart.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
import threading
import warnings
from functools import cache
from pathlib import Path

import duckdb
import polars as pl
import streamlit as st

from etl import settings
from etl.warehouse_files import (DATA_DOCS_DIR, DATABASE_FILE, MANIFEST_FILE, PARQUET_DIR, current_release, kept_release,
                                 release_manifest)

SQL_DIR = Path(__file__).parent / "sql"
CACHE_SECONDS = 3600
CACHE_ENTRIES = 512


def warehouse_dir() -> Path:
    return settings.warehouse()


_view = threading.local()  # Streamlit runs each page view in a thread of its own


def pin_release(requested: str | None = None) -> None:
    """Pin, for the rest of this page view (called by the entry point as a view starts), the release a link names
    (`?release=<load id>`, `requested`) when it is kept, else the release published now."""
    latest = current_release(warehouse_dir())
    named = kept_release(warehouse_dir(), requested) if requested else None
    _view.release, _view.latest, _view.requested = named or latest, latest, requested


def pinning() -> dict:
    """What this page view reads, for the notice and the citation: `release` and `latest` (load ids; None when nothing
    is published), `pinned` (a link named the release read), `unknown` (what a link named that is not kept, or
    None), and each release's date of publication."""
    read, latest = release(), getattr(_view, "latest", None)
    requested = getattr(_view, "requested", None)
    pinned = bool(requested) and read is not None and read.name == requested
    return {"release": read.name if read else None, "latest": latest.name if latest else None, "pinned": pinned,
            "unknown": requested if requested and not pinned else None,
            "release_built_at": _built_at(str(read)) if read else None,
            "latest_built_at": _built_at(str(latest)) if latest else None}


@cache
def _built_at(release_folder: str) -> str | None:
    """When a release was built, from its manifest: read once per release per process (a release never changes)."""
    return release_manifest(Path(release_folder)).get("built_at")


def release() -> Path | None:
    """The release this page view reads: the one pinned as it started, else the one published now; None when
    nothing has been published."""
    pinned = getattr(_view, "release", None)
    found = pinned if pinned is not None and pinned.is_dir() else current_release(warehouse_dir())
    return found if found is not None and (found / DATABASE_FILE).is_file() else None


def database() -> Path | None:
    """The database of the release this page view reads (None when nothing has been published)."""
    found = release()
    return None if found is None else found / DATABASE_FILE


@cache
def _sql(name: str) -> str:
    return (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")


@st.cache_resource(max_entries=4)
def _connection(path: str) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(path, read_only=True)


# A statement run on a cursor and read as Arrow is planned once; a relation (cursor.sql(...).pl()) is planned twice,
# to learn its columns and to run: about 10 ms a query on the query-time engine. DuckDB warns that the Arrow read of
# a cursor's result copies the rows: the dashboard's results are small (a page's figures, not an extract's rows).
warnings.filterwarnings("ignore", message="Arrow output on a DB-API result makes an extra copy", category=UserWarning)


def _frame(path: str, sql: str, params: dict) -> pl.DataFrame:
    """The rows of `sql` with its bound `params` on the database at `path`, as a polars frame."""
    cursor = _connection(path).cursor()  # a cursor per query: sessions run in threads
    try:
        return pl.from_arrow(cursor.execute(sql, params or None).to_arrow_table())
    finally:
        cursor.close()


@st.cache_data(ttl=CACHE_SECONDS, max_entries=CACHE_ENTRIES, show_spinner=False)
def _run(path: str, name: str, params: tuple) -> pl.DataFrame:
    return _frame(path, _sql(name), dict(params))


def run(name: str, **params) -> pl.DataFrame:
    """Run `dashboard/sql/<name>.sql` with named parameters ($name in the SQL)."""
    path = database()
    if path is None:
        raise NoWarehouse()
    return _run(str(path), name, tuple(sorted(params.items())))


class NoWarehouse(Exception):
    """Nothing has been published yet."""


def build_info() -> dict:
    frame = run("build_info")
    return frame.row(0, named=True) if frame.height else {}


def financial_years() -> list[str]:
    """Every financial year the published figures cover, oldest first."""
    return run("financial_years")["financial_year"].to_list()


def release_changes() -> tuple[dict, pl.DataFrame, pl.DataFrame] | None:
    """What's new in this release: its comparison with the release before (one row), the files changed and the
    figures revised; None for a release built before releases were compared."""
    try:
        comparison = run("release_comparison")
    except duckdb.CatalogException:
        return None
    return comparison.row(0, named=True), run("file_changes"), run("revisions")


def revision_history(indicator_id: str) -> pl.DataFrame:
    """Every revision of an indicator's figures that the kept releases record (each against the release before it),
    newest release first, with the release it was made in."""
    from etl.warehouse_files import kept_releases

    frames = []
    for folder in reversed(kept_releases(warehouse_dir())):
        try:
            found = _frame(str(folder / DATABASE_FILE), _sql("indicator_revisions"), {"indicator_id": indicator_id})
        except duckdb.Error:  # a release built before releases were compared, or removed as it was read
            continue
        frames.append(found.with_columns(pl.lit(folder.name).alias("release")))
    return pl.concat(frames, how="diagonal_relaxed") if frames else pl.DataFrame()


def return_coverage(span: tuple[int, int], as_of, chosen: dict[str, list[str]]) -> pl.DataFrame:
    """Every public body the filters `chosen` cover, with how many ended quarters of `span` it made a return for
    (figures.return_coverage)."""
    from dashboard import figures

    bodies = breakdown_names().filter(pl.col("breakdown") == "public_body").select("code", "name", pl.col("parent").alias("body_type"))
    return figures.return_coverage(bodies, return_periods(), span, as_of, chosen)


def return_periods() -> pl.DataFrame:
    """Every quarter each public body made a return for, and whether it came in on time."""
    try:
        return run("return_periods")
    except duckdb.BinderException:  # a release built before returns said when they were sent
        return run("return_periods_untimed")


def indicators() -> pl.DataFrame:
    """The declarations; a release built before the low-base rule gains the base its calculation and unit give, and
    one built before applicability was declared applies every indicator to every type of body, as it was built."""
    from warehouse.indicators import body_type_scopes, base_of

    declared = run("indicators")
    if "applies_to" not in declared.columns:  # a release built before indicators declared the body types they apply to
        declared = declared.with_columns(pl.Series("applies_to", [list(body_type_scopes())] * declared.height, dtype=pl.List(pl.Utf8)))
    if "base" not in declared.columns:
        declared = declared.with_columns(pl.Series("base", [base_of(c, u) for c, u in zip(declared["calculation"], declared["unit"])],
                                                   dtype=pl.Utf8))
    return declared


@cache
def _figures_sql() -> str:
    from etl import indicators  # our own SQL, generated from the breakdown registry (warehouse/breakdowns.py)

    return indicators.figures_sql()


@st.cache_data(ttl=CACHE_SECONDS, max_entries=CACHE_ENTRIES, show_spinner=False)
def _figures(path: str, asked: str) -> pl.DataFrame:
    from etl import indicators

    wanted = json.loads(asked)
    found = _frame(path, _figures_sql(), indicators.figure_params(**wanted))
    windows = pl.DataFrame(wanted["windows"], schema={"window_name": pl.Utf8, "first_index": pl.Int64, "last_index": pl.Int64})
    return found.join(windows, on="window_name", how="left")


def figures(indicators: list[str], windows: list[dict], breakdown: str = "all",
            filters: dict[str, list[str]] | None = None) -> pl.DataFrame:
    """The funding and returns indicators' figures (not issue figures: those are published under disclosure control,
    marts.indicator_values) for any filters (breakdown key -> codes chosen) and windows of quarters (dashboard/figures.py),
    split by `breakdown`, computed now from marts.indicator_facts by warehouse/engine/figures.sql, every value bound."""
    path = database()
    if path is None:
        raise NoWarehouse()
    asked = {"indicators": sorted(indicators), "windows": [{k: w[k] for k in ("window_name", "period_level", "financial_year",
             "quarter", "first_index", "last_index")} for w in windows], "breakdown": breakdown,
             "filters": {k: sorted(v) for k, v in sorted((filters or {}).items()) if v}}
    return _figures(str(path), json.dumps(asked, sort_keys=True))


def breakdown_names() -> pl.DataFrame:
    """Every cell of every breakdown: breakdown, code, name, parent, sort_order."""
    return run("breakdown_names")


def indicator_values(breakdown: str, code: str | None, from_period: str, to_period: str, period_level: str = "year") -> pl.DataFrame:
    """Every indicator's values in one breakdown cell: the quarters from_period to to_period ('2025-26 Q2'), or at
    year level every financial year they touch."""
    return run("indicator_values", breakdown=breakdown, code=code, from_period=from_period, to_period=to_period,
               period_level=period_level)


def indicator_breakdown(indicator: str, breakdown: str, period: str) -> pl.DataFrame:
    return run("indicator_breakdown", indicator=indicator, breakdown=breakdown, period=period)


def body_scorecard(financial_year: str, body_type: str | None) -> pl.DataFrame:
    return run("body_scorecard", financial_year=financial_year, body_type=body_type)


def body_returns(body_code: str) -> pl.DataFrame:
    return run("body_returns", body_code=body_code)


def body_commitments(body_code: str) -> pl.DataFrame:
    return run("body_commitments", body_code=body_code)


def body_consultations(body_code: str) -> pl.DataFrame:
    return run("body_consultations", body_code=body_code)


# --- the release's other files: its manifests, Parquet tables, Data Docs; and extracts ---------------------------


def load_history() -> list[dict]:
    """Every release kept, newest first, from its manifest: when it was built, its files and rows (issue logs' rows
    are not counted in a manifest), and whether it is the one this view reads."""
    read = release()
    history = []
    for manifest in sorted(read.parent.glob(f"*/{MANIFEST_FILE}"), reverse=True) if read else []:
        document = release_manifest(manifest.parent)
        if not document:  # removed at the end of its retention period as the page was drawn
            continue
        counted = [f for f in document["files"] if f["rows_read"] is not None]
        history.append({"built_at": document["built_at"], "files": len(document["files"]),
                        "rows_read": sum(f["rows_read"] for f in counted), "rows_loaded": sum(f["rows_loaded"] for f in counted),
                        "rows_quarantined": sum(f["rows_quarantined"] for f in counted),
                        "files_rejected": sum(1 for f in document["files"] if f["rejected"]),
                        "read_now": manifest.parent.resolve() == read.resolve()})
    return history


def parquet_tables(read: Path | None = None) -> dict[str, int]:
    """The release's tables as Parquet files (this view's release, or `read`): table name -> size in bytes."""
    read = read or release()
    folder = read / PARQUET_DIR if read else None
    return {p.stem: p.stat().st_size for p in sorted(folder.glob("*.parquet"))} if folder and folder.is_dir() else {}


def parquet_bytes(table: str, read: Path) -> bytes:
    """One table of the release `read` as Parquet (a download made on click, after the view that pinned the release
    has ended, so the release is given); only a table it lists: a name from a widget never makes a path."""
    if table not in parquet_tables(read):
        raise KeyError(f"{table!r} is not a table of this release")
    return (read / PARQUET_DIR / f"{table}.parquet").read_bytes()


def has_data_docs(read: Path | None = None) -> bool:
    """Whether this view's release (or `read`) has Great Expectations Data Docs."""
    read = read or release()
    return read is not None and (read / DATA_DOCS_DIR / "index.html").is_file()


def data_docs_zip(read: Path) -> bytes | None:
    """The Great Expectations Data Docs of the release `read` as a ZIP of HTML pages (made on click, so the release
    is given); None when it has none."""
    folder = read / DATA_DOCS_DIR
    if not has_data_docs(read):
        return None
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(folder))
    return out.getvalue()


def extract(key: str, filters: dict[str, str | None], from_period: str, to_period: str,
            cell: tuple[str, str | None] = ("all", None), limit: int | None = None, database_path: Path | None = None) -> pl.DataFrame:
    """The rows of one extract (`dashboard/sql/extracts/<key>.sql`) that follow the filters, values bound as
    parameters, at most `limit` (extracts.MAX_ROWS when None); from this view's release, or `database_path`."""
    from dashboard.extracts import MAX_ROWS, extract_sql

    sql = extract_sql(key)
    offered = {**filters, "from_period": from_period, "to_period": to_period, "breakdown": cell[0], "code": cell[1],
               "limit": MAX_ROWS if limit is None else limit}
    params = {name: offered.get(name) for name in set(re.findall(r"\$(\w+)", sql))}
    path = database_path or database()
    if path is None:
        raise NoWarehouse()
    return _frame(str(path), sql, params)

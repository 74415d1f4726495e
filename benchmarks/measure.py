"""One measured step of the benchmark, run in a process of its own so that its peak memory is its own:

    python -m benchmarks.measure <step> <json arguments>

prints one line of JSON: the step's wall time, its peak resident memory (sampled every 50 ms, and the kernel's
high-water mark), and what the step reports. Steps: demo, build, floor, naive_pipeline, pages, combinations, browser, naive_dashboard.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import resource
import sys
import threading
import time
from pathlib import Path

AS_OF = dt.date(2026, 11, 25)


def _rss_mb(pid: int | str) -> float:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:  # the process has just ended
        pass
    return 0.0


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            pass
    return found


def rss_mb() -> float:
    """The resident memory of this process and every process it started (a build's reading workers), added up:
    pages they share (libraries) are counted once for each, so this errs high."""
    total, waiting = 0.0, [os.getpid()]
    while waiting:
        pid = waiting.pop()
        total += _rss_mb(pid)
        waiting += _children(pid)
    return total


class Sampler:
    """The process's resident memory, sampled every 50 ms: its peak overall and in each named phase."""

    def __init__(self) -> None:
        self.phase: str | None = None
        self.peaks: dict[str, float] = {}
        self.peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            time.sleep(0.05)

    def sample(self) -> None:
        now = rss_mb()
        self.peak = max(self.peak, now)
        if self.phase:
            self.peaks[self.phase] = max(self.peaks.get(self.phase, 0.0), now)

    def enter(self, phase: str | None) -> None:
        self.sample()
        self.phase = phase
        self.sample()

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        self.sample()
        return max(self.peak, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def demo(sampler: Sampler, inbox: str, awards: int) -> dict:
    from etl.demo import DemoSettings, write_demo_inbox

    write_demo_inbox(Path(inbox), DemoSettings(awards=awards, seed=1, as_of=AS_OF))
    files = [p for p in Path(inbox).rglob("*") if p.is_file()]
    return {"files": len(files), "megabytes": round(sum(p.stat().st_size for p in files) / 1e6)}


def build(sampler: Sampler, inbox: str, warehouse: str) -> dict:
    from etl.build import build as run_build

    result = run_build(Path(inbox), Path(warehouse), as_of=AS_OF, on_stage=sampler.enter)
    rows_read = sum(f.rows_read or 0 for f in result.files)
    return {"stage_seconds": result.stage_seconds, "stage_peak_mb": {k: round(v) for k, v in sampler.peaks.items()},
            "files": len(result.files), "rows_read": rows_read, "awards": result.tables.get("marts.awards")}


def floor(sampler: Sampler, inbox: str) -> dict:
    """The least any pipeline that reads the inbox does: DuckDB alone reading every CSV and JSON file of a folder into
    an in-memory table in one call (text columns, schemas unioned by name), and every XLSX sheet read as text into an
    in-memory Arrow table by fastexcel (calamine), the product's reader: DuckDB's Excel extension would have to be
    downloaded. Files in Windows-1252 are read as Latin-1."""
    import duckdb
    import fastexcel

    con = duckdb.connect()
    rows, files, kept = 0, 0, []
    for folder in sorted(p for p in Path(inbox).iterdir() if p.is_dir()):
        for kind, suffix in (("csv", ".csv"), ("json", ".json")):
            paths = sorted(str(p) for p in folder.rglob(f"*{suffix}"))
            if not paths:
                continue
            files += len(paths)
            utf8, latin = [], []
            for path in paths:
                (latin if kind == "csv" and not _is_utf8(Path(path)) else utf8).append(path)
            for n, (group, encoding) in enumerate(((utf8, "utf-8"), (latin, "latin-1"))):
                if not group:
                    continue
                table = f"{folder.name}_{kind}_{n}"  # our own name, not a value from a file
                reader = ("read_csv($files, all_varchar = true, union_by_name = true, encoding = $encoding)"
                          if kind == "csv" else "read_json($files, union_by_name = true, maximum_object_size = 2147483647)")
                con.execute(f"create table {table} as select * from {reader}",
                            {"files": group, "encoding": encoding} if kind == "csv" else {"files": group})
                rows += con.execute(f"select count(*) from {table}").fetchone()[0]
        for path in sorted(folder.rglob("*.xlsx")):
            files += 1
            book = fastexcel.read_excel(str(path))
            for name in book.sheet_names:
                sheet = book.load_sheet(name, dtypes="string").to_arrow()
                kept.append(sheet)
                rows += sheet.num_rows
    return {"files": files, "rows": rows}


def _is_utf8(path: Path) -> bool:
    try:
        path.read_bytes().decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


def naive_pipeline(sampler: Sampler, inbox: str, database: str, warehouse_db: str | None = None) -> dict:
    from benchmarks import naive_pipeline as naive

    figures = naive.run(Path(inbox), Path(database))
    differing = naive.agreement(figures, Path(warehouse_db)) if warehouse_db else None
    return {"figures": sum(len(v) for v in figures.values()), "differing": differing}


# the dashboard's pages (app_pages/<file>) and the filtered view each is also timed in
PAGES = ("overview", "principles", "public_bodies", "localities", "organisation_size", "issues", "downloads",
         "data_quality", "data_dictionary")
FILTERED = {"body_type": "local_authority", "region": "E12000003"}


def pages(sampler: Sampler, warehouse: str) -> dict:
    """Each page's server-side time (its queries and figure building: the whole script run, in Streamlit's AppTest)
    for the default view and a filtered one: with every query's cache emptied first (cold) and again (warm). The
    first run of each AppTest, untimed, is the overview's: it loads the modules (and the warehouse's connection)."""
    import os

    import streamlit as st
    from streamlit.testing.v1 import AppTest

    os.environ["COVENANT_WAREHOUSE"] = warehouse
    app = str(Path(__file__).resolve().parents[1] / "dashboard" / "app.py")
    timings = {}
    for state, params in (("default", {}), ("filtered", FILTERED)):
        for page in PAGES:
            for attempt in ("cold", "warm"):
                at = AppTest.from_file(app, default_timeout=600)
                for key, value in params.items():
                    at.query_params[key] = value
                at.run()
                if attempt == "cold":  # else the untimed run has cached the overview's queries and those every page runs
                    st.cache_data.clear()
                started = time.perf_counter()
                at.switch_page(f"app_pages/{page}.py").run()
                seconds = time.perf_counter() - started
                if at.exception:
                    raise RuntimeError(f"{page} ({state}) raised: {at.exception[0].message}")
                timings[f"{page}/{state}/{attempt}"] = round(seconds * 1000)
    return {"page_ms": timings, "process_mb": round(rss_mb())}


COMBINATIONS = 6  # random views per page and number of filters
FILTERED_PAGES = ("overview", "principles", "public_bodies", "localities", "organisation_size", "issues")
URL_OF = {"public_body": "body", "body_type": "body_type", "district": "district", "combined_authority": "combined_authority",
          "region": "region", "nation": "nation", "size_band": "size", "smaller_organisation": "size"}


def combination_views(database: str, count: int, seed: int = 17) -> list[dict[str, str]]:
    """`count` views with two filters and `count` with three (each a different URL key, with codes that have awards),
    every one over a random range of quarters: the same views for the same warehouse and seed."""
    import random

    import duckdb

    con = duckdb.connect(database, read_only=True)
    try:
        codes = {}
        for key in URL_OF:  # codes with facts: a view of nothing would flatter the timing
            codes[key] = [c for (c,) in con.execute(  # our own registry's keys: identifiers, not values
                f"select distinct {key} from marts.indicator_facts where {key} is not null order by 1").fetchall()]
        quarters = [q for (q,) in con.execute("select distinct period from marts.awards order by 1").fetchall()]
    finally:
        con.close()
    chance = random.Random(seed)
    views = []
    for filters in (2, 3):
        for _ in range(count):
            keys = []
            for key in chance.sample(sorted(URL_OF), len(URL_OF)):
                if URL_OF[key] not in {URL_OF[k] for k in keys} and codes[key]:
                    keys.append(key)
                if len(keys) == filters:
                    break
            first, last = sorted(chance.sample(quarters, 2))
            views.append({URL_OF[k]: chance.choice(codes[k]) for k in keys} | {"from": first, "to": last})
    return views


def combinations(sampler: Sampler, warehouse: str) -> dict:
    """Each filtered page's server-side time (cold: every query's cache emptied first) over random views of two and
    three filters with a range of quarters (combination_views): median and slowest per page, and every view. Each
    page is drawn once untimed first, as a running server has drawn it before: the first drawing in a process pays
    for loading its libraries' code (about 40 ms on Organisation size), once per server."""
    import os
    import statistics

    import streamlit as st
    from streamlit.testing.v1 import AppTest

    os.environ["COVENANT_WAREHOUSE"] = warehouse
    app = str(Path(__file__).resolve().parents[1] / "dashboard" / "app.py")
    views = combination_views(str(Path(warehouse) / "current" / "covenant.duckdb"), COMBINATIONS)
    timings: dict[str, list[int]] = {}
    for page in FILTERED_PAGES:
        warm = AppTest.from_file(app, default_timeout=600)  # untimed: the process's first drawing of this page's
        warm.run()                                          # kinds of chart (a server draws it once in its life)
        warm.switch_page(f"app_pages/{page}.py").run()
        for view in views:
            at = AppTest.from_file(app, default_timeout=600)
            for key, value in view.items():
                at.query_params[key] = value
            at.run()  # untimed: loads the modules and the connection
            st.cache_data.clear()
            started = time.perf_counter()
            at.switch_page(f"app_pages/{page}.py").run()
            seconds = time.perf_counter() - started
            if at.exception:
                raise RuntimeError(f"{page} {view} raised: {at.exception[0].message}")
            timings.setdefault(page, []).append(round(seconds * 1000))
    return {"views": views, "view_ms": timings,
            "page_ms": {page: {"median": round(statistics.median(ms)), "slowest": max(ms)} for page, ms in timings.items()},
            "process_mb": round(rss_mb())}


BROWSER_STARTS = 3  # the first chart varies by a few tenths of a second from start to start: the median of three


def browser(sampler: Sampler, warehouse: str) -> dict:
    """A real dashboard process (streamlit run) and Chromium: the time from asking for the Principles page to its first
    chart drawn, on the first view after the server starts and on a later view in a new tab, for each of
    BROWSER_STARTS server starts; and the memory the last dashboard process holds after every page has been viewed,
    default and filtered."""
    import statistics

    from playwright.sync_api import sync_playwright

    from tests.browser import harness

    first_views, later_views = [], []
    for start in range(BROWSER_STARTS):
        with harness.served(Path(warehouse)) as base, sync_playwright() as playwright:
            chromium = harness.launch(playwright)
            for view in range(2):  # the first view after the server starts, and a later one in a new tab
                tab = chromium.new_page(viewport={"width": 1400, "height": 1000})
                started = time.perf_counter()
                tab.goto(f"{base}/principles", wait_until="commit")
                tab.wait_for_selector('[data-testid="stPlotlyChart"] svg.main-svg', timeout=120_000)
                (later_views if view else first_views).append(round(time.perf_counter() - started, 2))
                tab.close()
            if start < BROWSER_STARTS - 1:
                chromium.close()
                continue
            pid = _server_pid(base)
            page = chromium.new_page(viewport={"width": 1400, "height": 1000})
            for path in harness.PAGES:
                for query in ("", "?" + "&".join(f"{k}={v}" for k, v in FILTERED.items())):
                    page.goto(harness.address(base, path + query), wait_until="domcontentloaded")
                    harness.wait_until_drawn(page, timeout=600_000)
            chromium.close()
            with open(f"/proc/{pid}/status", encoding="ascii") as status:
                held = next(int(line.split()[1]) / 1024 for line in status if line.startswith("VmRSS:"))
                status.seek(0)
                high = next(int(line.split()[1]) / 1024 for line in status if line.startswith("VmHWM:"))
    return {"first_chart_seconds": statistics.median(first_views), "first_chart_runs": first_views,
            "first_chart_again_seconds": statistics.median(later_views), "first_chart_again_runs": later_views,
            "server_mb": round(held), "server_peak_mb": round(high)}


def _server_pid(base: str) -> int:
    """The process listening on the port of `base` (the streamlit server harness.served started)."""
    import subprocess

    port = base.rsplit(":", 1)[1]
    out = subprocess.run(["ss", "-ltnpH", f"sport = :{port}"], capture_output=True, text=True, check=True).stdout
    return int(out.split("pid=")[1].split(",")[0])


def naive_dashboard(sampler: Sampler, inbox: str) -> dict:
    """The naive dashboard: every award loaded into one cached pandas frame, each view filtering and aggregating it;
    each view's time for the default filters and the filtered ones, and the memory the process then holds."""
    from benchmarks import naive_dashboard as naive

    started = time.perf_counter()
    naive.load(Path(inbox))
    load_seconds = time.perf_counter() - started
    view_ms = {}
    for state, filters in (("default", naive.DEFAULT_FILTERS), ("filtered", naive.FILTERED)):
        for name, view in naive.VIEWS.items():
            started = time.perf_counter()
            view(filters)
            view_ms[f"{name}/{state}"] = round((time.perf_counter() - started) * 1000)
    return {"load_seconds": round(load_seconds, 1), "view_ms": view_ms, "process_mb": round(rss_mb())}


STEPS = {"naive_dashboard": naive_dashboard, "demo": demo, "build": build, "floor": floor, "naive_pipeline": naive_pipeline, "pages": pages,
         "browser": browser, "combinations": combinations}


def main() -> None:
    step, arguments = sys.argv[1], json.loads(sys.argv[2])
    sampler = Sampler()
    started = time.perf_counter()
    try:
        report = STEPS[step](sampler, **arguments)
        error = None
    except Exception as problem:  # a baseline that fails at a size is a result to report
        report, error = {}, f"{type(problem).__name__}: {str(problem)[:300]}"
    seconds = time.perf_counter() - started
    print(json.dumps({"step": step, "seconds": round(seconds, 2), "peak_mb": round(sampler.stop()), "error": error,
                      **report}, default=str))


if __name__ == "__main__":
    main()
